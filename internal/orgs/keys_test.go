package orgs_test

import (
	"net/http"
	"testing"

	"github.com/castellan-vault/castellan/internal/orgs"
)

// TestKeysVisibility: a confirmed member reads both keys; anyone else logged in (an invitee, an
// accepted member, an outsider) reads the public key alone, which account recovery enrolment needs
// before confirmation; an unknown organization is a 404.
func TestKeysVisibility(t *testing.T) {
	a, f := newFixture(t, orgs.Config{})
	for _, path := range []string{"/keys", "/public-key"} {
		var own struct{ PublicKey, PrivateKey string }
		a.must(f.owner, "GET", "/api/organizations/"+f.org+path, nil).decode(t, &own)
		if own.PublicKey == "" || (path == "/keys") != (own.PrivateKey != "") {
			t.Errorf("owner %s: public %q private %q", path, own.PublicKey, own.PrivateKey)
		}
		for name, user := range map[string]string{"accepted": f.accepted, "outsider": f.outside} {
			var k map[string]any
			a.must(user, "GET", "/api/organizations/"+f.org+path, nil).decode(t, &k)
			if k["publicKey"] != own.PublicKey || k["privateKey"] != nil {
				t.Errorf("%s %s: %v, want the public key alone", name, path, k)
			}
		}
		r := a.do(f.outside, "GET", "/api/organizations/00000000-0000-4000-8000-000000000000"+path, nil)
		if r.Status != http.StatusNotFound {
			t.Errorf("unknown organization %s: %d %s", path, r.Status, r.Body)
		}
	}
}
