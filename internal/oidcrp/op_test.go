package oidcrp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/secret"
)

// testOP is an in-process OpenID provider for the unit tests: discovery, JWKS, a token endpoint
// that checks the client secret, redirect URI and PKCE verifier and redeems each code once, and
// userinfo. Tests change its answers through the hooks.
type testOP struct {
	t      testing.TB
	srv    *httptest.Server
	clock  *clock.Fake
	key    crypto.Signer // published in the JWKS as kid "k1"
	alg    jose.SignatureAlgorithm
	client string
	secret string

	mu    sync.Mutex
	codes map[string]grant
	hits  map[string]int
	// Hooks, set before the flow runs.
	discovery   func(doc map[string]any)
	idClaims    func(c map[string]any)
	signWith    crypto.Signer // signs ID tokens instead of key (same kid)
	rawIDToken  func(claims map[string]any) string
	tokenResp   func(resp map[string]any)
	userinfo    func(c map[string]any)
	accessToken string
}

type grant struct {
	nonce, challenge, redirect string
}

const (
	testClientID = "castellan-org-1"
	testSecret   = "s3cret-value-never-logged-0123456789"
	testRedirect = "https://vault.example.test/sso/oidc/org-1/callback"
)

// Test keys are generated once per test binary: RSA generation dominates otherwise.
var (
	rsaKey      = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	otherRSAKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	ecKey       = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func newTestOP(t testing.TB) *testOP { return startOP(t, rsaKey(), jose.RS256) }

func newTestOPES256(t testing.TB) *testOP { return startOP(t, ecKey(), jose.ES256) }

func startOP(t testing.TB, key crypto.Signer, alg jose.SignatureAlgorithm) *testOP {
	op := &testOP{t: t, key: key, alg: alg, client: testClientID, secret: testSecret,
		clock: clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
		codes: map[string]grant{}, hits: map[string]int{}, accessToken: "at-" + rand.Text()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.serveDiscovery)
	mux.HandleFunc("GET /custom-metadata", op.serveDiscovery)
	mux.HandleFunc("GET /jwks", op.serveJWKS)
	mux.HandleFunc("POST /token", op.serveToken)
	mux.HandleFunc("GET /userinfo", op.serveUserInfo)
	op.srv = httptest.NewTLSServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

func (op *testOP) config() Config {
	return Config{OrgID: "org-1", Revision: "1", Authority: op.issuer(), ClientID: op.client,
		ClientSecret: secret.String(op.secret)}
}

func (op *testOP) rp() *RP {
	return New(Options{HTTPClient: op.srv.Client(), Clock: op.clock, Timeout: 5 * time.Second})
}

func (op *testOP) hit(name string) {
	op.mu.Lock()
	op.hits[name]++
	op.mu.Unlock()
}

func (op *testOP) count(name string) int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.hits[name]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (op *testOP) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	op.hit("discovery")
	doc := map[string]any{
		"issuer":                                op.issuer(),
		"authorization_endpoint":                op.issuer() + "/authorize",
		"token_endpoint":                        op.issuer() + "/token",
		"userinfo_endpoint":                     op.issuer() + "/userinfo",
		"jwks_uri":                              op.issuer() + "/jwks",
		"id_token_signing_alg_values_supported": []string{string(op.alg)},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if op.discovery != nil {
		op.discovery(doc)
	}
	writeJSON(w, http.StatusOK, doc)
}

func (op *testOP) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	op.hit("jwks")
	jwk := jose.JSONWebKey{Key: op.key.Public(), KeyID: "k1", Algorithm: string(op.alg), Use: "sig"}
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
}

// authorize plays the provider's login: it reads the authorization request (URL or form), checks
// what every request must carry, stores a code and returns the callback parameters.
func (op *testOP) authorize(a *Authorization) url.Values {
	op.t.Helper()
	q := authParams(op.t, a)
	for _, k := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
		if q.Get(k) == "" {
			op.t.Fatalf("authorization request without %s", k)
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != op.client ||
		q.Get("response_type") != "code" {
		op.t.Fatalf("authorization request %v", q)
	}
	code := "code-" + rand.Text()
	op.mu.Lock()
	op.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
		redirect: q.Get("redirect_uri")}
	op.mu.Unlock()
	return url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {op.issuer()}}
}

func authParams(t testing.TB, a *Authorization) url.Values {
	t.Helper()
	if a.Form != nil {
		return a.Form.Fields
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func (op *testOP) serveToken(w http.ResponseWriter, r *http.Request) {
	op.hit("token")
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, sec, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		sec, _ = url.QueryUnescape(sec)
	} else {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != op.client || sec != op.secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	g, err := op.redeem(r.PostForm)
	if err != "" {
		// The description echoes the secret, so that a test notices if it ever reaches an error.
		body := map[string]string{"error": err, "error_description": "token " + testSecret}
		writeJSON(w, http.StatusBadRequest, body)
		return
	}
	writeJSON(w, http.StatusOK, op.tokenResponse(g))
}

// redeem takes the code out (single use) and checks the redirect URI and the PKCE verifier.
func (op *testOP) redeem(f url.Values) (grant, string) {
	op.mu.Lock()
	g, ok := op.codes[f.Get("code")]
	delete(op.codes, f.Get("code"))
	op.mu.Unlock()
	switch {
	case !ok || f.Get("redirect_uri") != g.redirect:
		return g, "invalid_grant"
	case f.Get("code_verifier") == "",
		oauth2.S256ChallengeFromVerifier(f.Get("code_verifier")) != g.challenge:
		return g, "invalid_grant"
	}
	return g, ""
}

func (op *testOP) tokenResponse(g grant) map[string]any {
	now := op.clock.Now()
	claims := map[string]any{
		"iss": op.issuer(), "sub": "user-1", "aud": op.client, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": "alice@example.com", "email_verified": true, "name": "Alice Adams",
		"at_hash": atHash(op.accessToken),
	}
	if op.idClaims != nil {
		op.idClaims(claims)
	}
	resp := map[string]any{"access_token": op.accessToken, "token_type": "Bearer", "expires_in": 300,
		"id_token": op.sign(claims)}
	if op.tokenResp != nil {
		op.tokenResp(resp)
	}
	return resp
}

func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func (op *testOP) sign(claims map[string]any) string {
	if op.rawIDToken != nil {
		return op.rawIDToken(claims)
	}
	key := op.key
	if op.signWith != nil {
		key = op.signWith
	}
	return signJWT(op.t, key, op.alg, claims)
}

func signJWT(t testing.TB, key crypto.Signer, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	sk := jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}
	signer, err := jose.NewSigner(sk, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (op *testOP) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	op.hit("userinfo")
	if r.Header.Get("Authorization") != "Bearer "+op.accessToken {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	c := map[string]any{"sub": "user-1", "email": "alice@example.com", "email_verified": true,
		"groups": []string{"eng", "ops"}, "employee_number": 12345678901234567}
	if op.userinfo != nil {
		op.userinfo(c)
	}
	writeJSON(w, http.StatusOK, c)
}
