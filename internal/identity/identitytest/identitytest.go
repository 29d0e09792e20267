// Package identitytest builds a wired castellan in process for handler tests, with a fake clock,
// and real accounts made with internal/bwcrypto (PBKDF2 with 5,000 iterations, for speed).
//
// It wires through app.New, so the routes, middleware and Verifier are the real ones. Only external
// test packages (package foo_test) can import it, since app imports every concern.
package identitytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/storage"
)

// PublicURL is the origin of every Env.
const PublicURL = "https://vault.example.test"

// Env is a wired castellan on one database.
type Env struct {
	App     *app.App
	Handler http.Handler
	Clock   *clock.Fake
	DB      *storage.DB
}

// New wires castellan on db with the given account settings. The clock starts at a fixed time.
func New(t testing.TB, db *storage.DB, s app.AccountSettings) *Env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	a, err := app.New(context.Background(), app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk, DB: db, PublicURL: PublicURL,
		MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), Accounts: s,
	})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	return &Env{App: a, Handler: a.Handler(), Clock: clk, DB: db}
}

// Do sends a request through the handler. Headers are given as name, value pairs.
func (e *Env) Do(method, path string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, body)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, r)
	return w
}

// JSON sends v as a JSON body, with a bearer token when token is not "".
func (e *Env) JSON(method, path string, v any, token string) *httptest.ResponseRecorder {
	var body io.Reader = http.NoBody
	if v != nil {
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
	}
	h := []string{"Content-Type", "application/json; charset=utf-8"}
	if token != "" {
		h = append(h, "Authorization", "Bearer "+token)
	}
	return e.Do(method, path, body, h...)
}

// Token posts a form to /identity/connect/token.
func (e *Env) Token(vals url.Values, headers ...string) *httptest.ResponseRecorder {
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, headers...)
	return e.Do(http.MethodPost, "/identity/connect/token", strings.NewReader(vals.Encode()), h...)
}

// TestKDF is the fast KDF of test accounts.
var TestKDF = bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2, Iterations: bwcrypto.PBKDF2MinIterations}

// NewAccount makes every secret of an account with bwcrypto.
func NewAccount(t testing.TB, email, password string) *bwcrypto.Account {
	t.Helper()
	a, err := bwcrypto.NewAccount(email, password, TestKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// FinishRequest is the register/finish body of a, in the current clients' shape.
func FinishRequest(a *bwcrypto.Account) map[string]any {
	kdf := map[string]any{"kdfType": int(a.KDF.Kind), "iterations": a.KDF.Iterations}
	if a.KDF.Kind == bwcrypto.KDFArgon2id {
		kdf["memory"], kdf["parallelism"] = a.KDF.MemoryMiB, a.KDF.Parallelism
	}
	return map[string]any{
		"email": a.Email, "name": "Test User", "masterPasswordHint": "",
		"userSymmetricKey":   a.Key,
		"userAsymmetricKeys": map[string]any{"publicKey": a.PublicKey, "encryptedPrivateKey": a.EncryptedPrivateKey},
		"masterPasswordAuthentication": map[string]any{"salt": a.Email, "kdf": kdf,
			"masterPasswordAuthenticationHash": a.MasterPasswordHash},
		"masterPasswordUnlock": map[string]any{"salt": a.Email, "kdf": kdf, "masterKeyWrappedUserKey": a.Key},
	}
}

// Register registers a through register/finish and fails the test unless it succeeds.
func (e *Env) Register(t testing.TB, a *bwcrypto.Account) {
	t.Helper()
	if w := e.JSON(http.MethodPost, "/identity/accounts/register/finish", FinishRequest(a), ""); w.Code != http.StatusOK {
		t.Fatalf("register %s: %d %s", a.Email, w.Code, w.Body)
	}
}

// Tokens is a successful token response.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// PasswordForm is the CLI's password grant for a.
func PasswordForm(a *bwcrypto.Account) url.Values {
	return url.Values{
		"grant_type": {"password"}, "username": {a.Email}, "password": {a.MasterPasswordHash},
		"scope": {"api offline_access"}, "client_id": {"cli"}, "deviceType": {"25"},
		"deviceIdentifier": {"0d1c2b3a-4f5e-4d6c-8b7a-9f8e7d6c5b4a"}, "deviceName": {"linux"},
	}
}

// Login runs the password grant for a and fails the test unless it succeeds.
func (e *Env) Login(t testing.TB, a *bwcrypto.Account) Tokens {
	t.Helper()
	w := e.Token(PasswordForm(a))
	if w.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", a.Email, w.Code, w.Body)
	}
	var tok Tokens
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// RegisterAndLogin registers a new account and logs it in.
func (e *Env) RegisterAndLogin(t testing.TB, email, password string) (*bwcrypto.Account, Tokens) {
	t.Helper()
	a := NewAccount(t, email, password)
	e.Register(t, a)
	return a, e.Login(t, a)
}
