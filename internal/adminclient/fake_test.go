package adminclient_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

const (
	adminEmail = "Admin@Example.com"
	adminPW    = "Admin-Password-1!"
	adminID    = "00000000-0000-4000-8000-0000000000a1"
	orgID      = "00000000-0000-4000-8000-0000000000b1"
	ownMember  = "00000000-0000-4000-8000-0000000000c1"
)

var testKDF = bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2, Iterations: bwcrypto.PBKDF2MinIterations}

// fake is a stand-in castellan that checks what the client sends with the real keys. Handlers
// record requests; the tests look at them afterwards.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	admin  *bwcrypto.Account
	orgKey bwcrypto.SymmetricKey

	mu       sync.Mutex
	requests map[string][]json.RawMessage // "METHOD path" -> bodies
	forms    []url.Values
	handlers map[string]http.HandlerFunc // extra or replacing routes, by ServeMux pattern
}

func newFake(t *testing.T) *fake {
	t.Helper()
	admin, err := bwcrypto.NewAccount(adminEmail, adminPW, testKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	orgKey, err := bwcrypto.NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, admin: admin, orgKey: orgKey, requests: map[string][]json.RawMessage{},
		handlers: map[string]http.HandlerFunc{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// handle sets the handler of a pattern before the first request.
func (f *fake) handle(pattern string, h http.HandlerFunc) { f.handlers[pattern] = h }

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	defaults := map[string]http.HandlerFunc{
		"POST /identity/accounts/prelogin/password": f.prelogin,
		"POST /identity/connect/token":              f.token,
		"GET /api/accounts/profile":                 f.profile,
	}
	for p, h := range defaults {
		if _, ok := f.handlers[p]; !ok {
			mux.HandleFunc(p, h)
		}
	}
	for p, h := range f.handlers {
		mux.HandleFunc(p, h)
	}
	if r.Header.Get("Content-Type") == "application/json; charset=utf-8" {
		var raw json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests[r.Method+" "+r.URL.Path] = append(f.requests[r.Method+" "+r.URL.Path], raw)
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(raw))
	}
	mux.ServeHTTP(w, r)
}

// body returns the last JSON body sent to "METHOD path", decoded into v.
func (f *fake) body(key string, v any) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	bodies := f.requests[key]
	if len(bodies) == 0 {
		f.t.Fatalf("no request %s", key)
	}
	if err := json.Unmarshal(bodies[len(bodies)-1], v); err != nil {
		f.t.Fatalf("decode %s: %v", key, err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fake) prelogin(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{"kdf": 0, "kdfIterations": testKDF.Iterations, "kdfMemory": nil,
		"kdfParallelism": nil})
}

// token answers like castellan: PascalCase Bitwarden fields, the official bad-password error.
func (f *fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", 400)
		return
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	f.mu.Unlock()
	if r.PostForm.Get("password") != f.admin.MasterPasswordHash {
		writeJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": "invalid_username_or_password",
			"ErrorModel": map[string]string{"Message": "Username or password is incorrect. Try again.", "Object": "error"}})
		return
	}
	writeJSON(w, 200, map[string]any{
		"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600, "Key": f.admin.Key,
		"PrivateKey": f.admin.EncryptedPrivateKey, "Kdf": 0, "KdfIterations": testKDF.Iterations,
		"AccountKeys": map[string]any{"publicKeyEncryptionKeyPair": map[string]any{
			"wrappedPrivateKey": f.admin.EncryptedPrivateKey, "publicKey": f.admin.PublicKey}},
	})
}

// profile lists one confirmed organization whose key is wrapped to the admin.
func (f *fake) profile(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer token-1" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	key, err := bwcrypto.ShareKey(rand.Reader, f.orgKey, f.admin.PublicKey)
	if err != nil {
		f.t.Error(err)
	}
	writeJSON(w, 200, map[string]any{"id": adminID, "email": "admin@example.com", "organizations": []any{
		map[string]any{"id": orgID, "name": "Acme", "key": key, "status": 2, "type": 0, "enabled": true,
			"organizationUserId": ownMember, "seats": nil, "object": "profileOrganization"},
	}})
}
