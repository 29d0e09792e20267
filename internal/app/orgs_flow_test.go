package app_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// mailbox is a mail.Sender that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

var joinLink = regexp.MustCompile(`https://\S*accept-organization\?\S+`)

// join returns the query of the Join link of the newest message.
func (m *mailbox) join(t *testing.T) url.Values {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no message was sent")
	}
	link := joinLink.FindString(m.msgs[len(m.msgs)-1].Text)
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no Join link in %q", m.msgs[len(m.msgs)-1].Text)
	}
	_, query, _ := cutFragment(u.Fragment)
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func cutFragment(f string) (string, string, bool) {
	for i := range f {
		if f[i] == '?' {
			return f[:i], f[i+1:], true
		}
	}
	return f, "", false
}

// orgEnv wires the whole application on db with the mailbox as its mail.
func orgEnv(t *testing.T, db *storage.DB, s app.AccountSettings, box *mailbox) *identitytest.Env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	a, err := app.New(context.Background(), app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk, DB: db,
		PublicURL: identitytest.PublicURL, MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), Accounts: s, Mail: box,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &identitytest.Env{App: a, Handler: a.Handler(), Clock: clk, DB: db}
}

func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("not the expected JSON (%v): %s", err, body)
	}
}

// TestInvitedRegistrationAndSharedItem runs the membership journey through the whole application,
// with the clients' cryptography: an owner creates an organization with real keys; an invited
// address registers although registration is closed, accepts, is confirmed with the organization key
// encrypted to its public key, and decrypts both that key and an item of a shared collection.
func TestInvitedRegistrationAndSharedItem(t *testing.T) {
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	box := &mailbox{}
	open := orgEnv(t, db, app.AccountSettings{}, box)
	owner, ownerTok := open.RegisterAndLogin(t, "owner@example.com", "owner password")
	e := orgEnv(t, db, app.AccountSettings{RegistrationClosed: true}, box)
	orgKey, err := bwcrypto.NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	orgID, collID := createOrg(t, e, owner, ownerTok.AccessToken, orgKey)

	w := e.JSON("POST", "/api/organizations/"+orgID+"/users/invite", map[string]any{"type": 2,
		"emails": []string{"newbie@example.com"}, "collections": []any{map[string]any{"id": collID}}},
		ownerTok.AccessToken)
	if w.Code != 200 {
		t.Fatalf("invite: %d %s", w.Code, w.Body)
	}
	join := box.join(t)
	if join.Get("email") != "newbie@example.com" || join.Get("orgUserHasExistingUser") != "false" {
		t.Fatalf("Join link query %v", join)
	}
	memberID, token := join.Get("organizationUserId"), join.Get("token")

	stranger := identitytest.NewAccount(t, "stranger@example.com", "pw")
	req := identitytest.FinishRequest(stranger)
	req["organizationUserId"], req["orgInviteToken"] = memberID, token
	if w := e.JSON("POST", "/identity/accounts/register/finish", req, ""); w.Code != 400 {
		t.Fatalf("another address registered with the invitation: %d %s", w.Code, w.Body)
	}
	newbie := identitytest.NewAccount(t, "newbie@example.com", "newbie password")
	req = identitytest.FinishRequest(newbie)
	req["organizationUserId"], req["orgInviteToken"] = memberID, token
	if w := e.JSON("POST", "/identity/accounts/register/finish", req, ""); w.Code != 200 {
		t.Fatalf("invited registration with registration closed: %d %s", w.Code, w.Body)
	}
	newbieTok := e.Login(t, newbie)
	if w := e.JSON("POST", "/api/organizations/"+orgID+"/users/"+memberID+"/accept",
		map[string]any{"token": token}, newbieTok.AccessToken); w.Code != 200 {
		t.Fatalf("accept: %d %s", w.Code, w.Body)
	}
	key, err := bwcrypto.ShareKey(rand.Reader, orgKey, newbie.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if w := e.JSON("POST", "/api/organizations/"+orgID+"/users/"+memberID+"/confirm",
		map[string]any{"key": key}, ownerTok.AccessToken); w.Code != 200 {
		t.Fatalf("confirm: %d %s", w.Code, w.Body)
	}
	name, _ := orgKey.Encrypt(rand.Reader, []byte("Shared login"))
	w = e.JSON("POST", "/api/ciphers/create", map[string]any{"cipher": map[string]any{"type": 2,
		"organizationId": orgID, "name": name.String(), "secureNote": map[string]any{"type": 0}},
		"collectionIds": []string{collID}}, ownerTok.AccessToken)
	if w.Code != 200 {
		t.Fatalf("create shared item: %d %s", w.Code, w.Body)
	}
	checkMemberSync(t, e, newbie, newbieTok.AccessToken, orgID, orgKey)
}

// createOrg creates an organization the way the web vault does and returns it and its collection.
func createOrg(t *testing.T, e *identitytest.Env, owner *bwcrypto.Account, token string,
	orgKey bwcrypto.SymmetricKey) (string, string) {
	t.Helper()
	priv, err := bwcrypto.GenerateRSAKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := bwcrypto.EncodePublicKey(&priv.PublicKey)
	wrapped, _ := bwcrypto.WrapPrivateKey(rand.Reader, priv, orgKey)
	key, _ := bwcrypto.ShareKey(rand.Reader, orgKey, owner.PublicKey)
	coll, _ := orgKey.Encrypt(rand.Reader, []byte("Default collection"))
	w := e.JSON("POST", "/api/organizations", map[string]any{"name": "Acme", "billingEmail": owner.Email,
		"planType": 20, "key": key, "keys": map[string]any{"publicKey": pub,
			"encryptedPrivateKey": wrapped.String()},
		"collectionName": coll.String()}, token)
	if w.Code != 200 {
		t.Fatalf("create organization: %d %s", w.Code, w.Body)
	}
	var o struct{ ID string }
	decode(t, w.Body.Bytes(), &o)
	var l struct{ Data []struct{ ID string } }
	decode(t, e.JSON("GET", "/api/organizations/"+o.ID+"/collections", nil, token).Body.Bytes(), &l)
	if len(l.Data) != 1 {
		t.Fatalf("collections of the new organization: %+v", l)
	}
	return o.ID, l.Data[0].ID
}

// checkMemberSync checks that the member's sync carries the organization key, which opens with the
// member's private key, and the shared item, which opens with that key.
func checkMemberSync(t *testing.T, e *identitytest.Env, member *bwcrypto.Account, token, orgID string,
	orgKey bwcrypto.SymmetricKey) {
	t.Helper()
	w := e.JSON("GET", "/api/sync?excludeDomains=true", nil, token)
	var s struct {
		Profile struct {
			EmailVerified bool
			Organizations []struct {
				ID     string
				Key    string
				Status int
			}
		}
		Collections []struct{ ID string }
		Ciphers     []struct{ Name string }
	}
	decode(t, w.Body.Bytes(), &s)
	if !s.Profile.EmailVerified || len(s.Profile.Organizations) != 1 || s.Profile.Organizations[0].Status != 2 {
		t.Fatalf("member profile %+v", s.Profile)
	}
	got, err := bwcrypto.OpenSharedKey(member.PrivateKey, s.Profile.Organizations[0].Key)
	if err != nil || string(got.Bytes()) != string(orgKey.Bytes()) {
		t.Fatalf("the organization key in the profile does not open to the organization key: %v", err)
	}
	if len(s.Collections) != 1 || len(s.Ciphers) != 1 {
		t.Fatalf("member sync: %d collections, %d items", len(s.Collections), len(s.Ciphers))
	}
	plain, err := got.DecryptString(s.Ciphers[0].Name)
	if err != nil || string(plain) != "Shared login" {
		t.Fatalf("shared item name: %q, %v", plain, err)
	}
}
