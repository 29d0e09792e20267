package webvault_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
		{"POST", "/vault", 418, "", ""},
		{"POST", "/.env", 418, "", ""},
		// Other methods on the vault's files are refused as such.
		{"POST", "/", 405, "application/json; charset=utf-8", "GET and HEAD only"},
		{"DELETE", "/index.html", 405, "application/json; charset=utf-8", "GET and HEAD only"},
		{"PUT", "/app/main.3f2a.js", 405, "application/json; charset=utf-8", "GET and HEAD only"},
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

func TestMethodNotAllowedHasAllow(t *testing.T) {
	h, err := webvault.New(fixture(t), rest)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/app/styles.css", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST a file: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

// TestServesOnlyRegularFiles: a FIFO in the folder is not opened (opening it would wait for a
// writer forever): it is a 404 at once, and a FIFO where index.html should be makes the folder
// unfit at start.
func TestServesOnlyRegularFiles(t *testing.T) {
	dir := fixture(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.txt"), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := webvault.New(dir, rest)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, p := range []string{"/fifo.txt", "/pipe"} {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
			done <- w
		}()
		select {
		case w := <-done:
			// A name without an extension gets the index (the vault's router), never the FIFO.
			if p == "/fifo.txt" && w.Code != 418 || p == "/pipe" && !strings.Contains(w.Body.String(), "vault") {
				t.Errorf("GET %s: %d %q", p, w.Code, w.Body.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("GET %s hangs on the FIFO", p) // a hang, not a speed limit: a FIFO open never returns
		}
	}
	bad := fixture(t)
	if err := os.Remove(filepath.Join(bad, "index.html")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(bad, "index.html"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := webvault.New(bad, rest); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO index: %v", err)
	}
}

// TestRefusesAnUnfitFolder: every reason names CASTELLAN_WEB_VAULT_DIR and says what is wrong.
func TestRefusesAnUnfitFolder(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "index.html")
	if err := os.WriteFile(outside, []byte("<title>elsewhere</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	escaping := fixture(t)
	if err := os.Remove(filepath.Join(escaping, "index.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(escaping, "index.html")); err != nil {
		t.Fatal(err)
	}
	noRedirect, noSSO := fixture(t), fixture(t)
	if err := os.Remove(filepath.Join(noRedirect, "redirect-connector.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(noSSO, "sso-connector.html")); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{escaping: "index.html in " + escaping + " is a symbolic link that " +
		"leaves the folder", noRedirect: "no redirect-connector.html in", noSSO: "no sso-connector.html in"} {
		_, err := webvault.New(dir, rest)
		if err == nil || !strings.Contains(err.Error(), want) ||
			!strings.HasPrefix(err.Error(), "CASTELLAN_WEB_VAULT_DIR: ") {
			t.Errorf("%s: %v, want %q", dir, err, want)
		}
		if err := webvault.Check(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check %s: %v", dir, err)
		}
	}
	// A link that stays inside the folder is fine.
	inside := fixture(t)
	if err := os.Rename(filepath.Join(inside, "index.html"), filepath.Join(inside, "app", "index.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("app/index.html", filepath.Join(inside, "index.html")); err != nil {
		t.Fatal(err)
	}
	if err := webvault.Check(inside); err != nil {
		t.Errorf("a link inside the folder: %v", err)
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
