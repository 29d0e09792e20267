package adminclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

func newClient(t *testing.T, f *fake) *adminclient.Client {
	t.Helper()
	c, err := adminclient.New(adminclient.Options{Server: f.srv.URL + "/", HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func login(t *testing.T, f *fake) *adminclient.Client {
	t.Helper()
	c := newClient(t, f)
	if err := c.Login(context.Background(), "  "+adminEmail, adminPW); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

func TestLoginSendsThePasswordGrantOfTheCLI(t *testing.T) {
	f := newFake(t)
	c := login(t, f)
	if len(f.forms) != 1 {
		t.Fatalf("token requests = %d, want 1", len(f.forms))
	}
	form := f.forms[0]
	want := map[string]string{
		"grant_type": "password", "client_id": "cli", "scope": "api offline_access",
		"username": adminEmail, "password": f.admin.MasterPasswordHash, "deviceName": "castellan admin",
		"deviceIdentifier": adminclient.DeviceIdentifier(f.srv.URL, adminEmail),
	}
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if !sameKey(c.Account().UserKey, f.admin.UserKey) {
		t.Error("the user key opened at login is not the account's")
	}
	if c.Email() != "admin@example.com" {
		t.Errorf("Email() = %q", c.Email())
	}
}

func TestDeviceIdentifierIsStablePerServerAndAddress(t *testing.T) {
	a := adminclient.DeviceIdentifier("https://a.example", "X@Example.com")
	if a != adminclient.DeviceIdentifier("https://a.example/", "x@example.com ") {
		t.Error("the identifier changes with a trailing slash or the address's case")
	}
	if a == adminclient.DeviceIdentifier("https://b.example", "x@example.com") ||
		a == adminclient.DeviceIdentifier("https://a.example", "y@example.com") {
		t.Error("different servers or addresses share an identifier")
	}
}

func TestLoginErrors(t *testing.T) {
	cases := []struct {
		name     string
		prelogin http.HandlerFunc
		token    http.HandlerFunc
		password string
		check    func(t *testing.T, err error)
	}{
		{name: "wrong password shows the server's message", password: "wrong",
			check: func(t *testing.T, err error) {
				var ae *adminclient.APIError
				if !errors.As(err, &ae) || ae.Status != 400 || ae.Message != "Username or password is incorrect. Try again." {
					t.Errorf("err = %#v", err)
				}
			}},
		{name: "a KDF below the clients' minimum is refused before any password is sent",
			prelogin: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 200, map[string]any{"kdf": 0, "kdfIterations": 1000})
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "unsafe KDF") {
					t.Errorf("err = %v", err)
				}
			}},
		{name: "two-step login is named",
			token: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": "Two factor required.",
					"TwoFactorProviders": []string{"0"}, "TwoFactorProviders2": map[string]any{"0": nil}})
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, adminclient.ErrTwoFactorRequired) {
					t.Errorf("err = %v", err)
				}
			}},
		{name: "an account without keys",
			token: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 200, map[string]any{"access_token": "t", "Kdf": 0})
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "no encryption keys") {
					t.Errorf("err = %v", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			if tc.prelogin != nil {
				f.handle("POST /identity/accounts/prelogin/password", tc.prelogin)
			}
			if tc.token != nil {
				f.handle("POST /identity/connect/token", tc.token)
			}
			pw := adminPW
			if tc.password != "" {
				pw = tc.password
			}
			err := newClient(t, f).Login(context.Background(), adminEmail, pw)
			tc.check(t, err)
			if tc.prelogin != nil && len(f.forms) != 0 {
				t.Error("the password grant was sent after a refused prelogin")
			}
		})
	}
}

func TestPreloginFallsBackToTheLegacyRoute(t *testing.T) {
	f := newFake(t)
	f.handle("POST /identity/accounts/prelogin/password", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 404, map[string]any{"message": "Not found."})
	})
	f.handle("POST /identity/accounts/prelogin", f.prelogin)
	login(t, f)
}

