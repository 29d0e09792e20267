package sso_test

import (
	"crypto"
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
)

// testOP is an in-process OpenID provider on plain HTTP at 127.0.0.1 (oidcrp allows http only on
// loopback): discovery, JWKS, an authorization step the test drives directly (op.authorize), a token
// endpoint that checks the client secret, redirect URI and PKCE verifier and redeems each code once,
// and userinfo. Tests change its answers through the hooks, set before the sign-in runs.
type testOP struct {
	t      testing.TB
	srv    *httptest.Server
	clock  clock.Clock
	key    *rsa.PrivateKey
	client string
	secret string

	mu    sync.Mutex
	codes map[string]opGrant
	hits  map[string]int

	// Hooks.
	sub         string // the subject; default "user-1"
	idClaims    func(c map[string]any)
	userinfo    func(c map[string]any)
	signWith    crypto.Signer
	callback    func(v url.Values)
	accessToken string
}

type opGrant struct{ nonce, challenge, redirect string }

const (
	opClientID = "castellan-acme"
	opSecret   = "op-client-secret-never-shown-0123456789"
)

// Test keys are made once per test binary: RSA generation dominates otherwise.
var (
	opKey    = sync.OnceValue(mustRSA)
	otherKey = sync.OnceValue(mustRSA)
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func newTestOP(t testing.TB, clk clock.Clock) *testOP {
	op := &testOP{t: t, clock: clk, key: opKey(), client: opClientID, secret: opSecret, sub: "user-1",
		codes: map[string]opGrant{}, hits: map[string]int{}, accessToken: "at-" + rand.Text()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.serveDiscovery)
	mux.HandleFunc("GET /jwks", op.serveJWKS)
	mux.HandleFunc("POST /token", op.serveToken)
	mux.HandleFunc("GET /userinfo", op.serveUserInfo)
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

func (op *testOP) hit(name string) {
	op.mu.Lock()
	op.hits[name]++
	op.mu.Unlock()
}

func opJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (op *testOP) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	op.hit("discovery")
	opJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         op.issuer(),
		"authorization_endpoint":                         op.issuer() + "/authorize",
		"token_endpoint":                                 op.issuer() + "/token",
		"userinfo_endpoint":                              op.issuer() + "/userinfo",
		"jwks_uri":                                       op.issuer() + "/jwks",
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic"},
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (op *testOP) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	op.hit("jwks")
	jwk := jose.JSONWebKey{Key: op.key.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"}
	opJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
}

// authorize plays the user's login at the provider: it reads the authorization request castellan
// sent the browser to, checks what it must carry, stores a code and returns the callback query.
func (op *testOP) authorize(authURL string) url.Values {
	op.t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		op.t.Fatalf("op: parse authorization url: %v", err)
	}
	q := u.Query()
	for _, k := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
		if q.Get(k) == "" {
			op.t.Fatalf("op: authorization request without %s: %s", k, authURL)
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != op.client || q.Get("response_type") != "code" {
		op.t.Fatalf("op: authorization request %v", q)
	}
	code := "code-" + rand.Text()
	op.mu.Lock()
	op.codes[code] = opGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	op.mu.Unlock()
	v := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {op.issuer()}}
	if op.callback != nil {
		op.callback(v)
	}
	return v
}

func (op *testOP) serveToken(w http.ResponseWriter, r *http.Request) {
	op.hit("token")
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		opJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, sec, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		sec, _ = url.QueryUnescape(sec)
	}
	if id != op.client || sec != op.secret {
		opJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	f := r.PostForm
	op.mu.Lock()
	g, found := op.codes[f.Get("code")]
	delete(op.codes, f.Get("code"))
	op.mu.Unlock()
	if !found || f.Get("redirect_uri") != g.redirect ||
		oauth2.S256ChallengeFromVerifier(f.Get("code_verifier")) != g.challenge {
		// The description echoes the secret, so that a test notices if it ever reaches a page.
		opJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": opSecret})
		return
	}
	opJSON(w, http.StatusOK, op.tokenResponse(g))
}

func (op *testOP) tokenResponse(g opGrant) map[string]any {
	now := op.clock.Now()
	claims := map[string]any{
		"iss": op.issuer(), "sub": op.sub, "aud": op.client, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": "alice@example.com", "email_verified": true, "name": "Alice Adams",
		"at_hash": atHash(op.accessToken),
	}
	if op.idClaims != nil {
		op.idClaims(claims)
	}
	var key crypto.Signer = op.key
	if op.signWith != nil {
		key = op.signWith
	}
	return map[string]any{"access_token": op.accessToken, "token_type": "Bearer", "expires_in": 300,
		"id_token": signJWT(op.t, key, claims)}
}

func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func signJWT(t testing.TB, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
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
		opJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	c := map[string]any{"sub": op.sub, "email": "alice@example.com", "email_verified": true}
	if op.userinfo != nil {
		op.userinfo(c)
	}
	opJSON(w, http.StatusOK, c)
}
