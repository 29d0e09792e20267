package sso_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// The test harness: castellan (app.New on a fresh database, behind an httptest TLS server whose
// address is the public URL), the in-process provider, an administrator with an organization, and
// browsers (cookie-keeping clients that do not follow redirects) that walk the sign-in step by step.

const (
	identifier = "acme"
	password   = "Correct-Horse-Battery-1!"
)

var testKDF = bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2, Iterations: bwcrypto.PBKDF2MinIterations}

type env struct {
	t     testing.TB
	ctx   context.Context
	db    *storage.DB
	clock *clock.Fake
	app   *app.App
	srv   *httptest.Server
	op    *testOP
	logs  *syncBuffer
	admin *adminclient.Client
	orgID string
}

// newEnv starts castellan on a fresh SQLite database with an organization "acme" whose OIDC
// provider is the in-process one, configured and enabled through the API.
func newEnv(t testing.TB) *env {
	return newEnvOn(t, storagetest.OpenFresh(t, storagetest.Engines()[0]))
}

func newEnvOn(t testing.TB, db *storage.DB) *env {
	t.Helper()
	return newEnvWith(t, db, app.AccountSettings{})
}

// newEnvWith is newEnvOn with account settings (e.g. the token signing algorithm).
func newEnvWith(t testing.TB, db *storage.DB, accounts app.AccountSettings) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), db: db, clock: clock.NewFake(time.Now()), logs: &syncBuffer{}}
	var handler http.Handler
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(e.ctx, app.Deps{Logger: logger, Clock: e.clock, DB: db, PublicURL: e.srv.URL,
		MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), SSO: app.SSOSettings{ProviderTimeout: 2 * time.Second},
		Accounts: accounts})
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	e.app, handler = a, a.Handler()
	e.op = newTestOP(t, e.clock)
	e.admin = e.adminClient(e.register("admin@example.com"))
	o, err := e.admin.CreateOrganization(e.ctx, adminclient.NewOrganization{Name: "Acme", BillingEmail: "admin@example.com"})
	if err != nil {
		t.Fatalf("create organization: %v", err)
	}
	e.orgID = o.ID
	e.configure(func(map[string]any) {})
	return e
}

// configure saves the organization's OIDC configuration (enabled, identifier acme) after edit
// changes the data.
func (e *env) configure(edit func(data map[string]any)) {
	e.t.Helper()
	data := map[string]any{"configType": 1, "memberDecryptionType": 0, "authority": e.op.issuer(),
		"clientId": e.op.client, "getClaimsFromUserInfoEndpoint": false}
	edit(data)
	_, err := e.admin.SetSSO(e.ctx, e.orgID, adminclient.SSOConfig{Enabled: true, Identifier: identifier, Data: data},
		e.op.secret)
	if err != nil {
		e.t.Fatalf("configure sso: %v", err)
	}
}

// registered is an account registered through the API, with its secrets.
type registered struct {
	email   string
	account *bwcrypto.Account
}

// register creates an account the way the web vault does, with secrets made by bwcrypto.
func (e *env) register(email string) registered {
	e.t.Helper()
	acct, err := bwcrypto.NewAccount(email, password, testKDF, rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	var token string
	e.call("", "POST", "/identity/accounts/register/send-verification-email",
		map[string]any{"email": email, "name": "Test"}, &token, http.StatusOK)
	e.call("", "POST", "/identity/accounts/register/finish", map[string]any{
		"email": email, "emailVerificationToken": token, "masterPasswordHash": acct.MasterPasswordHash,
		"userSymmetricKey": acct.Key, "kdf": int(testKDF.Kind), "kdfIterations": testKDF.Iterations,
		"userAsymmetricKeys": map[string]any{"publicKey": acct.PublicKey, "encryptedPrivateKey": acct.EncryptedPrivateKey},
	}, nil, http.StatusOK)
	return registered{email: acct.Email, account: acct}
}

func (e *env) adminClient(r registered) *adminclient.Client {
	e.t.Helper()
	c, err := adminclient.New(adminclient.Options{Server: e.srv.URL, HTTPClient: e.srv.Client()})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.Login(e.ctx, r.email, password); err != nil {
		e.t.Fatalf("login %s: %v", r.email, err)
	}
	return c
}

// call sends a JSON request (with a bearer token when token is set), checks the status and
// decodes the answer into out when out is not nil. It returns the body.
func (e *env) call(token, method, path string, body, out any, want int) []byte {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return raw
}

// count returns the number of rows of a table.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// snapshot counts what a refused sign-in must not create.
func (e *env) snapshot() map[string]int {
	out := map[string]int{}
	for _, tb := range []string{"users", "organization_users", "sso_links", "sso_codes", "devices", "refresh_tokens"} {
		out[tb] = e.count(tb)
	}
	return out
}

func (e *env) assertUnchanged(before map[string]int) {
	e.t.Helper()
	after := e.snapshot()
	for tb, n := range before {
		if after[tb] != n {
			e.t.Errorf("%s: %d rows after the refusal, %d before", tb, after[tb], n)
		}
	}
}

// client is an official client's side of a sign-in: its parameters and PKCE verifier.
type client struct {
	ID, RedirectURI, State, Verifier string
}

func cliClient() client {
	return client{ID: "cli", RedirectURI: "http://localhost:8065", State: strings.Repeat("s", 20) + rand.Text(),
		Verifier: rand.Text() + rand.Text()}
}

func (c client) challenge() string {
	sum := sha256.Sum256([]byte(c.Verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// browser is a user agent with its own cookies that trusts castellan and does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, c: &c}
}

// response is a read answer.
type response struct {
	status   int
	location string
	body     string
}

func (b *browser) get(rawURL string) response {
	b.e.t.Helper()
	resp, err := b.c.Get(rawURL)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw)}
}

// prevalidate returns the SSO token for an identifier.
func (b *browser) prevalidate(ident string) string {
	b.e.t.Helper()
	r := b.get(b.e.srv.URL + "/identity/sso/prevalidate?domainHint=" + url.QueryEscape(ident))
	var body struct{ Token string }
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &body) != nil || body.Token == "" {
		b.e.t.Fatalf("prevalidate %s: %d %s", ident, r.status, r.body)
	}
	return body.Token
}

