package sso_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// TestSAMLSignIn: an SP-initiated sign-in on the HTTP-Redirect binding: castellan sends a
// persistent-NameID AuthnRequest, accepts the signed answer, provisions alice (an account, an
// Invited membership, a link keyed by the persistent NameID) and sends the client its code, which
// redeems; a second sign-in finds the link and creates nothing.
func TestSAMLSignIn(t *testing.T) {
	s := newSAMLEnv(t, nil)
	before := s.snapshot()
	tr := s.login()
	if tr.UserDecryptionOptions.HasMasterPassword {
		t.Errorf("a new account has a master password: %+v", tr.UserDecryptionOptions)
	}
	if got := s.link("alice@example.com"); got != "alice-0001" {
		t.Errorf("external id %q, want the persistent NameID", got)
	}
	m := s.member("alice@example.com")
	if m == nil || m.Status != adminclient.StatusInvited {
		t.Fatalf("alice's membership: %+v", m)
	}
	after := s.snapshot()
	if after["users"] != before["users"]+1 || after["sso_links"] != before["sso_links"]+1 {
		t.Errorf("rows %v -> %v", before, after)
	}
	s.login()
	if again := s.snapshot(); again["users"] != after["users"] || again["sso_links"] != after["sso_links"] {
		t.Errorf("second sign-in created rows: %v -> %v", after, again)
	}
	for _, leak := range []string{"alice-0001", "alice@example.com", "SAMLResponse", "PRIVATE KEY"} {
		if strings.Contains(s.logs.String(), leak) {
			t.Errorf("the log holds %q", leak)
		}
	}
	_ = http.StatusOK
}
