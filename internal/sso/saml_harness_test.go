package sso_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// The SAML harness: the env of harness_test.go with the organization switched to SAML, trusting
// testIdP, and helpers that walk a browser through authorize, the IdP (which the test plays by
// signing documents itself) and the assertion consumer.

type samlEnv struct {
	*env
	idp  *samlIdP
	urls adminclient.SSOURLs
}

// samlData is a valid SAML configuration trusting idp: HTTP-Redirect, per-organization entity ID,
// persistent NameIDs, signed assertions required, SHA-256 minimum, and emails trusted.
func samlData(idp *samlIdP) map[string]any {
	return map[string]any{"configType": 2, "memberDecryptionType": 0, "idpEntityId": idp.entityID,
		"idpBindingType": 1, "idpSingleSignOnServiceUrl": idp.ssoURL, "idpSingleLogoutServiceUrl": idp.sloURL,
		"idpX509PublicCert": idp.certB64(), "spUniqueEntityId": true, "spNameIdFormat": 7,
		"spWantAssertionsSigned": true, "spMinIncomingSigningAlgorithm": rsaSHA256, "trustIdPEmails": true}
}

// newSAMLEnv starts castellan with the organization "acme" on SAML (samlData changed by edit).
func newSAMLEnv(t *testing.T, edit func(data map[string]any)) *samlEnv {
	t.Helper()
	return newSAMLEnvOn(t, storagetest.OpenFresh(t, storagetest.Engines()[0]), edit)
}

// newSAMLEnvOn is newSAMLEnv on the database db.
func newSAMLEnvOn(t *testing.T, db *storage.DB, edit func(data map[string]any)) *samlEnv {
	t.Helper()
	s := &samlEnv{env: newEnvOn(t, db), idp: testIdP()}
	s.configureSAML(edit)
	return s
}

// configureSAML saves the SAML configuration (samlData changed by edit), enabled.
func (s *samlEnv) configureSAML(edit func(data map[string]any)) {
	s.t.Helper()
	data := samlData(s.idp)
	if edit != nil {
		edit(data)
	}
	cfg, err := s.admin.SetSSO(s.ctx, s.orgID, adminclient.SSOConfig{Enabled: true, Identifier: identifier,
		Data: data}, "")
	if err != nil {
		s.t.Fatalf("configure saml: %v", err)
	}
	s.urls = cfg.URLs
}

// start prevalidates and authorizes for c in b, follows castellan's redirect to the IdP and
// returns the AuthnRequest's ID and the RelayState.
func (s *samlEnv) start(b *browser, c client) (string, string) {
	s.t.Helper()
	r := b.authorize(authorizeQuery(c, identifier, b.prevalidate(identifier)))
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, s.idp.ssoURL+"?") {
		s.t.Fatalf("authorize: %d to %q: %s", r.status, r.location, r.body)
	}
	req, q := redirectMessage(s.t, r.location)
	if req.Tag != "AuthnRequest" || q.Get("RelayState") == "" {
		s.t.Fatalf("authorize sent %s with RelayState %q", req.Tag, q.Get("RelayState"))
	}
	return req.SelectAttrValue("ID", ""), q.Get("RelayState")
}

// answer is the response testIdP gives to request reqID (unsolicited when reqID is empty): alice,
// with a persistent NameID, her mail under its OID and a display name, valid for five minutes.
func (s *samlEnv) answer(reqID string) samlResp {
	now := s.clock.Now()
	return samlResp{ResponseID: "_r-" + rand.Text(), AssertionID: "_a-" + rand.Text(), InResponseTo: reqID,
		Destination: s.urls.SpAcsURL, Recipient: s.urls.SpAcsURL, Audience: s.urls.SpEntityID,
		Issuer: s.idp.entityID, IssueInstant: now.Add(-2 * time.Second), NotBefore: now.Add(-2 * time.Second),
		NotOnOrAfter: now.Add(5 * time.Minute), NameID: "alice-0001", NameIDFormat: formatPersistent,
		Attributes: []samlAttr{
			{Name: "urn:oid:0.9.2342.19200300.100.1.3", FriendlyName: "mail", Values: []string{"alice@example.com"}},
			{Name: "displayName", Values: []string{"Alice Example"}},
		}}
}

// post delivers a SAML response to the organization's assertion consumer through b, as an IdP's
// auto-posting form does.
func (s *samlEnv) post(b *browser, doc []byte, relay string) response {
	s.t.Helper()
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}}
	if relay != "" {
		form.Set("RelayState", relay)
	}
	return b.postForm(s.urls.SpAcsURL, form)
}

// signIn runs a whole SP-initiated sign-in for c, with the response build makes for the request.
func (s *samlEnv) signIn(b *browser, c client, build func(samlResp) []byte) response {
	s.t.Helper()
	reqID, relay := s.start(b, c)
	return s.post(b, build(s.answer(reqID)), relay)
}

// login runs an SP-initiated sign-in as the CLI and redeems the code.
func (s *samlEnv) login() tokenResponse {
	s.t.Helper()
	c := cliClient()
	r := s.signIn(s.browser(), c, func(r samlResp) []byte { return s.idp.signedAssertion(s.t, r) })
	status, tr := s.redeem(c, s.codeFrom(r, c), c.Verifier)
	if status != http.StatusOK || tr.AccessToken == "" {
		s.t.Fatalf("redeem: %d %+v", status, tr)
	}
	return tr
}

// postForm posts a form and reads the answer without following redirects.
func (b *browser) postForm(rawURL string, form url.Values) response {
	b.e.t.Helper()
	resp, err := b.c.PostForm(rawURL, form)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw)}
}

// link returns the external ID the organization's link of the account with that address holds.
func (e *env) link(email string) string {
	e.t.Helper()
	var ext string
	err := e.db.QueryRowContext(e.ctx, `SELECT l.external_id FROM sso_links l JOIN users u ON u.id = l.user_id
		WHERE u.email = ? AND l.organization_id = ?`, email, e.orgID).Scan(&ext)
	if err != nil {
		e.t.Fatalf("link of %s: %v", email, err)
	}
	return ext
}

// process is a second castellan process on the test's database and public URL, driven in-process.
type process struct {
	s *samlEnv
	h http.Handler
}

// otherProcess builds another castellan on the same database, as a second server behind the same
// load balancer would be; it logs into the test's log.
func (s *samlEnv) otherProcess() *process {
	s.t.Helper()
	logger := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(s.ctx, app.Deps{Logger: logger, Clock: s.clock, DB: s.db, PublicURL: s.srv.URL,
		MaxBodyBytes: 1 << 20, DataDir: s.t.TempDir()})
	if err != nil {
		s.t.Fatalf("build a second process: %v", err)
	}
	return &process{s: s, h: a.Handler()}
}

// post delivers an (IdP-initiated) answer to the second process's assertion consumer.
func (p *process) post(doc []byte) *httptest.ResponseRecorder {
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}}
	req := httptest.NewRequest(http.MethodPost, p.s.urls.SpAcsURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	return rec
}
