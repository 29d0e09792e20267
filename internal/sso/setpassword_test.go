package sso_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// legacySetPassword is the V1 body of set-password for acct.
func legacySetPassword(acct *bwcrypto.Account, org string) map[string]any {
	return map[string]any{"masterPasswordHash": acct.MasterPasswordHash, "key": acct.Key,
		"keys": map[string]any{"publicKey": acct.PublicKey, "encryptedPrivateKey": acct.EncryptedPrivateKey},
		"kdf":  int(acct.KDF.Kind), "kdfIterations": acct.KDF.Iterations, "masterPasswordHint": "a hint",
		"orgIdentifier": org}
}

// currentSetPassword is the body current clients send: the authentication and unlock objects and
// the account keys.
func currentSetPassword(acct *bwcrypto.Account, org string) map[string]any {
	kdf := map[string]any{"kdfType": int(acct.KDF.Kind), "iterations": acct.KDF.Iterations}
	return map[string]any{
		"masterPasswordAuthentication": map[string]any{"kdf": kdf, "salt": acct.Email,
			"masterPasswordAuthenticationHash": acct.MasterPasswordHash},
		"masterPasswordUnlock": map[string]any{"kdf": kdf, "salt": acct.Email, "masterKeyWrappedUserKey": acct.Key},
		"accountKeys": map[string]any{"userKeyEncryptedAccountPrivateKey": acct.EncryptedPrivateKey,
			"accountPublicKey": acct.PublicKey},
		"orgIdentifier": org,
	}
}

// passwordLogin takes a token with the password grant and returns the status and response.
func (e *env) passwordLogin(acct *bwcrypto.Account) (int, tokenResponse) {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {acct.Email}, "password": {acct.MasterPasswordHash},
		"scope": {"api offline_access"}, "client_id": {"cli"}, "deviceType": {"25"},
		"deviceIdentifier": {uuid.NewString()}, "deviceName": {"linux"}}
	resp, err := e.srv.Client().PostForm(e.srv.URL+"/identity/connect/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&tr)
	return resp.StatusCode, tr
}

// TestSetPassword: both request shapes; the membership becomes Accepted; the account then logs in
// with the password and unlocks with the data the server returns; a second set-password is refused.
func TestSetPassword(t *testing.T) {
	for name, body := range map[string]func(*bwcrypto.Account, string) map[string]any{
		"Legacy": legacySetPassword, "Current": currentSetPassword} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			tr := e.login()
			acct, err := bwcrypto.NewAccount("alice@example.com", password, testKDF, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			var status map[string]any
			e.call(tr.AccessToken, "GET", "/api/organizations/"+identifier+"/auto-enroll-status", nil, &status, http.StatusOK)
			if status["id"] != e.orgID || status["resetPasswordEnabled"] != false ||
				status["object"] != "organizationAutoEnrollStatus" {
				t.Errorf("auto-enroll status %v", status)
			}
			e.call(tr.AccessToken, "POST", "/api/accounts/set-password", body(acct, "ACME"), nil, http.StatusOK)
			if m := e.member("alice@example.com"); m.Status != adminclient.StatusAccepted {
				t.Errorf("membership after set-password: %+v", m)
			}
			code, login := e.passwordLogin(acct)
			if code != http.StatusOK || login.Key != acct.Key || login.UserDecryptionOptions.MasterPasswordUnlock == nil ||
				login.UserDecryptionOptions.MasterPasswordUnlock.Salt != "alice@example.com" {
				t.Fatalf("password login after set-password: %d %+v", code, login)
			}
			if _, err := bwcrypto.UnlockAccount(acct.Email, password, testKDF, login.Key, acct.EncryptedPrivateKey); err != nil {
				t.Errorf("unlock with the stored key: %v", err)
			}
			if e.events(1001) != 1 {
				t.Errorf("User_ChangedPassword events: %d", e.events(1001))
			}
			again, _ := bwcrypto.NewAccount("alice@example.com", "another password", testKDF, rand.Reader)
			raw := e.call(tr.AccessToken, "POST", "/api/accounts/set-password", body(again, identifier), nil,
				http.StatusBadRequest)
			if !strings.Contains(string(raw), "already has a master password") {
				t.Errorf("second set-password: %s", raw)
			}
			if code, _ := e.passwordLogin(again); code == http.StatusOK {
				t.Errorf("the second password was stored")
			}
		})
	}
}

// TestSetPasswordRefusals: every refusal leaves the account without a master password and the
// membership Invited.
func TestSetPasswordRefusals(t *testing.T) {
	e := newEnv(t)
	if _, err := e.admin.CreateOrganization(e.ctx, adminclient.NewOrganization{Name: "Beta",
		BillingEmail: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	tr := e.login()
	acct, _ := bwcrypto.NewAccount("alice@example.com", password, testKDF, rand.Reader)
	other, _ := bwcrypto.NewAccount("mallory@example.com", password, testKDF, rand.Reader)
	cases := map[string]struct {
		body map[string]any
		want string
	}{
		"NoIdentifier":      {legacySetPassword(acct, ""), "OrgIdentifier"},
		"UnknownIdentifier": {legacySetPassword(acct, "nope"), "No organization has this SSO identifier."},
		"WrongSalt":         {currentSetPassword(other, identifier), "salt"},
		"LowKDF": {func() map[string]any {
			b := legacySetPassword(acct, identifier)
			b["kdfIterations"] = 1
			return b
		}(), "PBKDF2 iterations"},
		"NoKeys": {func() map[string]any {
			b := legacySetPassword(acct, identifier)
			delete(b, "keys")
			return b
		}(), "key pair"},
		"BadKey": {func() map[string]any {
			b := legacySetPassword(acct, identifier)
			b["key"] = "not an encstring"
			return b
		}(), "Key"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			raw := e.call(tr.AccessToken, "POST", "/api/accounts/set-password", tc.body, nil, http.StatusBadRequest)
			if !strings.Contains(string(raw), tc.want) {
				t.Errorf("answer %s lacks %q", raw, tc.want)
			}
		})
	}
	if code, _ := e.passwordLogin(acct); code == http.StatusOK {
		t.Errorf("a refused set-password stored a password")
	}
	if m := e.member("alice@example.com"); m.Status != adminclient.StatusInvited {
		t.Errorf("membership after refusals: %+v", m)
	}
	// Not a member of Beta (which has no identifier yet): an unknown organization; a member of
	// nothing at all gets 404 from auto-enroll-status.
	e.call(tr.AccessToken, "GET", "/api/organizations/nope/auto-enroll-status", nil, nil, http.StatusNotFound)
}

// TestSetPasswordNeedsMembership: an SSO account whose membership was removed cannot name the
// organization any more.
func TestSetPasswordNeedsMembership(t *testing.T) {
	e := newEnv(t)
	tr := e.login()
	if err := e.admin.Remove(e.ctx, e.orgID, e.member("alice@example.com").ID); err != nil {
		t.Fatal(err)
	}
	acct, _ := bwcrypto.NewAccount("alice@example.com", password, testKDF, rand.Reader)
	raw := e.call(tr.AccessToken, "POST", "/api/accounts/set-password", legacySetPassword(acct, identifier), nil,
		http.StatusBadRequest)
	if !strings.Contains(string(raw), "not a member") {
		t.Errorf("answer %s", raw)
	}
	e.call(tr.AccessToken, "GET", "/api/organizations/"+identifier+"/auto-enroll-status", nil, nil, http.StatusNotFound)
}
