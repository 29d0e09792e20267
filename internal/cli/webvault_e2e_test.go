package cli_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/castellantest"
)

// TestServeWebVault starts `castellan serve` with CASTELLAN_WEB_VAULT_DIR on a small folder that
// stands for a web vault build: the vault's files answer at /, /sso-connector.html and
// /redirect-connector.html (its own pages take those addresses), with their types; castellan's API,
// identity, SSO and asset routes keep theirs, and unknown API paths still get the API's 404.
func TestServeWebVault(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html": "<title>web vault</title>", "sso-connector.html": "vault sso connector",
		"redirect-connector.html": "vault redirect connector", "app/main.js": "vault()", "app/sdk.wasm": "\x00asm",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := castellantest.Start(t, castellantest.Options{Env: []string{"CASTELLAN_WEB_VAULT_DIR=" + dir}})
	if !strings.Contains(srv.Log(), "serving the web vault") {
		t.Errorf("no start-up line about the web vault:\n%s", srv.Log())
	}
	cases := []struct {
		path   string
		status int
		ctype  string
		body   string
	}{
		{"/", 200, "text/html; charset=utf-8", "<title>web vault</title>"},
		{"/sso-connector.html", 200, "text/html; charset=utf-8", "vault sso connector"},
		{"/redirect-connector.html", 200, "text/html; charset=utf-8", "vault redirect connector"},
		{"/app/main.js", 200, "text/javascript; charset=utf-8", "vault()"},
		{"/app/sdk.wasm", 200, "application/wasm", "\x00asm"},
		{"/some/vault/route", 200, "text/html; charset=utf-8", "<title>web vault</title>"},
		{"/castellan/app.js", 200, "text/javascript; charset=utf-8", "castellan's own pages"},
		{"/api/config", 200, "application/json; charset=utf-8", `"object":"config"`},
		{"/alive", 200, "application/json; charset=utf-8", ""},
		{"/identity/.well-known/jwks", 200, "application/json; charset=utf-8", `"keys"`},
		{"/api/no-such-route", 404, "application/json; charset=utf-8", `"message":"Resource not found."`},
		{"/app/missing.js", 404, "application/json; charset=utf-8", "Resource not found."},
	}
	for _, tc := range cases {
		resp, err := srv.Client.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype ||
			!strings.Contains(string(body), tc.body) {
			t.Errorf("GET %s: %d %q %.80q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	resp, err := srv.Client.Get(srv.URL + "/identity/connect/authorize")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "'self'") {
		t.Errorf("authorize without parameters: %d, CSP %q: want castellan's own error page",
			resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}
