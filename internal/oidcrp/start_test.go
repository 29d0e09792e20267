package oidcrp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/castellan-vault/castellan/internal/secret"
)

func TestStartBuildsTheAuthorizationRequest(t *testing.T) {
	op := newTestOP(t)
	rnd := bytes.Repeat([]byte{1}, 32)
	rnd = append(append(rnd, bytes.Repeat([]byte{2}, 32)...), bytes.Repeat([]byte{3}, 32)...)
	rp := New(Options{HTTPClient: op.srv.Client(), Clock: op.clock, Rand: bytes.NewReader(rnd)})
	cfg := op.config()
	cfg.AdditionalScopes = []string{"groups", "email"}
	cfg.AcrValues = "urn:mfa phr"
	a, err := rp.Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	want := Flow{OrgID: "org-1", State: secret.String(enc(rnd[:32])), Nonce: secret.String(enc(rnd[32:64])),
		CodeVerifier: secret.String(enc(rnd[64:])), RedirectURI: testRedirect,
		ExpiresAt: op.clock.Now().Add(DefaultFlowLifetime)}
	if a.Flow != want {
		t.Fatalf("flow from the injected randomness: %#v", a.Flow)
	}
	u, err := url.Parse(a.URL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != op.issuer()+"/authorize" || a.Form != nil {
		t.Fatalf("authorization URL %q (%v)", a.URL, err)
	}
	q := u.Query()
	checks := map[string]string{
		"response_type": "code", "client_id": testClientID, "redirect_uri": testRedirect,
		"scope": "openid email profile groups", "state": want.State.Reveal(), "nonce": want.Nonce.Reveal(),
		"code_challenge_method": "S256", "acr_values": "urn:mfa phr",
		"code_challenge": oauth2.S256ChallengeFromVerifier(want.CodeVerifier.Reveal()),
	}
	for k, v := range checks {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("code_verifier") || q.Has("client_secret") || strings.Contains(a.URL, testSecret) {
		t.Errorf("secret in the authorization URL: %s", a.URL)
	}
}

func TestStartFormPost(t *testing.T) {
	op := newTestOP(t)
	op.discovery = func(d map[string]any) {
		d["authorization_endpoint"] = op.issuer() + "/authorize?p=B2C_1_signin"
	}
	cfg := op.config()
	cfg.RedirectBehavior = RedirectFormPost
	a, err := op.rp().Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	if a.Form == nil || a.Form.Action != op.issuer()+"/authorize?p=B2C_1_signin" || a.Form.Fields.Has("p") {
		t.Fatalf("form %+v", a.Form)
	}
	rec := httptest.NewRecorder()
	if err := a.Write(rec, httptest.NewRequest("GET", "/sso/start", nil), "n0nce"); err != nil {
		t.Fatal(err)
	}
	page := rec.Body.String()
	for _, want := range []string{`method="post"`, `action="` + op.issuer() + `/authorize?p=B2C_1_signin"`,
		`name="state" value="` + a.Flow.State.Reveal() + `"`, `<script nonce="n0nce">`,
		`<button type="submit">`} {
		if !strings.Contains(page, want) {
			t.Errorf("form page lacks %s:\n%s", want, page)
		}
	}
	h := rec.Header()
	if h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("headers %v", rec.Header())
	}
	// The provider reads the same request from the form as from a URL.
	cb := op.authorize(a)
	if _, err := op.rp().Finish(context.Background(), cfg, a.Flow, cb); err != nil {
		t.Fatal(err)
	}
}

func TestStartRedirectGet(t *testing.T) {
	op := newTestOP(t)
	a, err := op.rp().Start(context.Background(), op.config(), testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := a.Write(rec, httptest.NewRequest("GET", "/sso/start", nil), ""); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 302 || rec.Header().Get("Location") != a.URL {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
}

func TestStartFailsWithoutRandomness(t *testing.T) {
	op := newTestOP(t)
	rp := New(Options{HTTPClient: op.srv.Client(), Rand: bytes.NewReader(make([]byte, 40))})
	if _, err := rp.Start(context.Background(), op.config(), testRedirect); !errors.Is(err, ErrInternal) {
		t.Fatalf("short random source: %v", err)
	}
}

func TestFlowAndConfigPrintMasked(t *testing.T) {
	op := newTestOP(t)
	cfg := op.config()
	a, err := op.rp().Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	printed := []string{fmt.Sprintf("%v %+v %#v", a.Flow, a.Flow, a.Flow), fmt.Sprintf("%v %+v", cfg, cfg)}
	for _, s := range printed {
		for _, secretValue := range []string{a.Flow.State.Reveal(), a.Flow.Nonce.Reveal(),
			a.Flow.CodeVerifier.Reveal(), testSecret} {
			if strings.Contains(s, secretValue) {
				t.Fatalf("printed secret: %s", s)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Authority: "https://idp.example.test", ClientID: "c", ClientSecret: "s"}
	cases := map[string]func(c *Config){
		"http authority that is not loopback": func(c *Config) { c.Authority = "http://idp.example.test" },
		"relative authority":                  func(c *Config) { c.Authority = "/idp" },
		"authority with credentials":          func(c *Config) { c.Authority = "https://u:p@idp.test" },
		"metadata address over http":          func(c *Config) { c.MetadataAddress = "http://idp.test/m" },
		"no client id":                        func(c *Config) { c.ClientID = " " },
		"no client secret":                    func(c *Config) { c.ClientSecret = "" },
		"unknown redirect behavior":           func(c *Config) { c.RedirectBehavior = 2 },
		"scope with a space":                  func(c *Config) { c.AdditionalScopes = []string{"a b"} },
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	loopback := good
	loopback.Authority = "http://127.0.0.1:5556/dex"
	if err := loopback.Validate(); err != nil {
		t.Fatalf("loopback http: %v", err)
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			c := good
			breakIt(&c)
			if err := c.Validate(); !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	if got := strings.Join(SplitList(" groups, ,offline_access,"), "|"); got != "groups|offline_access" {
		t.Fatal(got)
	}
}
