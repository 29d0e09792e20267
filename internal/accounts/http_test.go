package accounts_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

func newEnv(t *testing.T, s app.AccountSettings) *identitytest.Env {
	t.Helper()
	return identitytest.New(t, storagetest.OpenFresh(t, storagetest.Engines()[0]), s)
}

func users(t *testing.T, e *identitytest.Env) int {
	t.Helper()
	var n int
	if err := e.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func body(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("not JSON: %s", w.Body)
	}
	return m
}

// legacyRequest is the one-shot /register shape with top-level KDF fields.
func legacyRequest(a *bwcrypto.Account) map[string]any {
	return map[string]any{
		"email": a.Email, "name": "Ada", "masterPasswordHash": a.MasterPasswordHash, "key": a.Key,
		"keys": map[string]any{"publicKey": a.PublicKey, "encryptedPrivateKey": a.EncryptedPrivateKey},
		"kdf":  int(a.KDF.Kind), "kdfIterations": a.KDF.Iterations,
	}
}

func TestRegistrationFlows(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	w := e.JSON(http.MethodPost, "/identity/accounts/register/send-verification-email",
		map[string]any{"email": "Ada@Example.com", "name": "Ada", "receiveMarketingEmails": false}, "")
	var token string
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &token) != nil || token == "" {
		t.Fatalf("send-verification-email: %d %s, want 200 and a JSON string", w.Code, w.Body)
	}
	req := identitytest.FinishRequest(a)
	req["emailVerificationToken"] = token
	if w := e.JSON(http.MethodPost, "/identity/accounts/register/finish", req, ""); w.Code != 200 {
		t.Fatalf("finish: %d %s", w.Code, w.Body)
	}
	e.Login(t, a)

	b := identitytest.NewAccount(t, "bob@example.com", "pw")
	if w := e.JSON(http.MethodPost, "/identity/accounts/register", legacyRequest(b), ""); w.Code != 200 {
		t.Fatalf("legacy register: %d %s", w.Code, w.Body)
	}
	e.Login(t, b)

	// An Argon2id account: prelogin and login hand back its memory and parallelism.
	argon := bwcrypto.KDF{Kind: bwcrypto.KDFArgon2id, Iterations: 2, MemoryMiB: 16, Parallelism: 1}
	c, err := bwcrypto.NewAccount("carol@example.com", "pw", argon, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.Register(t, c)
	m := body(t, e.Token(identitytest.PasswordForm(c)))
	if m["Kdf"] != 1.0 || m["KdfIterations"] != 2.0 || m["KdfMemory"] != 16.0 || m["KdfParallelism"] != 1.0 {
		t.Fatalf("argon2id login: %v", m)
	}
}

func TestRegistrationRefusals(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	e.Register(t, a)
	fresh := identitytest.NewAccount(t, "new@example.com", "pw")
	mutate := func(f func(m map[string]any)) map[string]any {
		m := identitytest.FinishRequest(fresh)
		f(m)
		return m
	}
	cases := []struct {
		name  string
		req   any
		field string
	}{
		{"Duplicate", identitytest.FinishRequest(a), "Email"},
		{"DuplicateOtherCase", mutate(func(m map[string]any) {
			dup := identitytest.FinishRequest(a)
			for k, v := range dup {
				m[k] = v
			}
			m["email"] = "  ADA@example.com"
		}), "Email"},
		{"PBKDF2BelowMinimum", mutate(func(m map[string]any) { setKDF(m, map[string]any{"kdfType": 0, "iterations": 4999}) }), "Kdf"},
		{"Argon2MemoryBelowMinimum", mutate(func(m map[string]any) {
			setKDF(m, map[string]any{"kdfType": 1, "iterations": 3, "memory": 15, "parallelism": 1})
		}), "Kdf"},
		{"UnknownKDF", mutate(func(m map[string]any) { setKDF(m, map[string]any{"kdfType": 7, "iterations": 5000}) }), "Kdf"},
		{"KDFObjectsDisagree", mutate(func(m map[string]any) {
			m["masterPasswordUnlock"].(map[string]any)["kdf"] = map[string]any{"kdfType": 0, "iterations": 6000}
		}), "MasterPasswordUnlock.Kdf"},
		{"LegacyKDFDisagrees", mutate(func(m map[string]any) { m["kdf"], m["kdfIterations"] = 0, 7000 }), "MasterPasswordUnlock.Kdf"},
		{"SaltNotEmail", mutate(func(m map[string]any) {
			m["masterPasswordUnlock"].(map[string]any)["salt"] = "other@example.com"
		}), "MasterPasswordUnlock.Salt"},
		{"OnlyOneObject", mutate(func(m map[string]any) { delete(m, "masterPasswordUnlock") }), "MasterPasswordUnlock"},
		{"NoKDF", mutate(func(m map[string]any) {
			delete(m, "masterPasswordUnlock")
			delete(m, "masterPasswordAuthentication")
		}), "Kdf"},
		{"HashesDisagree", mutate(func(m map[string]any) { m["masterPasswordHash"] = "c29tZXRoaW5nIGVsc2U=" }), "MasterPasswordHash"},
		{"MalformedKey", mutate(func(m map[string]any) {
			m["userSymmetricKey"] = "2.notbase64|x|y"
			m["masterPasswordUnlock"].(map[string]any)["masterKeyWrappedUserKey"] = "2.notbase64|x|y"
		}), "Key"},
		{"MalformedPrivateKey", mutate(func(m map[string]any) {
			m["userAsymmetricKeys"].(map[string]any)["encryptedPrivateKey"] = "2.AAAA|AAAA|AAAA"
		}), "Keys.EncryptedPrivateKey"},
		{"BadPublicKey", mutate(func(m map[string]any) {
			m["userAsymmetricKeys"].(map[string]any)["publicKey"] = "bm90IGEga2V5"
		}), "Keys.PublicKey"},
		{"BadEmail", mutate(func(m map[string]any) {
			m["email"] = "Ada <ada@example.com>"
		}), "Email"},
		{"WrongTypeField", mutate(func(m map[string]any) { m["name"] = 42 }), "Name"},
		{"BadVerificationToken", mutate(func(m map[string]any) { m["emailVerificationToken"] = "abc.def" }),
			"EmailVerificationToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := e.JSON(http.MethodPost, "/identity/accounts/register/finish", c.req, "")
			m := body(t, w)
			errs, _ := m["validationErrors"].(map[string]any)
			if w.Code != 400 || m["message"] == "" || errs[c.field] == nil {
				t.Fatalf("got %d %s, want 400 with a validation error on %s", w.Code, w.Body, c.field)
			}
		})
	}
	if n := users(t, e); n != 1 {
		t.Fatalf("%d users stored, want only the first registration", n)
	}
}

