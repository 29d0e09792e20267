package e2e

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// Harness helpers of issue 6's tests (SAML single sign-on), on top of sso_harness.go: the browser
// plays castellan's SSO page as for OIDC, but the identity provider answers with an auto-posting
// form that the browser posts to castellan's assertion consumer.

// SAMLLogin drives a SAML identity provider's login pages from the AuthnRequest URL (or its
// IdP-initiated URL) in client and returns its auto-posting answer (testpeers.SimpleSAMLphp.Login
// and testpeers.SamlIDP.Login, with the user bound).
type SAMLLogin func(ctx context.Context, client *http.Client, startURL string) (*testpeers.SAMLPost, error)

// WebVaultSAML does what castellan's SSO page does for a client's request with a SAML
// organization: prevalidate, authorize (castellan answers with the AuthnRequest redirect), the
// login at the identity provider, and the post of its answer to the assertion consumer. It returns
// where castellan sent the browser (the client's redirect URI with a code, or the login page with
// an error) and the posted answer, or an error with the page castellan showed (*PageError).
func WebVaultSAML(ctx context.Context, c *http.Client, srv *castellantest.Server, r SSORequest,
	login SAMLLogin) (*url.URL, *testpeers.SAMLPost, error) {
	token, err := prevalidate(ctx, c, srv, r.Identifier)
	if err != nil {
		return nil, nil, err
	}
	q := url.Values{"client_id": {r.ClientID}, "redirect_uri": {r.RedirectURI}, "response_type": {"code"},
		"scope": {"api offline_access"}, "state": {r.State + "_identifier=" + r.Identifier},
		"code_challenge": {r.CodeChallenge}, "code_challenge_method": {"S256"}, "response_mode": {"query"},
		"domain_hint": {r.Identifier}, "ssoToken": {token}}
	authURL, err := expectRedirect(ctx, c, srv.URL+"/identity/connect/authorize?"+q.Encode())
	if err != nil {
		return nil, nil, fmt.Errorf("authorize: %w", err)
	}
	post, err := login(ctx, c, authURL.String())
	if err != nil {
		return nil, nil, err
	}
	next, err := PostSAML(ctx, c, post)
	return next, post, err
}

// PostSAML posts an identity provider's answer as its auto-posting form does and returns
// castellan's redirect, or a *PageError with the page it showed instead.
func PostSAML(ctx context.Context, c *http.Client, post *testpeers.SAMLPost) (*url.URL, error) {
	form := strings.NewReader(post.Values().Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, post.Action, form)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post the answer to %s: %w", post.Action, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return nil, &PageError{Status: resp.StatusCode, Body: string(body)}
	}
	return resp.Location()
}

// DecodedSAMLResponse returns the XML of a posted answer.
func DecodedSAMLResponse(post *testpeers.SAMLPost) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(post.SAMLResponse), ""))
	if err != nil {
		return "", fmt.Errorf("decode SAMLResponse: %w", err)
	}
	return string(raw), nil
}

// nsSAMLAssertion is the namespace of SAML 2.0 assertions.
const nsSAMLAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"

// SAMLAssertionCount counts the assertions of a posted answer that travel in clear and those that
// travel encrypted (saml:Assertion and saml:EncryptedAssertion elements, whatever their prefix).
func SAMLAssertionCount(post *testpeers.SAMLPost) (clear, encrypted int, err error) {
	doc, err := DecodedSAMLResponse(post)
	if err != nil {
		return 0, 0, err
	}
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return clear, encrypted, nil
		}
		if err != nil {
			return 0, 0, fmt.Errorf("parse SAMLResponse: %w", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Space == nsSAMLAssertion {
			switch el.Name.Local {
			case "Assertion":
				clear++
			case "EncryptedAssertion":
				encrypted++
			}
		}
	}
}

// SAMLWebClientToken signs in through SAML as the web client and redeems the code, as the web vault
// does before it shows the set-master-password page. It returns the access token.
func SAMLWebClientToken(ctx context.Context, t testing.TB, srv *castellantest.Server, identifier string,
	login SAMLLogin) string {
	t.Helper()
	return webClientToken(t, srv, identifier, func(r SSORequest) (*url.URL, error) {
		next, _, err := WebVaultSAML(ctx, Browser(srv), srv, r, login)
		return next, err
	})
}
