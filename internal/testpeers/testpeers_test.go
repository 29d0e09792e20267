package testpeers

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"golang.org/x/oauth2"
)

// testCtx bounds one test's interactions with a peer.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestFreePortIsBindable(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("listen on free port %d: %v", port, err)
	}
	l.Close()
}

func TestParseFormsReadsAttributesInAnyQuoting(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1/a/b")
	page := `<html><form id=x METHOD='post' action="../login?x=1&amp;y=2">
		<input type=hidden name='AuthState' value="s&#39;1">
		<input name="username" type="text"><input type="password" name=password>
		<button type="submit" name="approval" value="approve">Go</button></form>
		<form action="https://sp.example/acs"><input type="hidden" name="SAMLResponse" value="PHg+"/></form>`
	forms := ParseForms(base, page)
	if len(forms) != 2 {
		t.Fatalf("got %d forms, want 2", len(forms))
	}
	f := forms[0]
	if f.Method != "POST" || f.Action != "http://127.0.0.1:1/login?x=1&y=2" {
		t.Errorf("form = %s %s", f.Method, f.Action)
	}
	if got := f.Get("AuthState"); got != "s'1" {
		t.Errorf("AuthState = %q", got)
	}
	if !f.Has("username") || !f.Has("password") || !f.Has("approval") {
		t.Errorf("fields = %+v", f.Fields)
	}
	if v := f.Values(); v.Has("approval") || v.Get("AuthState") != "s'1" {
		t.Errorf("values = %v (submit buttons must be left out)", v)
	}
	if forms[1].Method != "GET" || forms[1].Get("SAMLResponse") != "PHg+" {
		t.Errorf("second form = %+v", forms[1])
	}
}

