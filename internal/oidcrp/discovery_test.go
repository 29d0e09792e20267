package oidcrp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDiscoveryUnreachableProviderClosedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	rp := New(Options{Timeout: 2 * time.Second})
	cfg := Config{OrgID: "o", Authority: "http://" + addr, ClientID: "c", ClientSecret: "s"}
	_, err = rp.Start(context.Background(), cfg, testRedirect)
	if !errors.Is(err, ErrDiscovery) {
		t.Fatalf("closed port: %v", err)
	}
}

// TestDiscoveryUnreachableProviderTimeout: a provider that accepts the connection and never
// answers gives a discovery error once the RP's timeout passes, not a hang.
func TestDiscoveryUnreachableProviderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	rp := New(Options{Timeout: 50 * time.Millisecond})
	cfg := Config{OrgID: "o", Authority: srv.URL, ClientID: "c", ClientSecret: "s"}
	done := make(chan error, 1)
	go func() {
		_, err := rp.Start(context.Background(), cfg, testRedirect)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDiscovery) {
			t.Fatalf("hanging provider: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Start hangs on a provider that never answers")
	}
}

func TestDiscoveryRefusesBadDocuments(t *testing.T) {
	cases := map[string]func(op *testOP) func(d map[string]any){
		"issuer is not the authority": func(op *testOP) func(d map[string]any) {
			return func(d map[string]any) { d["issuer"] = "https://other.example.test" }
		},
		"no jwks_uri": func(*testOP) func(d map[string]any) {
			return func(d map[string]any) { delete(d, "jwks_uri") }
		},
		"token endpoint over plain http": func(*testOP) func(d map[string]any) {
			return func(d map[string]any) { d["token_endpoint"] = "http://idp.example.test/token" }
		},
		"only symmetric or no signing": func(*testOP) func(d map[string]any) {
			return func(d map[string]any) {
				d["id_token_signing_alg_values_supported"] = []string{"HS256", "none"}
			}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			op := newTestOP(t)
			op.discovery = mk(op)
			_, err := op.rp().Start(context.Background(), op.config(), testRedirect)
			if !errors.Is(err, ErrDiscovery) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// TestKeySetUnreachable: discovery worked but the key set cannot be fetched; the sign-in is
// refused as a provider problem, not blamed on the token.
func TestKeySetUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	op := newTestOP(t)
	op.discovery = func(d map[string]any) { d["jwks_uri"] = "https://" + closed + "/jwks" }
	res, err := signIn(t, op, op.rp(), op.config(), nil)
	if res != nil || !errors.Is(err, ErrDiscovery) {
		t.Fatalf("got %v (%v)", err, errors.Unwrap(err))
	}
}

func TestDiscoveryRefusesHugeDocument(t *testing.T) {
	op := newTestOP(t)
	op.discovery = func(d map[string]any) { d["padding"] = strings.Repeat("x", maxResponseBytes) }
	_, err := op.rp().Start(context.Background(), op.config(), testRedirect)
	if !errors.Is(err, ErrDiscovery) || !errors.Is(err, errResponseTooLarge) {
		t.Fatalf("got %v (%v)", err, errors.Unwrap(err))
	}
}

func TestDiscoveryTrailingSlashAuthority(t *testing.T) {
	op := newTestOP(t)
	cfg := op.config()
	cfg.Authority += "/"
	if _, err := signIn(t, op, op.rp(), cfg, nil); err != nil {
		t.Fatal(err)
	}
}

// TestDiscoveryMetadataAddress: with an override, the document's issuer is the expected one
// even when it differs from the authority (Azure AD B2C style).
func TestDiscoveryMetadataAddress(t *testing.T) {
	op := newTestOP(t)
	cfg := op.config()
	cfg.Authority = op.issuer() + "/tenant/policy/v2.0"
	cfg.MetadataAddress = op.issuer() + "/custom-metadata"
	if _, err := signIn(t, op, op.rp(), cfg, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoveryCacheByRevision(t *testing.T) {
	op := newTestOP(t)
	rp, cfg := op.rp(), op.config()
	for range 3 {
		if _, err := signIn(t, op, rp, cfg, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := op.count("discovery"); n != 1 {
		t.Fatalf("%d discoveries for one revision", n)
	}
	if n := op.count("jwks"); n != 1 {
		t.Fatalf("%d key fetches for one revision", n)
	}
	cfg.Revision = "2"
	if _, err := signIn(t, op, rp, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if n := op.count("discovery"); n != 2 {
		t.Fatalf("new revision: %d discoveries", n)
	}
	op.clock.Advance(DefaultCacheTTL)
	if _, err := rp.Start(context.Background(), cfg, testRedirect); err != nil {
		t.Fatal(err)
	}
	if n := op.count("discovery"); n != 3 {
		t.Fatalf("after the TTL: %d discoveries", n)
	}
}

func TestProviderCacheEvictsOldest(t *testing.T) {
	c := newProviderCache(2, time.Hour)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, k := range []string{"a", "b", "c"} {
		c.put(k, &provider{fetched: t0.Add(time.Duration(i) * time.Minute)})
	}
	now := t0.Add(5 * time.Minute)
	if c.get("a", now) != nil || c.get("b", now) == nil || c.get("c", now) == nil {
		t.Fatal("the oldest entry should have gone")
	}
}
