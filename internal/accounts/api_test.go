package accounts_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
)

func TestProfileAndRevisionDate(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	a, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
	if w := e.Do(http.MethodGet, "/api/accounts/profile", nil); w.Code != 401 {
		t.Fatalf("profile without a token: %d", w.Code)
	}
	p := body(t, e.JSON(http.MethodGet, "/api/accounts/profile", nil, tok.AccessToken))
	if p["email"] != "ada@example.com" || p["key"] != a.Key || p["privateKey"] != a.EncryptedPrivateKey ||
		p["object"] != "profile" || p["securityStamp"] == "" {
		t.Fatalf("profile: %v", p)
	}
	if orgs, _ := json.Marshal(p["organizations"]); string(orgs) != "[]" {
		t.Fatalf("organizations = %s, want []", orgs)
	}
	e.Clock.Advance(time.Minute)
	w := e.JSON(http.MethodPut, "/api/accounts/profile", map[string]any{"name": "Ada L", "masterPasswordHint": "cat",
		"culture": "de-DE"}, tok.AccessToken)
	if p := body(t, w); w.Code != 200 || p["name"] != "Ada L" || p["culture"] != "de-DE" {
		t.Fatalf("update profile: %d %s", w.Code, w.Body)
	}
	if w := e.JSON(http.MethodPut, "/api/accounts/profile", map[string]any{"name": strings.Repeat("n", 51)},
		tok.AccessToken); w.Code != 400 {
		t.Fatalf("overlong name: %d", w.Code)
	}
	w = e.JSON(http.MethodGet, "/api/accounts/revision-date", nil, tok.AccessToken)
	ms, err := strconv.ParseInt(strings.TrimSpace(w.Body.String()), 10, 64)
	if w.Code != 200 || err != nil || ms != time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("revision-date: %d %q, want the bare registration time in ms", w.Code, w.Body)
	}
	prof, dec, err := e.App.Accounts.SyncProfile(context.Background(), p["id"].(string))
	if err != nil || prof.Name == nil || *prof.Name != "Ada L" || dec.MasterPasswordUnlock == nil ||
		dec.MasterPasswordUnlock.Salt != "ada@example.com" || dec.MasterPasswordUnlock.MasterKeyWrappedUserKey != a.Key ||
		dec.MasterPasswordUnlock.Kdf.Iterations != 5000 {
		t.Fatalf("SyncProfile: %+v %+v %v", prof, dec, err)
	}
}

func TestAPIKeyAndPublicKey(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	_, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
	bob, _ := e.RegisterAndLogin(t, "bob@example.com", "pw")
	for _, hash := range []string{"", "d3Jvbmc=", bob.MasterPasswordHash} {
		w := e.JSON(http.MethodPost, "/api/accounts/api-key", map[string]string{"masterPasswordHash": hash}, tok.AccessToken)
		if m := body(t, w); w.Code != 400 || m["validationErrors"] == nil {
			t.Fatalf("api-key with a wrong hash: %d %s", w.Code, w.Body)
		}
	}
	profile := body(t, e.JSON(http.MethodGet, "/api/accounts/profile", nil, e.Login(t, bob).AccessToken))
	w := e.JSON(http.MethodGet, "/api/users/"+profile["id"].(string)+"/public-key", nil, tok.AccessToken)
	if m := body(t, w); w.Code != 200 || m["publicKey"] != bob.PublicKey || m["userId"] != profile["id"] {
		t.Fatalf("public-key: %d %s", w.Code, w.Body)
	}
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "NOT-A-GUID",
		strings.ToUpper(profile["id"].(string))} {
		if w := e.JSON(http.MethodGet, "/api/users/"+id+"/public-key", nil, tok.AccessToken); w.Code != 404 {
			t.Fatalf("public-key of %s: %d, want 404 (never 401/403)", id, w.Code)
		}
	}
}

func TestInstanceConfig(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	m := body(t, e.Do(http.MethodGet, "/api/config", nil))
	env, _ := json.Marshal(m["environment"])
	want := `{"api":"https://vault.example.test/api","cloudRegion":null,"identity":"https://vault.example.test/identity",` +
		`"notifications":"https://vault.example.test/notifications","sso":"","vault":"https://vault.example.test"}`
	if m["version"] != "2026.6.0" || string(env) != want || m["object"] != "config" {
		t.Fatalf("config: %v\nenvironment %s", m, env)
	}
	if fs, _ := json.Marshal(m["featureStates"]); string(fs) != "{}" {
		t.Fatalf("featureStates = %s", fs)
	}
	if m["settings"].(map[string]any)["disableUserRegistration"] != false {
		t.Fatalf("settings = %v", m["settings"])
	}
}

func TestLoginUpgradesCheapHash(t *testing.T) {
	e := newEnv(t, app.AccountSettings{})
	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	e.Register(t, a)
	cheap, err := accounts.HashPassword(rand.Reader, a.MasterPasswordHash, 1000)
	if err != nil {
		t.Fatal(err)
	}
	store := accounts.SQLStore{DB: e.DB}
	u, _ := store.UserByEmail(context.Background(), "ada@example.com")
	if err := store.SetPasswordHash(context.Background(), u.ID, cheap); err != nil {
		t.Fatal(err)
	}
	e.Login(t, a)
	u, _ = store.UserByEmail(context.Background(), "ada@example.com")
	if !strings.HasPrefix(u.PasswordHash, "$pbkdf2-sha256$i="+strconv.Itoa(accounts.PasswordIterations)+"$") {
		t.Fatalf("hash after login = %.24s..., want today's cost", u.PasswordHash)
	}
	e.Login(t, a) // and the upgraded hash verifies
}
