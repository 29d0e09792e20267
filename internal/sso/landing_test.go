package sso_test

import (
	"context"
	"html"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/testpeers"
)

// dumpDOM loads pageURL in headless Chromium (trusting the test server's certificate), lets its
// scripts run, and returns the DOM as HTML.
func dumpDOM(t *testing.T, pageURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, testpeers.Chromium(t), "--headless", "--no-sandbox", "--disable-gpu",
		"--ignore-certificate-errors", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000",
		"--dump-dom", pageURL).Output()
	if err != nil {
		t.Fatalf("chromium %s: %v", pageURL, err)
	}
	return html.UnescapeString(string(out))
}

// TestLandingPagesInChromium: the invitation landing tells an existing account the accept-invite
// command and a new address the register --invite-link command and the apps that can create an
// account, each with the page's own link; the official shape of the e-mail verification link
// (/redirect-connector.html#finish-signup?...) reaches the finish-signup landing, which gives the
// register --verification-link command.
func TestLandingPagesInChromium(t *testing.T) {
	e := newEnv(t)
	join := e.srv.URL + "/#/accept-organization?" + url.Values{"organizationId": {"o-1"},
		"organizationUserId": {"m-1"}, "email": {"ann@example.com"}, "organizationName": {"Acme"},
		"token": {"tok"}}.Encode()
	existing := join + "&orgUserHasExistingUser=true"
	dom := dumpDOM(t, existing)
	if !strings.Contains(dom, "castellan account accept-invite '"+existing+"'") ||
		!strings.Contains(dom, "invited to join Acme as ann@example.com") || strings.Contains(dom, "web vault") {
		t.Errorf("landing for an existing account:\n%s", dom)
	}
	fresh := join + "&orgUserHasExistingUser=false"
	dom = dumpDOM(t, fresh)
	for _, want := range []string{"castellan account register --invite-link '" + fresh + "'",
		`"Create account"`, "self-hosted " + e.srv.URL, "castellan account accept-invite '" + fresh + "'"} {
		if !strings.Contains(dom, want) {
			t.Errorf("landing for a new address lacks %q:\n%s", want, dom)
		}
	}

	dom = dumpDOM(t, e.srv.URL+
		"/redirect-connector.html#finish-signup?token=a.b&email=ann%40example.com&fromEmail=true")
	want := "castellan account register --verification-link '" + e.srv.URL +
		"/#/finish-signup?token=a.b&email=ann%40example.com&fromEmail=true'"
	if !strings.Contains(dom, want) || !strings.Contains(dom, "This link verifies ann@example.com") {
		t.Errorf("verification landing lacks %q:\n%s", want, dom)
	}
}
