package oidcrp

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/provision"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// Interop tests run the RP against real providers (node oidc-provider and Dex, from
// scripts/install-test-tools). They skip when a tool is missing, and fail under CI=true.

const interopRedirect = "http://127.0.0.1:1/sso/oidc/callback"

// interopSignIn starts a sign-in, lets login play the provider's pages, and finishes it.
type loginFunc func(ctx context.Context, authURL string) (*url.URL, error)

func interopSignIn(t *testing.T, cfg Config, login loginFunc, edit func(url.Values)) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rp := New(Options{Timeout: 10 * time.Second})
	a, err := rp.Start(ctx, cfg, interopRedirect)
	if err != nil {
		t.Fatalf("Start: %v (%v)", err, errors.Unwrap(err))
	}
	cb, err := login(ctx, a.URL)
	if err != nil {
		t.Fatalf("provider login: %v", err)
	}
	q := cb.Query()
	if edit != nil {
		edit(q)
	}
	return rp.Finish(ctx, cfg, a.Flow, q)
}

func TestInteropNodeOIDCProvider(t *testing.T) {
	p := testpeers.StartOIDCProvider(t, testpeers.OIDCProviderConfig{
		Clients: []testpeers.OIDCClient{{ID: "castellan", Secret: testSecret,
			RedirectURIs: []string{interopRedirect}, AuthMethod: "client_secret_basic"}},
		Accounts: []testpeers.OIDCAccount{{Login: "alice", Email: "alice@example.com", EmailVerified: true,
			Name: "Alice Adams"}, {Login: "eve", Email: "eve@example.com"}},
	})
	cfg := Config{OrgID: "org-1", Revision: "1", Authority: p.Issuer, ClientID: "castellan",
		ClientSecret: testSecret, GetClaimsFromUserInfo: true}
	login := func(user string) loginFunc {
		return func(ctx context.Context, authURL string) (*url.URL, error) {
			return p.Login(ctx, nil, authURL, user, "any", interopRedirect)
		}
	}
	var iss string
	res, err := interopSignIn(t, cfg, login("alice"), func(q url.Values) { iss = q.Get("iss") })
	if err != nil {
		t.Fatalf("Finish: %v (%v)", err, errors.Unwrap(err))
	}
	if res.Subject != "alice" || res.Email != "alice@example.com" || !res.EmailVerified || iss != p.Issuer {
		t.Fatalf("result %+v, iss parameter %q", res, iss)
	}
	// oidc-provider advertises RFC 9207, so a callback stripped of iss is refused.
	_, err = interopSignIn(t, cfg, login("alice"), func(q url.Values) { q.Del("iss") })
	if !errors.Is(err, ErrIssuerParam) {
		t.Fatalf("callback without iss: %v", err)
	}
	// An unverified address passes the RP and is refused by provisioning.
	res, err = interopSignIn(t, cfg, login("eve"), nil)
	if err != nil {
		t.Fatalf("Finish: %v (%v)", err, errors.Unwrap(err))
	}
	id, err := provision.Resolve(res.Assertion(), provision.ClaimConfig{}, nil)
	if err != nil || id.EmailVerified {
		t.Fatalf("eve's unverified address counted as verified: %+v %v", id, err)
	}
}

func TestInteropDex(t *testing.T) {
	d := testpeers.StartDex(t, testpeers.DexConfig{
		Clients: testpeers.DefaultDexClients(interopRedirect),
	})
	c := d.Clients[0]
	cfg := Config{OrgID: "org-1", Revision: "1", Authority: d.Issuer, ClientID: c.ID,
		ClientSecret: secret.String(c.Secret), AdditionalScopes: []string{"groups"}}
	res, err := interopSignIn(t, cfg, func(ctx context.Context, authURL string) (*url.URL, error) {
		return d.Login(ctx, nil, authURL, "alice@example.com", "alicepass", interopRedirect)
	}, nil)
	if err != nil {
		t.Fatalf("Finish: %v (%v)", err, errors.Unwrap(err))
	}
	if res.Email != "alice@example.com" || !res.EmailVerified || countType(res.Claims, "groups") != 2 {
		t.Fatalf("result %+v", res)
	}
}
