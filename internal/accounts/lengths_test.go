package accounts_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestNamesCountCharacters: the 50-character limits on the name and the master password hint count
// characters as the official server does (UTF-16 code units), not bytes, at registration and in the
// profile. A 20-character Chinese name (60 bytes) was refused; 50 Chinese characters are accepted and
// stored on every engine, 51 are refused; 25 emoji are 50 units, 26 are too many.
func TestNamesCountCharacters(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			testNamesCountCharacters(t, identitytest.New(t, storagetest.OpenFresh(t, eng), app.AccountSettings{}))
		})
	}
}

func testNamesCountCharacters(t *testing.T, e *identitytest.Env) {
	han, emoji := "漢", "😀"
	start := func(name string) int {
		return e.JSON(http.MethodPost, "/identity/accounts/register/send-verification-email",
			map[string]any{"email": "ada@example.com", "name": name}, "").Code
	}
	if code := start(strings.Repeat(han, 20)); code != http.StatusOK {
		t.Fatalf("send-verification-email with 20 Chinese characters: %d", code)
	}
	if code := start(strings.Repeat(han, 51)); code != http.StatusBadRequest {
		t.Fatalf("send-verification-email with 51 Chinese characters: %d", code)
	}

	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	req := identitytest.FinishRequest(a)
	req["name"], req["masterPasswordHint"] = strings.Repeat(han, 51), ""
	assertField(t, e.JSON(http.MethodPost, "/identity/accounts/register/finish", req, ""), "Name")
	req["name"], req["masterPasswordHint"] = strings.Repeat(han, 50), strings.Repeat(emoji, 26)
	assertField(t, e.JSON(http.MethodPost, "/identity/accounts/register/finish", req, ""), "MasterPasswordHint")
	if n := users(t, e); n != 0 {
		t.Fatalf("refused registrations stored %d accounts", n)
	}
	req["masterPasswordHint"] = strings.Repeat(emoji, 25)
	if w := e.JSON(http.MethodPost, "/identity/accounts/register/finish", req, ""); w.Code != http.StatusOK {
		t.Fatalf("register with a 50-character name: %d %s", w.Code, w.Body)
	}
	tok := e.Login(t, a).AccessToken
	if p := body(t, e.JSON(http.MethodGet, "/api/accounts/profile", nil, tok)); p["name"] != strings.Repeat(han, 50) {
		t.Fatalf("the name read back as %v", p["name"])
	}

	assertField(t, e.JSON(http.MethodPut, "/api/accounts/profile",
		map[string]any{"name": strings.Repeat(emoji, 26)}, tok), "Name")
	name := strings.Repeat(emoji, 25)
	w := e.JSON(http.MethodPut, "/api/accounts/profile", map[string]any{"name": name,
		"masterPasswordHint": strings.Repeat(han, 50), "culture": "zh-CN"}, tok)
	if p := body(t, w); w.Code != http.StatusOK || p["name"] != name {
		t.Fatalf("profile with 25 emoji: %d %s", w.Code, w.Body)
	}
}

// assertField wants a 400 with a validation error on field.
func assertField(t *testing.T, w *httptest.ResponseRecorder, field string) {
	t.Helper()
	errs, _ := body(t, w)["validationErrors"].(map[string]any)
	if w.Code != http.StatusBadRequest || errs[field] == nil {
		t.Fatalf("got %d %s, want 400 with a validation error on %s", w.Code, w.Body, field)
	}
}