func TestCreateOrganizationMakesTheKeysOnTheClient(t *testing.T) {
	f := newFake(t)
	f.handle("POST /api/organizations", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"id": orgID, "name": "Acme", "billingEmail": "admin@example.com"})
	})
	c := login(t, f)
	o, err := c.CreateOrganization(context.Background(), adminclient.NewOrganization{Name: " Acme "})
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != orgID {
		t.Errorf("id = %q", o.ID)
	}
	var req struct {
		Name, BillingEmail, Key, CollectionName string
		Keys                                    struct{ PublicKey, EncryptedPrivateKey string }
	}
	f.body("POST /api/organizations", &req)
	if req.Name != "Acme" || req.BillingEmail != "admin@example.com" {
		t.Errorf("name %q billing %q", req.Name, req.BillingEmail)
	}
	orgKey, err := f.admin.OpenSharedKey(req.Key)
	if err != nil {
		t.Fatalf("the owner key does not open with the admin's private key: %v", err)
	}
	priv, err := bwcrypto.UnwrapPrivateKey(req.Keys.EncryptedPrivateKey, orgKey)
	if err != nil {
		t.Fatalf("the organization's private key does not open with the organization key: %v", err)
	}
	if pub, _ := bwcrypto.EncodePublicKey(&priv.PublicKey); pub != req.Keys.PublicKey {
		t.Error("the organization's public key does not match its private key")
	}
	if name, err := orgKey.DecryptString(req.CollectionName); err != nil || string(name) != "Default collection" {
		t.Errorf("collection name = %q, %v", name, err)
	}
	// The new key is kept: collections of the new organization need no profile read.
	if k, err := c.OrgKey(context.Background(), orgID); err != nil || !sameKey(k, orgKey) {
		t.Errorf("OrgKey after create: %v", err)
	}
}

// memberFixture is an account with a membership, for confirmation tests.
type memberFixture struct {
	id, userID string
	acct       *bwcrypto.Account
}

func newMember(t *testing.T, id, userID string) memberFixture {
	t.Helper()
	a, err := bwcrypto.NewAccount(id+"@example.com", "pw-"+id, testKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return memberFixture{id: id, userID: userID, acct: a}
}

func TestConfirmWrapsTheOrganizationKeyToEachMember(t *testing.T) {
	f := newFake(t)
	m1 := newMember(t, "00000000-0000-4000-8000-000000000d01", "00000000-0000-4000-8000-000000000e01")
	m2 := newMember(t, "00000000-0000-4000-8000-000000000d02", "00000000-0000-4000-8000-000000000e02")
	f.handle("POST /api/organizations/{org}/users/public-keys", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{
			map[string]string{"id": m1.id, "userId": m1.userID, "key": m1.acct.PublicKey},
			map[string]string{"id": m2.id, "userId": m2.userID, "key": m2.acct.PublicKey},
		}, "object": "list"})
	})
	f.handle("POST /api/organizations/{org}/users/{id}/confirm", func(w http.ResponseWriter, _ *http.Request) {})
	f.handle("POST /api/organizations/{org}/users/confirm", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{
			map[string]string{"id": m1.id, "error": ""}, map[string]string{"id": m2.id, "error": "User not valid."},
		}})
	})
	c := login(t, f)
	ctx := context.Background()
	keys, err := c.PublicKeys(ctx, orgID, []string{m1.id, m2.id})
	if err != nil || len(keys) != 2 {
		t.Fatalf("public keys: %v %v", keys, err)
	}
	der, _ := base64.StdEncoding.DecodeString(m1.acct.PublicKey)
	want, _ := bwcrypto.FingerprintPhrase(m1.userID, der)
	if got, err := keys[0].Fingerprint(); err != nil || got != want {
		t.Errorf("fingerprint = %q, %v; want %q", got, err, want)
	}

	if _, err := c.Confirm(ctx, orgID, keys[:1]); err != nil {
		t.Fatal(err)
	}
	var single struct{ Key, DefaultUserCollectionName string }
	f.body("POST /api/organizations/"+orgID+"/users/"+m1.id+"/confirm", &single)
	checkShared(t, f, m1.acct, single.Key)
	name, err := f.orgKey.DecryptString(single.DefaultUserCollectionName)
	if err != nil || string(name) != "My Items" {
		t.Errorf("default collection name = %q, %v", name, err)
	}

	results, err := c.Confirm(ctx, orgID, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Error != "" || results[1].Error != "User not valid." {
		t.Errorf("bulk results = %+v", results)
	}
	var bulk struct{ Keys []struct{ ID, Key string } }
	f.body("POST /api/organizations/"+orgID+"/users/confirm", &bulk)
	if len(bulk.Keys) != 2 || bulk.Keys[1].ID != m2.id {
		t.Fatalf("bulk keys = %+v", bulk.Keys)
	}
	checkShared(t, f, m2.acct, bulk.Keys[1].Key)
}