func TestBWCLIRunsPinnedVersion(t *testing.T) {
	bw := BWCLI(t, BWConfig{})
	ctx := testCtx(t)
	out, _, err := bw.Run(ctx, nil, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != "2026.6.0" {
		t.Fatalf("bw --version = %q, want 2026.6.0", got)
	}
	resp, err := bw.JSON(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Template struct {
			Status string `json:"status"`
		} `json:"template"`
	}
	if err := resp.Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Template.Status != "unauthenticated" {
		t.Fatalf("status = %s, want unauthenticated (fresh appdata dir)", resp.Data)
	}
	// A failure comes back as an envelope with success=false and a *BWError.
	resp, err = bw.JSON(ctx, "get", "item", "00000000-0000-0000-0000-000000000000")
	var bwErr *BWError
	if err == nil || !errors.As(err, &bwErr) || resp == nil || resp.Success || resp.Message == "" {
		t.Fatalf("get item while logged out: resp=%+v err=%v, want a BWError", resp, err)
	}
}

func TestMailpitReceivesOverSTARTTLS(t *testing.T) {
	mp := StartMailpit(t)
	ctx := testCtx(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mp.CertPEM)
	c, err := smtp.Dial(mp.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: pool}); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	if err := c.Auth(smtp.PlainAuth("", "user", "pass", "127.0.0.1")); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	msg := "From: vault@example.com\r\nTo: alice@example.com\r\nSubject: Join the org\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nAccept: https://vault.example/accept?t=1\r\n"
	if err := c.Mail("vault@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("alice@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	mail, err := mp.WaitFor(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if mail.Subject != "Join the org" || !strings.Contains(mail.Text, "accept?t=1") {
		t.Fatalf("mail = %q / %q", mail.Subject, mail.Text)
	}
	if err := mp.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	if list, err := mp.Messages(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after DeleteAll: %d messages, err %v", len(list), err)
	}
}

// rpCallback is an httptest server standing in for the relying party's redirect URI: it
// exchanges the code it receives and keeps the token.
type rpCallback struct {
	srv   *httptest.Server
	conf  *oauth2.Config
	state string
	pkce  string
	token chan *oauth2.Token
}

func newRPCallback(t *testing.T) *rpCallback {
	rp := &rpCallback{state: oauth2.GenerateVerifier(), pkce: oauth2.GenerateVerifier(),
		token: make(chan *oauth2.Token, 1)}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != rp.state {
			http.Error(w, "bad state", http.StatusBadRequest)
			return
		}
		tok, err := rp.conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(rp.pkce))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		rp.token <- tok
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(rp.srv.Close)
	return rp
}

func (rp *rpCallback) redirectURI() string { return rp.srv.URL + "/callback" }

func (rp *rpCallback) authURL() string {
	return rp.conf.AuthCodeURL(rp.state, oauth2.S256ChallengeOption(rp.pkce),
		oauth2.SetAuthURLParam("nonce", "n-0S6_WzA2Mj"))
}

// finish requests the callback URL the login helper stopped at and returns the token the
// callback obtained.
func (rp *rpCallback) finish(t *testing.T, ctx context.Context, callback *url.URL) *oauth2.Token {
	t.Helper()
	body, err := httpGet(ctx, callback.String())
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	if body != "ok" {
		t.Fatalf("callback answered %q", body)
	}
	return <-rp.token
}

// discover reads the endpoints of an OpenID provider.
func discover(t *testing.T, ctx context.Context, issuer string) oauth2.Endpoint {
	t.Helper()
	body, err := httpGet(ctx, issuer+"/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Issuer, AuthorizationEndpoint, TokenEndpoint string
	}
	if err := json.Unmarshal([]byte(body), &struct {
		Issuer *string `json:"issuer"`
		Auth   *string `json:"authorization_endpoint"`
		Token  *string `json:"token_endpoint"`
	}{&d.Issuer, &d.AuthorizationEndpoint, &d.TokenEndpoint}); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != issuer {
		t.Fatalf("discovery issuer %q, want %q", d.Issuer, issuer)
	}
	return oauth2.Endpoint{AuthURL: d.AuthorizationEndpoint, TokenURL: d.TokenEndpoint,
		AuthStyle: oauth2.AuthStyleInHeader}
}

// idTokenClaims decodes the payload of the token's id_token (signature not checked: the
// RP code under test does that; here only the peer's behaviour is shown).
func idTokenClaims(t *testing.T, tok *oauth2.Token) map[string]any {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q is not a JWS", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func hasGroup(claims map[string]any, group string) bool {
	groups, _ := claims["groups"].([]any)
	return slices.Contains(groups, any(group))
}

func TestDexCodeFlowAndPasswordGrant(t *testing.T) {
	rp := newRPCallback(t)
	dex := StartDex(t, DexConfig{Clients: DefaultDexClients(rp.redirectURI())})
	ctx := testCtx(t)
	rp.conf = &oauth2.Config{ClientID: "vault-rp", ClientSecret: "vault-rp-secret",
		Endpoint: discover(t, ctx, dex.Issuer), RedirectURL: rp.redirectURI(),
		Scopes: []string{"openid", "email", "profile", "groups"}}

	cb, err := dex.Login(ctx, nil, rp.authURL(), "alice@example.com", "alicepass", rp.redirectURI())
	if err != nil {
		t.Fatal(err)
	}
	claims := idTokenClaims(t, rp.finish(t, ctx, cb))
	if claims["email"] != "alice@example.com" || !hasGroup(claims, "vault-admins") {
		t.Fatalf("id_token claims = %v", claims)
	}

	if _, err := dex.Login(ctx, nil, rp.authURL(), "alice@example.com", "wrong", rp.redirectURI()); err == nil ||
		!strings.Contains(err.Error(), "rejected") {
		t.Fatalf("wrong password: err = %v, want a rejected login", err)
	}

	tok, err := rp.conf.PasswordCredentialsToken(ctx, "bob@example.com", "bobpass")
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if c := idTokenClaims(t, tok); c["email"] != "bob@example.com" || !hasGroup(c, "sales") {
		t.Fatalf("password grant claims = %v", c)
	}
}

func TestOIDCProviderCodeFlow(t *testing.T) {
	rp := newRPCallback(t)
	op := StartOIDCProvider(t, OIDCProviderConfig{
		Clients: []OIDCClient{{ID: "vault-rp", Secret: "vault-rp-secret",
			RedirectURIs: []string{rp.redirectURI()}}},
		Accounts: []OIDCAccount{{Login: "carol", Email: "carol@example.com",
			EmailVerified: true, Name: "Carol", Groups: []string{"finance"}}},
		ClaimsInIDToken: true,
	})
	ctx := testCtx(t)
	rp.conf = &oauth2.Config{ClientID: "vault-rp", ClientSecret: "vault-rp-secret",
		Endpoint: discover(t, ctx, op.Issuer), RedirectURL: rp.redirectURI(),
		Scopes: []string{"openid", "email", "profile", "groups"}}

	cb, err := op.Login(ctx, nil, rp.authURL(), "carol", "any-password", rp.redirectURI())
	if err != nil {
		t.Fatal(err)
	}
	if cb.Query().Get("iss") != op.Issuer {
		t.Errorf("callback iss = %q, want %q (RFC 9207)", cb.Query().Get("iss"), op.Issuer)
	}
	claims := idTokenClaims(t, rp.finish(t, ctx, cb))
	if claims["sub"] != "carol" || claims["email"] != "carol@example.com" || !hasGroup(claims, "finance") {
		t.Fatalf("id_token claims = %v", claims)
	}
}

// newSAMLSP returns a crewjam service provider with key kp for the IdP metadata at mdURL,
// with an ACS on 127.0.0.1 (never requested: the test parses the posted response itself).
func newSAMLSP(t *testing.T, ctx context.Context, mdURL string, kp *KeyPair) *saml.ServiceProvider {
	t.Helper()
	body, err := httpGet(ctx, mdURL)
	if err != nil {
		t.Fatal(err)
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(body), &md); err != nil {
		t.Fatalf("parse IdP metadata: %v", err)
	}
	root, _ := url.Parse("http://127.0.0.1:8080/sso/saml")
	return &saml.ServiceProvider{
		EntityID:    root.String() + "/metadata",
		Key:         kp.Key,
		Certificate: kp.Cert,
		MetadataURL: *root.JoinPath("metadata"),
		AcsURL:      *root.JoinPath("acs"),
		IDPMetadata: &md,
	}
}

// samlRoundTrip makes an AuthnRequest, logs in through login and returns the parsed
// assertion and whether the IdP encrypted it.
func samlRoundTrip(t *testing.T, ctx context.Context, sp *saml.ServiceProvider,
	login func(startURL string) (*SAMLPost, error)) (a *saml.Assertion, encrypted bool) {
	t.Helper()
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding),
		saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	start, err := req.Redirect("relay-1", sp)
	if err != nil {
		t.Fatal(err)
	}
	post, err := login(start.String())
	if err != nil {
		t.Fatal(err)
	}
	if post.Action != sp.AcsURL.String() || post.RelayState != "relay-1" {
		t.Fatalf("SAML POST to %q relay %q", post.Action, post.RelayState)
	}
	xmlResp, err := base64.StdEncoding.DecodeString(post.SAMLResponse)
	if err != nil {
		t.Fatal(err)
	}
	a, err = sp.ParseXMLResponse(xmlResp, []string{req.ID}, sp.AcsURL)
	if err != nil {
		t.Fatalf("ParseXMLResponse: %v", err)
	}
	return a, strings.Contains(string(xmlResp), "EncryptedAssertion")
}

