package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/castellantest"
)

// Harness helpers of issue 5's tests (single sign-on): a browser that plays castellan's SSO page the
// way the web vault does, the provider's login through a testpeers login helper, and the web
// client's own sign-in for setting the master password through the API.

// IdPLogin drives an identity provider's login pages from authURL in client, following redirects
// until one that starts with stopPrefix, which it returns (testpeers.Dex.Login and
// testpeers.OIDCProvider.Login, with the user bound).
type IdPLogin func(ctx context.Context, client *http.Client, authURL, stopPrefix string) (*url.URL, error)

// Browser returns a cookie-keeping client that trusts srv and does not follow redirects.
func Browser(srv *castellantest.Server) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err) // cookiejar.New(nil) never fails
	}
	c := *srv.Client
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// SSORequest is the client's part of a sign-in, as the official clients put it in the #/sso URL.
type SSORequest struct {
	ClientID, RedirectURI, State, CodeChallenge, Identifier string
}

// ParseSSOURL reads the #/sso?... URL an official client opens (the CLI through xdg-open).
func ParseSSOURL(raw string) (SSORequest, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SSORequest{}, fmt.Errorf("parse sso url: %w", err)
	}
	route, query, _ := strings.Cut(u.Fragment, "?")
	q, err := url.ParseQuery(query)
	if err != nil || route != "/sso" {
		return SSORequest{}, fmt.Errorf("sso url fragment %q is not /sso?...", u.Fragment)
	}
	r := SSORequest{ClientID: q.Get("clientId"), RedirectURI: q.Get("redirectUri"), State: q.Get("state"),
		CodeChallenge: q.Get("codeChallenge"), Identifier: q.Get("identifier")}
	if r.ClientID == "" || r.RedirectURI == "" || r.State == "" || r.CodeChallenge == "" {
		return SSORequest{}, fmt.Errorf("sso url lacks clientId, redirectUri, state or codeChallenge: %s", query)
	}
	return r, nil
}

// WebVaultSSO does what castellan's SSO page (and the web vault's) does for a client's request:
// prevalidate the identifier, open /identity/connect/authorize with the client's parameters, let the
// user log in at the provider, and return castellan's answer to the provider's callback: the
// redirect it sends the browser to (the client's redirect URI with a code, or the login page with
// an error), or an error with the page it showed.
func WebVaultSSO(ctx context.Context, c *http.Client, srv *castellantest.Server, r SSORequest,
	login IdPLogin) (*url.URL, error) {
	token, err := prevalidate(ctx, c, srv, r.Identifier)
	if err != nil {
		return nil, err
	}
	q := url.Values{"client_id": {r.ClientID}, "redirect_uri": {r.RedirectURI}, "response_type": {"code"},
		"scope": {"api offline_access"}, "state": {r.State + "_identifier=" + r.Identifier},
		"code_challenge": {r.CodeChallenge}, "code_challenge_method": {"S256"}, "response_mode": {"query"},
		"domain_hint": {r.Identifier}, "ssoToken": {token}}
	authURL, err := expectRedirect(ctx, c, srv.URL+"/identity/connect/authorize?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("authorize: %w", err)
	}
	callback, err := login(ctx, c, authURL.String(), srv.URL+"/sso/oidc/callback")
	if err != nil {
		return nil, err
	}
	next, err := expectRedirect(ctx, c, callback.String())
	if err != nil {
		return nil, fmt.Errorf("callback: %w", err)
	}
	return next, nil
}

func prevalidate(ctx context.Context, c *http.Client, srv *castellantest.Server, identifier string) (string, error) {
	status, body, _, err := get(ctx, c, srv.URL+"/identity/sso/prevalidate?domainHint="+url.QueryEscape(identifier))
	if err != nil {
		return "", err
	}
	var v struct{ Token string }
	if status != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Token == "" {
		return "", fmt.Errorf("prevalidate %s: %d %s", identifier, status, body)
	}
	return v.Token, nil
}

// expectRedirect GETs target and returns the redirect's location, or an error with the page.
func expectRedirect(ctx context.Context, c *http.Client, target string) (*url.URL, error) {
	status, body, loc, err := get(ctx, c, target)
	if err != nil {
		return nil, err
	}
	if status != http.StatusFound && status != http.StatusSeeOther {
		return nil, &PageError{Status: status, Body: string(body)}
	}
	return loc, nil
}

// PageError is a page castellan showed where a redirect was expected.
type PageError struct {
	Status int
	Body   string
}

func (e *PageError) Error() string {
	return fmt.Sprintf("page with status %d: %.300s", e.Status, e.Body)
}

func get(ctx context.Context, c *http.Client, target string) (int, []byte, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	loc, _ := resp.Location()
	return resp.StatusCode, body, loc, nil
}

// WebClientToken signs in through SSO as the web client (redirect URI <server>/sso-connector.html,
// its own state and PKCE) and redeems the code, as the web vault does before it shows the
// set-master-password page. It returns the access token.
func WebClientToken(ctx context.Context, t testing.TB, srv *castellantest.Server, identifier string,
	login IdPLogin) string {
	t.Helper()
	return webClientToken(t, srv, identifier, func(r SSORequest) (*url.URL, error) {
		return WebVaultSSO(ctx, Browser(srv), srv, r, login)
	})
}

// webClientToken makes the web client's request (its own state and PKCE), has signIn carry it
// through castellan and the identity provider, and redeems the code castellan sent back.
func webClientToken(t testing.TB, srv *castellantest.Server, identifier string,
	signIn func(SSORequest) (*url.URL, error)) string {
	t.Helper()
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	r := SSORequest{ClientID: "web", RedirectURI: srv.URL + "/sso-connector.html", State: rand.Text(),
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), Identifier: identifier}
	next, err := signIn(r)
	if err != nil {
		t.Fatalf("e2e: web client sign-in: %v", err)
	}
	code := next.Query().Get("code")
	if !strings.HasPrefix(next.String(), r.RedirectURI+"?") || code == "" {
		t.Fatalf("e2e: web client sign-in ended at %s", next)
	}
	return accessToken(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {r.RedirectURI}, "client_id": {"web"},
		"scope": {"api offline_access"}, "deviceType": {"9"}, "deviceIdentifier": {uuid.NewString()},
		"deviceName": {"chrome"}})
}

// SetMasterPassword sets the first master password of an SSO account through the API, in the shape
// current clients send, with secrets made by bwcrypto, and returns them.
func SetMasterPassword(t testing.TB, srv *castellantest.Server, token, identifier, email,
	password string) *bwcrypto.Account {
	t.Helper()
	acct, err := bwcrypto.NewAccount(email, password, TestKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kdf := map[string]any{"kdfType": int(TestKDF.Kind), "iterations": TestKDF.Iterations}
	Call(t, srv, token, "POST", "/api/accounts/set-password", map[string]any{
		"masterPasswordAuthentication": map[string]any{"kdf": kdf, "salt": acct.Email,
			"masterPasswordAuthenticationHash": acct.MasterPasswordHash},
		"masterPasswordUnlock": map[string]any{"kdf": kdf, "salt": acct.Email, "masterKeyWrappedUserKey": acct.Key},
		"accountKeys": map[string]any{"userKeyEncryptedAccountPrivateKey": acct.EncryptedPrivateKey,
			"accountPublicKey": acct.PublicKey},
		"masterPasswordHint": nil, "orgIdentifier": identifier,
	}, nil)
	return acct
}