// checkShared fails unless enc opens with the member's private key to the organization key.
func checkShared(t *testing.T, f *fake, member *bwcrypto.Account, enc string) {
	t.Helper()
	k, err := member.OpenSharedKey(enc)
	if err != nil || !sameKey(k, f.orgKey) {
		t.Errorf("the confirm key does not give the member the organization key: %v", err)
	}
}

func TestCollectionsAreEncryptedUnderTheOrganizationKey(t *testing.T) {
	f := newFake(t)
	enc, _ := f.orgKey.Encrypt(rand.Reader, []byte("Engineering"))
	other, _ := bwcrypto.NewSymmetricKey(rand.Reader)
	foreign, _ := other.Encrypt(rand.Reader, []byte("Foreign"))
	f.handle("GET /api/organizations/{org}/collections", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{
			map[string]any{"id": "c1", "organizationId": orgID, "name": enc.String(), "type": 0},
			map[string]any{"id": "c2", "organizationId": orgID, "name": foreign.String(), "type": 0},
		}})
	})
	f.handle("POST /api/organizations/{org}/collections", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "c3", "organizationId": orgID, "name": "ignored"})
	})
	c := login(t, f)
	cs, err := c.Collections(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].Name != "Engineering" || cs[0].Undecryptable || !cs[1].Undecryptable {
		t.Errorf("collections = %+v", cs)
	}
	out, err := c.CreateCollection(context.Background(), orgID, adminclient.NewCollection{Name: "Sales"})
	if err != nil || out.ID != "c3" || out.Name != "Sales" {
		t.Fatalf("create = %+v, %v", out, err)
	}
	var req struct {
		Name  string
		Users []adminclient.Access
	}
	f.body("POST /api/organizations/"+orgID+"/collections", &req)
	if name, err := f.orgKey.DecryptString(req.Name); err != nil || string(name) != "Sales" {
		t.Errorf("name = %q, %v", name, err)
	}
	if len(req.Users) != 1 || req.Users[0] != (adminclient.Access{ID: ownMember, Manage: true}) {
		t.Errorf("users = %+v, want the admin's own membership with manage", req.Users)
	}
}

func TestOrgKeyOfAnOrganizationOfSomeoneElse(t *testing.T) {
	f := newFake(t)
	c := login(t, f)
	_, err := c.OrgKey(context.Background(), "00000000-0000-4000-8000-00000000ffff")
	if err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Errorf("err = %v", err)
	}
}

func TestServerErrorsKeepTheServerMessage(t *testing.T) {
	cases := []struct {
		name  string
		reply http.HandlerFunc
		want  string
	}{
		{"message", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 400, map[string]any{"message": "This user has already been invited.", "object": "error"})
		}, "invite to organization " + orgID + ": This user has already been invited."},
		{"validation errors", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 400, map[string]any{"message": "The model state is invalid.",
				"validationErrors": map[string][]string{"Emails": {"Invalid email."}}})
		}, "invite to organization " + orgID + ": The model state is invalid. [Emails: Invalid email.]"},
		{"plain text", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("bad gateway\n"))
		}, "invite to organization " + orgID + ": bad gateway"},
		{"no body", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) },
			"invite to organization " + orgID + ": the server answered 404 Not Found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.handle("POST /api/organizations/{org}/users/invite", tc.reply)
			err := login(t, f).Invite(context.Background(), orgID, adminclient.Invitation{Emails: []string{"a@b.c"}})
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCallsBeforeLogin(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	if _, err := c.Members(context.Background(), orgID); !errors.Is(err, adminclient.ErrNotLoggedIn) {
		t.Errorf("err = %v", err)
	}
}

func TestNewRefusesBadServers(t *testing.T) {
	for _, s := range []string{"", "vault.example.com", "ftp://x", "https://x/?a=b", "https://u:p@x"} {
		if _, err := adminclient.New(adminclient.Options{Server: s}); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
	if _, err := adminclient.New(adminclient.Options{Server: "https://x", CAFile: "/nonexistent.pem"}); err == nil {
		t.Error("a missing CA file was accepted")
	}
}

func sameKey(a, b bwcrypto.SymmetricKey) bool { return bytes.Equal(a.Bytes(), b.Bytes()) }