// authorizeQuery is the query the web vault's SSO page sends to authorize for a client.
func authorizeQuery(c client, ident, token string) url.Values {
	return url.Values{"client_id": {c.ID}, "redirect_uri": {c.RedirectURI}, "response_type": {"code"},
		"scope": {"api offline_access"}, "state": {c.State + "_identifier=" + ident},
		"code_challenge": {c.challenge()}, "code_challenge_method": {"S256"}, "response_mode": {"query"},
		"domain_hint": {ident}, "ssoToken": {token}}
}

// authorize sends the browser to authorize with q.
func (b *browser) authorize(q url.Values) response {
	return b.get(b.e.srv.URL + "/identity/connect/authorize?" + q.Encode())
}

// start prevalidates and authorizes for c, and returns the provider's authorization URL.
func (b *browser) start(c client) string {
	b.e.t.Helper()
	r := b.authorize(authorizeQuery(c, identifier, b.prevalidate(identifier)))
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, b.e.op.issuer()+"/authorize?") {
		b.e.t.Fatalf("authorize: %d to %q: %s", r.status, r.location, r.body)
	}
	return r.location
}

// callback delivers the provider's answer to castellan.
func (b *browser) callback(v url.Values) response {
	return b.get(b.e.srv.URL + "/sso/oidc/callback?" + v.Encode())
}

// signIn runs a whole sign-in for c up to castellan's answer to the callback.
func (b *browser) signIn(c client) response {
	b.e.t.Helper()
	return b.callback(b.e.op.authorize(b.start(c)))
}

// codeFrom reads the code of a redirect to the client, checking state and iss.
func (e *env) codeFrom(r response, c client) string {
	e.t.Helper()
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, c.RedirectURI+"?") {
		e.t.Fatalf("callback: %d to %q, want a redirect to %s: %s", r.status, r.location, c.RedirectURI, r.body)
	}
	u, _ := url.Parse(r.location)
	q := u.Query()
	if q.Get("state") != c.State+"_identifier="+identifier || q.Get("iss") != e.srv.URL+"/identity" || q.Get("code") == "" {
		e.t.Fatalf("redirect to the client: %s", r.location)
	}
	return q.Get("code")
}

// tokenResponse is what the tests read of a token response.
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	RefreshToken          string `json:"refresh_token"`
	Key                   string
	UserDecryptionOptions struct {
		HasMasterPassword    bool
		MasterPasswordUnlock *struct{ Salt string }
	}
	Error string `json:"error"`
}

// redeem posts the authorization_code grant and returns the status and the response.
func (e *env) redeem(c client, code, verifier string) (int, tokenResponse) {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {c.RedirectURI}, "client_id": {c.ID}, "scope": {"api offline_access"},
		"deviceType": {"25"}, "deviceIdentifier": {uuid.NewString()}, "deviceName": {"linux"}}
	resp, err := e.srv.Client().PostForm(e.srv.URL+"/identity/connect/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &tr); err != nil {
		e.t.Fatalf("token response %s: %v", raw, err)
	}
	return resp.StatusCode, tr
}

// login runs a sign-in as the CLI and redeems the code; it fails the test unless both succeed.
func (e *env) login() tokenResponse {
	e.t.Helper()
	c := cliClient()
	code := e.codeFrom(e.browser().signIn(c), c)
	status, tr := e.redeem(c, code, c.Verifier)
	if status != http.StatusOK || tr.AccessToken == "" {
		e.t.Fatalf("redeem: %d %+v", status, tr)
	}
	return tr
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
