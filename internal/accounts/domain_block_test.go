package accounts_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
)

// fakeBlock blocks one domain, or fails when err is set.
type fakeBlock struct {
	domain string
	err    error
	asked  []string
}

func (f *fakeBlock) BlockedDomain(_ context.Context, domain string) (bool, error) {
	f.asked = append(f.asked, domain)
	return domain == f.domain, f.err
}

func TestRegistrationOnBlockedDomain(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	block := &fakeBlock{domain: "blocked.example"}
	e.App.Accounts.DomainBlock = block
	a := identitytest.NewAccount(t, "ada@blocked.example", "pw")
	for _, tc := range []struct {
		path string
		body map[string]any
	}{
		{"/identity/accounts/register/send-verification-email",
			map[string]any{"email": "Ada@Blocked.Example", "name": "Ada"}},
		{"/identity/accounts/register/finish", identitytest.FinishRequest(a)},
		{"/identity/accounts/register", legacyRequest(a)},
	} {
		w := e.JSON(http.MethodPost, tc.path, tc.body, "")
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "single sign-on") {
			t.Fatalf("%s: %d %s, want 400 naming single sign-on", tc.path, w.Code, w.Body)
		}
	}
	if users(t, e) != 0 || len(block.asked) != 3 || block.asked[0] != "blocked.example" {
		t.Fatalf("stored %d users; asked %v", users(t, e), block.asked)
	}
	e.Register(t, identitytest.NewAccount(t, "bob@open.example", "pw"))

	// A failing check refuses rather than lets the account through.
	block.err = errors.New("database down")
	w := e.JSON(http.MethodPost, "/identity/accounts/register", legacyRequest(identitytest.NewAccount(t,
		"carol@open.example", "pw")), "")
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "database down") {
		t.Fatalf("failing check: %d %s", w.Code, w.Body)
	}
	if users(t, e) != 1 {
		t.Fatalf("users = %d, want 1", users(t, e))
	}
}
