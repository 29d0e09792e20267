package sso_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPages: castellan's own pages are accessible HTML under a strict Content-Security-Policy, and
// their assets are served with their types; unknown assets are 404.
func TestPages(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/sso-connector.html", "/redirect-connector.html", "/sso/oidc/signed-out"} {
		resp, err := e.srv.Client().Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "script-src 'self'") ||
			!strings.Contains(csp, "default-src 'none'") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d, CSP %q", path, resp.StatusCode, csp)
		}
	}
	r := e.browser().get(e.srv.URL + "/")
	for _, want := range []string{`<html lang="en">`, `<main id="main">`, `src="/castellan/app.js"`, "aria-live"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/ lacks %s", want)
		}
	}
	for path, ct := range map[string]string{"/castellan/app.js": "text/javascript", "/castellan/app.css": "text/css",
		"/castellan/redirect.js": "text/javascript"} {
		resp, err := e.srv.Client().Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ct) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/castellan/app.html", "/castellan/nope.js", "/castellan/..%2fpages.go"} {
		if r := e.browser().get(e.srv.URL + path); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", path, r.status)
		}
	}
}

// TestNativeRedirect: a client whose redirect URI is an app's own scheme gets a page with a link
// (and a script that follows it) rather than a bare redirect.
func TestNativeRedirect(t *testing.T) {
	e := newEnv(t)
	c := client{ID: "mobile", RedirectURI: "bitwarden://sso-callback", State: "st", Verifier: cliClient().Verifier}
	r := e.browser().signIn(c)
	if r.status != http.StatusOK || !strings.Contains(r.body, `href="bitwarden://sso-callback?code=`) ||
		!strings.Contains(r.body, "/castellan/redirect.js") {
		t.Fatalf("native redirect: %d %s", r.status, r.body)
	}
}
