package sso_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// accessClaims decodes the (already verified by the server) access token's payload.
func accessClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWS: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestJITWithoutInvitation: a person the provider signs in for the first time gets an account
// without a master password, an Invited User membership and a link; the token response says there
// is no master password, and the access token is marked external with the organization.
func TestJITWithoutInvitation(t *testing.T) {
	e := newEnv(t)
	users := e.count("users")
	tr := e.login()
	if e.count("users") != users+1 || e.count("sso_links") != 1 {
		t.Fatalf("users %d (before %d), links %d", e.count("users"), users, e.count("sso_links"))
	}
	if tr.UserDecryptionOptions.HasMasterPassword || tr.UserDecryptionOptions.MasterPasswordUnlock != nil || tr.Key != "" {
		t.Errorf("decryption options of a new account: %+v, key %q", tr.UserDecryptionOptions, tr.Key)
	}
	c := accessClaims(t, tr.AccessToken)
	if amr, _ := c["amr"].([]any); !slices.Contains(amr, any("external")) || c["org_id"] != e.orgID ||
		c["email"] != "alice@example.com" {
		t.Errorf("access token claims %v", c)
	}
	ms, err := e.admin.Members(e.ctx, e.orgID)
	if err != nil {
		t.Fatal(err)
	}
	var alice *adminclient.Member
	for i := range ms {
		if ms[i].Email == "alice@example.com" {
			alice = &ms[i]
		}
	}
	if alice == nil || alice.Status != adminclient.StatusInvited || alice.Type != adminclient.RoleUser {
		t.Fatalf("alice's membership: %+v", alice)
	}
	var events int
	e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_events WHERE type = 1510 AND organization_id = ?
		AND user_id IS NOT NULL AND organization_user_id = ?`, e.orgID, alice.ID).Scan(&events)
	if events != 1 {
		t.Errorf("OrganizationUser_FirstSsoLogin events: %d", events)
	}
	// A second sign-in finds the link and creates nothing.
	before := e.snapshot()
	e.login()
	if after := e.snapshot(); after["users"] != before["users"] || after["sso_links"] != before["sso_links"] ||
		after["organization_users"] != before["organization_users"] {
		t.Errorf("second sign-in created rows: %v -> %v", before, after)
	}
}

// TestPrevalidateRefusesUnknownAndDisabled: the official message for every identifier that cannot
// start a sign-in, with nothing telling them apart.
func TestPrevalidateRefusesUnknownAndDisabled(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, ident := range []string{"nope", "ACME-other", strings.Repeat("x", 60), "a b"} {
		r := b.get(e.srv.URL + "/identity/sso/prevalidate?domainHint=" + strings.ReplaceAll(ident, " ", "%20"))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"message":"Invalid SSO identifier"`) {
			t.Errorf("%q: %d %s", ident, r.status, r.body)
		}
	}
	if r := b.get(e.srv.URL + "/identity/sso/prevalidate"); r.status != http.StatusBadRequest {
		t.Errorf("no domain hint: %d", r.status)
	}
	// The identifier is matched without regard to case.
	b.prevalidate("ACME")
	cfg, err := e.admin.SSO(e.ctx, e.orgID)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Enabled = false
	if _, err := e.admin.SetSSO(e.ctx, e.orgID, *cfg, ""); err != nil {
		t.Fatal(err)
	}
	r := b.get(e.srv.URL + "/identity/sso/prevalidate?domainHint=acme")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Invalid SSO identifier") {
		t.Errorf("disabled: %d %s", r.status, r.body)
	}
}

// TestSignInOnEveryEngine: the provisioning transaction (organization lock, account, membership,
// link, events, code) and set-password on SQLite, PostgreSQL and MariaDB.
func TestSignInOnEveryEngine(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		e := newEnvOn(t, db)
		tr := e.login()
		acct, err := bwcrypto.NewAccount("alice@example.com", password, testKDF, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		e.call(tr.AccessToken, "POST", "/api/accounts/set-password", legacySetPassword(acct, identifier), nil,
			http.StatusOK)
		if tr = e.login(); !tr.UserDecryptionOptions.HasMasterPassword {
			t.Errorf("second sign-in: %+v", tr.UserDecryptionOptions)
		}
		if m := e.member("alice@example.com"); m.Status != adminclient.StatusAccepted || e.count("sso_links") != 1 {
			t.Errorf("membership %+v, links %d", m, e.count("sso_links"))
		}
	})
}
