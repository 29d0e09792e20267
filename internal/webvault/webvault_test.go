package webvault_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/webvault"
)

// fixture is a small web vault build: an index, scripts, WebAssembly, a folder, a dotfile, and a
// symbolic link that points out of the folder.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html": "<!doctype html><title>vault</title>", "app/main.3f2a.js": "console.log(1)",
		"app/styles.css": "body{}", "sdk.wasm": "\x00asm", "locales/en/messages.json": "{}",
		"sso-connector.html": "<p>vault connector</p>", "redirect-connector.html": "<p>vault redirect</p>",
		"images/logo.svg": "<svg/>", ".env": "SECRET=1", "odd.unknownext": "x",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "escape.txt")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rest stands for castellan's own routes: it marks what the vault hands on.
var rest = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusTeapot)
})

func TestServesTheBuild(t *testing.T) {
	h, err := webvault.New(fixture(t), rest)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cases := []struct {
		method, path string
		status       int
		ctype, body  string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "<title>vault</title>"},
		{"HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", "<title>vault</title>"},
		{"GET", "/app/main.3f2a.js", 200, "text/javascript; charset=utf-8", "console.log(1)"},
		{"GET", "/app/styles.css", 200, "text/css; charset=utf-8", "body{}"},
		{"GET", "/sdk.wasm", 200, "application/wasm", "\x00asm"},
		{"GET", "/locales/en/messages.json", 200, "application/json", "{}"},
		{"GET", "/images/logo.svg", 200, "image/svg+xml", "<svg/>"},
		{"GET", "/odd.unknownext", 200, "application/octet-stream", "x"},
		{"GET", "/sso-connector.html", 200, "text/html; charset=utf-8", "vault connector"},
		// The vault's own routes and folders get the index, never a listing.
		{"GET", "/vault", 200, "text/html; charset=utf-8", "<title>vault</title>"},
		{"GET", "/app", 200, "text/html; charset=utf-8", "<title>vault</title>"},
		{"GET", "/app/", 200, "text/html; charset=utf-8", "<title>vault</title>"},
		// Missing files, dotfiles, escapes and other methods go to castellan.
		{"GET", "/app/missing.js", 418, "", ""},
		{"GET", "/.env", 418, "", ""},
		{"GET", "/app/../.env", 418, "", ""},
		{"GET", "/escape.txt", 418, "", ""},
		{"POST", "/", 418, "", ""},
		{"DELETE", "/index.html", 418, "", ""},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, "https://vault.example.com"+tc.path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.status || (tc.ctype != "" && w.Header().Get("Content-Type") != tc.ctype) ||
			!strings.Contains(w.Body.String(), tc.body) || (tc.method == "HEAD" && w.Body.Len() != 0) {
			t.Errorf("%s %s: %d %q %q", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
		if w.Code == 200 && w.Header().Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("%s: X-Frame-Options %q", tc.path, w.Header().Get("X-Frame-Options"))
		}
	}
	req := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("index Cache-Control %q, want no-cache", w.Header().Get("Cache-Control"))
	}
}

func TestRefusesAFolderWithoutIndex(t *testing.T) {
	if _, err := webvault.New(t.TempDir(), rest); err == nil || !strings.Contains(err.Error(), "no index.html") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := webvault.New(filepath.Join(t.TempDir(), "nope"), rest); err == nil {
		t.Error("a missing folder was accepted")
	}
}