// attrValues returns the values of the attribute called name.
func attrValues(a *saml.Assertion, name string) []string {
	var out []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name == name {
				for _, v := range at.Values {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}

func TestSimpleSAMLphpLogin(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		t.Run("encrypt="+strconv.FormatBool(encrypt), func(t *testing.T) {
			ctx := testCtx(t)
			// SimpleSAMLphp needs the SP's certificate at start, the SP the IdP's metadata
			// after: make the SP key first and put it into the SP afterwards.
			spKey := NewKeyPair(t, "castellan-test-sp")
			spDef := SAMLServiceProvider{EntityID: "http://127.0.0.1:8080/sso/saml/metadata",
				ACSURL: "http://127.0.0.1:8080/sso/saml/acs", CertPEM: spKey.CertPEM, EncryptAssertion: encrypt}
			ssp := StartSimpleSAMLphp(t, SimpleSAMLphpConfig{SPs: []SAMLServiceProvider{spDef}})
			sp := newSAMLSP(t, ctx, ssp.MetadataURL, spKey)
			a, encrypted := samlRoundTrip(t, ctx, sp, func(start string) (*SAMLPost, error) {
				return ssp.Login(ctx, nil, start, "alice", "alicepass")
			})
			if encrypted != encrypt {
				t.Errorf("assertion encrypted = %v, want %v", encrypted, encrypt)
			}
			if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value != "alice@example.com" {
				t.Fatalf("NameID = %+v", a.Subject)
			}
			if g := attrValues(a, "memberOf"); !slices.Contains(g, "vault-admins") {
				t.Fatalf("memberOf = %v", g)
			}
			if _, err := ssp.Login(ctx, nil, ssp.IdPInitiatedURL(spDef.EntityID), "bob", "wrong"); err == nil ||
				!strings.Contains(err.Error(), "rejected") {
				t.Fatalf("wrong password: err = %v, want a rejected login", err)
			}
		})
	}
}

func TestSamlIDPLogin(t *testing.T) {
	ctx := testCtx(t)
	idp := StartSamlIDP(t)
	sp := newSAMLSP(t, ctx, idp.MetadataURL, NewKeyPair(t, "castellan-test-sp"))
	md, err := xml.Marshal(sp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	if err := idp.AddServiceProvider(ctx, "vault", md); err != nil {
		t.Fatal(err)
	}
	if err := idp.AddUser(ctx, SAMLUser{Name: "dave", Password: "davepass", Email: "dave@example.com",
		Groups: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	a, encrypted := samlRoundTrip(t, ctx, sp, func(start string) (*SAMLPost, error) {
		return idp.Login(ctx, nil, start, "dave", "davepass")
	})
	if !encrypted {
		t.Errorf("samlidp did not encrypt the assertion for an SP with an encryption key")
	}
	const mailOID = "urn:oid:0.9.2342.19200300.100.1.3"
	if got := attrValues(a, mailOID); !slices.Equal(got, []string{"dave@example.com"}) {
		t.Fatalf("mail attribute = %v", got)
	}
}

// TestBWCLISSOModeOpensURLAndServesCallback drives `bw login --sso` against a TLS stand-in
// of the server: the xdg-open shim hands over the URL, the test answers the CLI's callback
// on localhost:8065 as the identity server would redirect the browser, and the stand-in
// sees the CLI's code exchange with the PKCE verifier that matches the URL's challenge.
func TestBWCLISSOModeOpensURLAndServesCallback(t *testing.T) {
	tokenReq := make(chan url.Values, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/identity/connect/token" {
			_ = r.ParseForm()
			select {
			case tokenReq <- r.PostForm:
			default:
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"test stand-in"}`)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	bw := BWCLI(t, BWConfig{CAFile: caFile, SSO: true})
	ctx := testCtx(t)
	if _, _, err := bw.Run(ctx, nil, "config", "server", srv.URL); err != nil {
		t.Fatal(err)
	}
	proc, err := bw.Start(ctx, nil, "login", "--sso", "acme")
	if err != nil {
		t.Fatal(err)
	}
	opened, err := proc.WaitSSOURL(ctx)
	if err != nil {
		_, stderr, _ := proc.Wait()
		t.Fatalf("%v (stderr: %s)", err, stderr)
	}
	u, err := url.Parse(opened)
	if err != nil {
		t.Fatal(err)
	}
	// The parameters sit in the fragment: <vault>/#/sso?clientId=cli&...
	_, rawQuery, _ := strings.Cut(u.Fragment, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil || q.Get("clientId") != "cli" || q.Get("state") == "" || q.Get("codeChallenge") == "" {
		t.Fatalf("opened %q: params %v, %v", opened, q, err)
	}
	cb := fmt.Sprintf("http://localhost:%d/?code=test-code&state=%s", BWSSOCallbackPort,
		url.QueryEscape(q.Get("state")+"_identifier=acme"))
	if _, err := httpGet(ctx, cb); err != nil {
		t.Fatalf("callback: %v", err)
	}
	var form url.Values
	select {
	case form = <-tokenReq:
	case <-ctx.Done():
		t.Fatal("the CLI never posted the code to /identity/connect/token")
	}
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	if form.Get("code") != "test-code" || form.Get("grant_type") != "authorization_code" ||
		form.Get("redirect_uri") != fmt.Sprintf("http://localhost:%d", BWSSOCallbackPort) ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != q.Get("codeChallenge") {
		t.Fatalf("token request %v does not match the opened URL %q", form, opened)
	}
	if _, _, err := proc.Wait(); err == nil {
		t.Fatal("login succeeded although the token endpoint refused the code")
	}
}