// setKDF puts one KDF in both objects of a register/finish request.
func setKDF(m map[string]any, kdf map[string]any) {
	m["masterPasswordAuthentication"].(map[string]any)["kdf"] = kdf
	m["masterPasswordUnlock"].(map[string]any)["kdf"] = kdf
}

func TestRegistrationBodyErrors(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	path := "/identity/accounts/register/finish"
	cases := []struct {
		name, body, ctype string
		status            int
	}{
		{"MalformedJSON", `{"email":`, "application/json", 400},
		{"TwoValues", `{} {}`, "application/json", 400},
		{"Empty", ``, "application/json", 400},
		{"NotJSON", `email=a`, "application/x-www-form-urlencoded", 415},
		{"Oversized", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, "application/json", 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := e.Do(http.MethodPost, path, strings.NewReader(c.body), "Content-Type", c.ctype)
			if w.Code != c.status || body(t, w)["message"] == "" {
				t.Fatalf("got %d %s, want %d with a message", w.Code, w.Body, c.status)
			}
		})
	}
	if users(t, e) != 0 {
		t.Fatal("a refused body stored a user")
	}
}

func TestRegistrationPolicy(t *testing.T) {
	closed := newEnv(t, app.AccountSettings{RegistrationClosed: true})
	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	for _, path := range []string{"/identity/accounts/register/finish", "/identity/accounts/register/send-verification-email"} {
		if w := closed.JSON(http.MethodPost, path, identitytest.FinishRequest(a), ""); w.Code != 400 {
			t.Fatalf("%s with registration closed: %d %s", path, w.Code, w.Body)
		}
	}
	cfg := body(t, closed.Do(http.MethodGet, "/api/config", nil))
	if cfg["settings"].(map[string]any)["disableUserRegistration"] != true {
		t.Fatalf("/api/config does not say registration is closed: %v", cfg["settings"])
	}
	limited := newEnv(t, app.AccountSettings{RegistrationDomains: []string{"example.org"}})
	if w := limited.JSON(http.MethodPost, "/identity/accounts/register/finish", identitytest.FinishRequest(a), ""); w.Code != 400 {
		t.Fatalf("registration outside the allowed domains: %d %s", w.Code, w.Body)
	}
	limited.Register(t, identitytest.NewAccount(t, "ada@example.org", "pw"))
	if users(t, closed)+users(t, limited) != 1 {
		t.Fatal("a refused registration was stored")
	}
}

func TestPrelogin(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	e.Register(t, identitytest.NewAccount(t, "ada@example.com", "pw"))
	for _, path := range []string{"/identity/accounts/prelogin", "/identity/accounts/prelogin/password"} {
		for email, want := range map[string]string{
			" ADA@example.com":   `{"kdf":0,"kdfIterations":5000,"kdfMemory":null,"kdfParallelism":null}`,
			"nobody@example.com": `{"kdf":0,"kdfIterations":600000,"kdfMemory":null,"kdfParallelism":null}`,
		} {
			w := e.JSON(http.MethodPost, path, map[string]string{"email": email}, "")
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != want {
				t.Fatalf("%s %q: %d %s, want %s", path, email, w.Code, w.Body, want)
			}
		}
	}
	if w := e.JSON(http.MethodPost, "/identity/accounts/prelogin", map[string]string{"email": "not an address"}, ""); w.Code != 400 {
		t.Fatalf("prelogin with a malformed address: %d", w.Code)
	}
}

func rawB64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }
