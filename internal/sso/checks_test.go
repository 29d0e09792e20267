package sso_test

import (
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Messages the error pages must show (the public texts of oidcrp and sso).
const (
	pageFlowGone      = "This sign-in was not started in this browser, has expired, or was already used."
	pageSignature     = "ID token is not correctly signed"
	pageIssuer        = "does not come from the organization's identity provider"
	pageAudience      = "The ID token is meant for another application."
	pageExpired       = "The ID token is expired or not valid yet."
	pageNonce         = "The ID token does not belong to this sign-in."
	pageUserInfoSub   = "user information is about another user"
	pageUnverified    = "did not confirm that your email address is verified"
	pageNoEmail       = "did not send an email address"
	pageACR           = "did not use the authentication method the organization requires"
	pageProviderError = "The identity provider refused the sign-in. (access_denied)"
	pageTokenExchange = "The identity provider did not accept this sign-in."
	pageUnreachable   = "cannot be reached or is misconfigured"
	pageInvalidClient = "does not come from a known Bitwarden app"
	pageInvalidReq    = "The sign-in request is not valid."
)

// assertPage checks an error page: status, the message (HTML-escaped as the template writes it),
// an accessible HTML document, and nothing internal: no secret, token, library or stack text.
func (e *env) assertPage(r response, status int, msg string) {
	e.t.Helper()
	if r.status != status {
		e.t.Errorf("status %d, want %d: %s", r.status, status, r.body)
	}
	if !strings.Contains(r.body, html.EscapeString(msg)) {
		e.t.Errorf("page lacks %q:\n%s", msg, r.body)
	}
	if !strings.Contains(r.body, `<html lang="en">`) || !strings.Contains(r.body, `role="alert"`) {
		e.t.Errorf("page is not the accessible error page:\n%s", r.body)
	}
	for _, leak := range []string{opSecret, e.op.accessToken, "oidc:", "go-jose", "square", "goroutine",
		"panic", "sql", "exception", "eyJ"} {
		if strings.Contains(strings.ToLower(r.body), strings.ToLower(leak)) {
			e.t.Errorf("page leaks %q:\n%s", leak, r.body)
		}
	}
}

// TestCallbackRefusesBrokenAnswers: every check of the provider's answer with an input that breaks
// it. Each refuses with a page that says what went wrong, and creates nothing.
func TestCallbackRefusesBrokenAnswers(t *testing.T) {
	cases := []struct {
		name   string
		config func(data map[string]any)
		setup  func(e *env)
		msg    string
		status int
	}{
		{name: "BadSignature", setup: func(e *env) { e.op.signWith = otherKey() }, msg: pageSignature},
		{name: "WrongIssuer", msg: pageIssuer,
			setup: func(e *env) { e.op.idClaims = func(c map[string]any) { c["iss"] = "https://evil.example" } }},
		{name: "WrongAudience", msg: pageAudience,
			setup: func(e *env) { e.op.idClaims = func(c map[string]any) { c["aud"] = "someone-else" } }},
		{name: "Expired", msg: pageExpired, setup: func(e *env) {
			e.op.idClaims = func(c map[string]any) {
				c["iat"], c["exp"] = e.clock.Now().Add(-time.Hour).Unix(), e.clock.Now().Add(-10*time.Minute).Unix()
			}
		}},
		{name: "NonceMismatch", msg: pageNonce,
			setup: func(e *env) { e.op.idClaims = func(c map[string]any) { c["nonce"] = "another-sign-in" } }},
		{name: "IssParameterWrong", msg: pageIssuer,
			setup: func(e *env) { e.op.callback = func(v url.Values) { v.Set("iss", "https://evil.example") } }},
		{name: "IssParameterMissing", msg: pageIssuer,
			setup: func(e *env) { e.op.callback = func(v url.Values) { v.Del("iss") } }},
		{name: "ProviderError", msg: pageProviderError, setup: func(e *env) {
			e.op.callback = func(v url.Values) { v.Del("code"); v.Set("error", "access_denied") }
		}},
		{name: "CodeRefusedByProvider", msg: pageTokenExchange,
			setup: func(e *env) { e.op.callback = func(v url.Values) { v.Set("code", "forged") } }},
		{name: "UserInfoOtherSubject", msg: pageUserInfoSub,
			config: func(d map[string]any) { d["getClaimsFromUserInfoEndpoint"] = true },
			setup:  func(e *env) { e.op.userinfo = func(c map[string]any) { c["sub"] = "user-2" } }},
		{name: "EmailVerifiedFalse", msg: pageUnverified,
			setup: func(e *env) { e.op.idClaims = func(c map[string]any) { c["email_verified"] = false } }},
		{name: "EmailVerifiedAbsent", msg: pageUnverified,
			setup: func(e *env) { e.op.idClaims = func(c map[string]any) { delete(c, "email_verified") } }},
		{name: "EmailMissing", msg: pageNoEmail, setup: func(e *env) {
			e.op.idClaims = func(c map[string]any) { delete(c, "email"); delete(c, "email_verified") }
		}},
		{name: "ACRMismatch", msg: pageACR,
			config: func(d map[string]any) { d["expectedReturnAcrValue"] = "phr" },
			setup:  func(e *env) { e.op.idClaims = func(c map[string]any) { c["acr"] = "pwd" } }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.config != nil {
				e.configure(tc.config)
			}
			tc.setup(e)
			before := e.snapshot()
			r := e.browser().signIn(cliClient())
			e.assertPage(r, http.StatusBadRequest, tc.msg)
			e.assertUnchanged(before)
			if n := e.count("sso_flows"); n != 0 {
				t.Errorf("%d flows left after the callback: a flow is used once", n)
			}
			if strings.Contains(e.logs.String(), opSecret) {
				t.Errorf("the log holds the client secret")
			}
		})
	}
}

// TestCallbackStateAndBrowserBinding: a state that names no flow, a callback in another browser
// (which leaves the flow to its own browser), a replayed callback, and an expired flow.
func TestCallbackStateAndBrowserBinding(t *testing.T) {
	e := newEnv(t)
	c := cliClient()
	alice := e.browser()
	answer := e.op.authorize(alice.start(c))
	before := e.snapshot()

	wrong := url.Values{}
	for k, v := range answer {
		wrong[k] = v
	}
	wrong.Set("state", "not-the-state")
	e.assertPage(alice.callback(wrong), http.StatusBadRequest, pageFlowGone)
	e.assertPage(e.browser().callback(answer), http.StatusBadRequest, pageFlowGone)
	e.assertUnchanged(before)

	code := e.codeFrom(alice.callback(answer), c)
	if status, _ := e.redeem(c, code, c.Verifier); status != http.StatusOK {
		t.Fatalf("the right browser's sign-in failed: %d", status)
	}
	before = e.snapshot()
	e.assertPage(alice.callback(answer), http.StatusBadRequest, pageFlowGone)
	e.assertUnchanged(before)

	late := e.browser()
	answer = e.op.authorize(late.start(cliClient()))
	e.clock.Advance(11 * time.Minute)
	e.assertPage(late.callback(answer), http.StatusBadRequest, pageFlowGone)
	e.assertUnchanged(before)
}

// TestTokenEndpointChecksTheCode: the code is bound to its client, redirect URI and PKCE
// challenge, is spent by its first presentation, and expires.
func TestTokenEndpointChecksTheCode(t *testing.T) {
	e := newEnv(t)
	signIn := func() (client, string) {
		c := cliClient()
		return c, e.codeFrom(e.browser().signIn(c), c)
	}
	refuse := func(name string, status int, tr tokenResponse) {
		t.Helper()
		if status != http.StatusBadRequest || tr.Error != "invalid_grant" || tr.AccessToken != "" {
			t.Errorf("%s: %d %+v", name, status, tr)
		}
	}
	c, code := signIn()
	status, tr := e.redeem(c, code, "")
	refuse("missing verifier", status, tr)
	status, tr = e.redeem(c, code, c.Verifier)
	refuse("the code after a failed attempt", status, tr)

	c, code = signIn()
	status, tr = e.redeem(c, code, cliClient().Verifier)
	refuse("wrong verifier", status, tr)

	c, code = signIn()
	other := c
	other.RedirectURI = "http://localhost:8066"
	status, tr = e.redeem(other, code, c.Verifier)
	refuse("other redirect uri", status, tr)

	c, code = signIn()
	other = c
	other.ID = "desktop"
	status, tr = e.redeem(other, code, c.Verifier)
	refuse("other client", status, tr)

	c, code = signIn()
	e.clock.Advance(6 * time.Minute)
	status, tr = e.redeem(c, code, c.Verifier)
	refuse("expired code", status, tr)

	c, code = signIn()
	if status, tr = e.redeem(c, code, c.Verifier); status != http.StatusOK {
		t.Fatalf("good code: %d %+v", status, tr)
	}
	status, tr = e.redeem(c, code, c.Verifier)
	refuse("code used twice", status, tr)
}

// TestAuthorizeRefusesBadRequests: every parameter the official clients must send right, each
// refused with a page and no flow stored.
func TestAuthorizeRefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	token := b.prevalidate(identifier)
	cases := []struct {
		name string
		edit func(q url.Values)
		msg  string
	}{
		{"UnknownClient", func(q url.Values) { q.Set("client_id", "evil") }, pageInvalidClient},
		{"RedirectOtherPort", func(q url.Values) { q.Set("redirect_uri", "http://localhost:9999") }, pageInvalidClient},
		{"RedirectOtherHost", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, pageInvalidClient},
		{"RedirectOtherClient", func(q url.Values) { q.Set("redirect_uri", "bitwarden://sso-callback") }, pageInvalidClient},
		{"ResponseTypeToken", func(q url.Values) { q.Set("response_type", "token") }, pageInvalidReq},
		{"PKCEPlain", func(q url.Values) { q.Set("code_challenge_method", "plain") }, pageInvalidReq},
		{"PKCEMissing", func(q url.Values) { q.Del("code_challenge") }, pageInvalidReq},
		{"PKCEMalformed", func(q url.Values) { q.Set("code_challenge", "short") }, pageInvalidReq},
		{"StateMissing", func(q url.Values) { q.Del("state") }, pageInvalidReq},
		{"ScopeOther", func(q url.Values) { q.Set("scope", "api admin") }, pageInvalidReq},
		{"ResponseModeFragment", func(q url.Values) { q.Set("response_mode", "fragment") }, pageInvalidReq},
		{"TokenMissing", func(q url.Values) { q.Del("ssoToken") }, pageInvalidReq},
		{"TokenForged", func(q url.Values) { q.Set("ssoToken", token[:len(token)-4]+"AAAA") }, pageInvalidReq},
		{"TokenOtherIdentifier", func(q url.Values) { q.Set("domain_hint", "nope") }, "Single sign-on is not available"},
		{"RepeatedParameter", func(q url.Values) { q.Add("redirect_uri", "http://localhost:8065") }, pageInvalidReq},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := authorizeQuery(cliClient(), identifier, token)
			tc.edit(q)
			e.assertPage(b.authorize(q), http.StatusBadRequest, tc.msg)
			if n := e.count("sso_flows"); n != 0 {
				t.Errorf("%d flows stored", n)
			}
		})
	}
	t.Run("TokenExpired", func(t *testing.T) {
		e.clock.Advance(6 * time.Minute)
		e.assertPage(b.authorize(authorizeQuery(cliClient(), identifier, token)), http.StatusBadRequest,
			"The sign-in took too long to start.")
	})
}

// TestUnreachableProvider: a provider that refuses connections, and one that accepts and never
// answers, both give the error page within the provider timeout instead of a hanging browser.
func TestUnreachableProvider(t *testing.T) {
	e := newEnv(t)
	closed := freeAddr(t)
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.Close() })
	go func() { // accept and hold every connection without a word
		var held []net.Conn
		for {
			c, err := stuck.Accept()
			if err != nil {
				for _, h := range held {
					h.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	for name, addr := range map[string]string{"Refused": closed, "Silent": stuck.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			e.configure(func(d map[string]any) { d["authority"] = "http://" + addr })
			b := e.browser()
			started := time.Now()
			r := b.authorize(authorizeQuery(cliClient(), identifier, b.prevalidate(identifier)))
			e.assertPage(r, http.StatusBadGateway, pageUnreachable)
			// The test environment's provider timeout is 2 s; a hang would run into the client's 30 s.
			if d := time.Since(started); d > 10*time.Second {
				t.Errorf("the error page took %s", d)
			}
		})
	}
}

// freeAddr returns an address on which nothing listens (it did a moment ago).
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
