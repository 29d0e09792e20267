package sso_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/samlsp"
	"github.com/castellan-vault/castellan/internal/sso"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestSAMLSignInOnEveryEngine: a first sign-in, a second one through the link, and a replayed
// IdP-initiated answer on SQLite, PostgreSQL and MariaDB.
func TestSAMLSignInOnEveryEngine(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			s := newSAMLEnvOn(t, storagetest.OpenFresh(t, eng),
				func(d map[string]any) { d["idpAllowUnsolicitedAuthnResponse"] = true })
			s.login()
			s.login()
			if s.count("sso_links") != 1 || s.link("alice@example.com") != "alice-0001" {
				t.Fatalf("links: %d", s.count("sso_links"))
			}
			doc := s.idp.signedAssertion(t, s.answer(""))
			if r := s.post(s.browser(), doc, ""); r.status != http.StatusOK {
				t.Fatalf("IdP-initiated: %d %s", r.status, r.body)
			}
			if r := s.post(s.browser(), doc, ""); r.status != http.StatusBadRequest {
				t.Fatalf("replayed: %d %s", r.status, r.body)
			}
		})
	}
}

// TestSAMLPostBindingAndSignedRequests: with the HTTP-POST binding, authorize answers with a page
// that posts the AuthnRequest to the IdP, under a policy that allows only its own script (by nonce)
// and only a post to the IdP's origin; with SpSigningBehavior Always the request carries an
// enveloped signature by the SP's current signing key. The answer completes the sign-in.
func TestSAMLPostBindingAndSignedRequests(t *testing.T) {
	s := newSAMLEnv(t, func(d map[string]any) { d["idpBindingType"] = 2; d["spSigningBehavior"] = 1 })
	b, c := s.browser(), cliClient()
	r := b.authorize(authorizeQuery(c, identifier, b.prevalidate(identifier)))
	if r.status != http.StatusOK {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	nonce := regexp.MustCompile(`<script nonce="([^"]+)">`).FindStringSubmatch(r.body)
	if nonce == nil || !strings.Contains(r.body, `action="`+s.idp.ssoURL+`"`) {
		t.Fatalf("no nonce'd script or wrong action:\n%s", r.body)
	}
	resp, err := b.c.Get(s.srv.URL + "/identity/connect/authorize?" + authorizeQuery(c, identifier,
		b.prevalidate(identifier)).Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'nonce-") || !strings.Contains(csp, "form-action https://test-idp.example.test") {
		t.Errorf("policy of the post page: %q", csp)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`name="(\w+)" value="([^"]*)"`).FindAllStringSubmatch(r.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	raw, err := base64.StdEncoding.DecodeString(form.Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	req := parseXML(t, raw)
	if childEl(req, "Signature") == nil {
		t.Errorf("the AuthnRequest is not signed:\n%s", raw)
	}
	if p := childEl(req, "NameIDPolicy"); p == nil || p.SelectAttrValue("Format", "") != formatPersistent {
		t.Errorf("NameIDPolicy: %s", raw)
	}
	answer := s.answer(req.SelectAttrValue("ID", ""))
	s.codeFrom(s.post(b, s.idp.signedAssertion(t, answer), form.Get("RelayState")), c)
}

// spKeys reads the organization's SP certificates through the keys route.
func (s *samlEnv) spKeys(token string) sso.SAMLKeysResponse {
	s.t.Helper()
	var out sso.SAMLKeysResponse
	s.call(token, "GET", "/api/organizations/"+s.orgID+"/sso/saml/keys", nil, &out, http.StatusOK)
	return out
}

// keyCert returns the SP certificate of a slot (current, previous) and use (signing, encryption).
func keyCert(t *testing.T, k sso.SAMLKeysResponse, slot, use string) *x509.Certificate {
	t.Helper()
	for _, c := range k.Keys {
		if c.Slot == slot && c.Use == use {
			der, err := base64.StdEncoding.DecodeString(c.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			return cert
		}
	}
	t.Fatalf("no %s %s certificate in %+v", slot, use, k)
	return nil
}

// encrypted signs the assertion and encrypts it to cert.
func (s *samlEnv) encrypted(cert *x509.Certificate) func(samlResp) []byte {
	return func(r samlResp) []byte {
		return docBytes(s.t, responseEl(r, encryptTo(s.t, s.idp.sign(s.t, assertionEl(r), rsaSHA256), cert)))
	}
}

// metadata fetches and parses the organization's SP metadata.
func (s *samlEnv) metadata() (*saml.EntityDescriptor, string) {
	s.t.Helper()
	resp, err := s.srv.Client().Get(s.urls.SpMetadataURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("metadata: %d %s", resp.StatusCode, raw)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err != nil {
		s.t.Fatalf("metadata: %v\n%s", err, raw)
	}
	return &ed, resp.Header.Get("Content-Type")
}

// certsOf lists the metadata's certificates of one use.
func certsOf(ed *saml.EntityDescriptor, use string) []string {
	var out []string
	for _, kd := range ed.SPSSODescriptors[0].KeyDescriptors {
		if kd.Use == use {
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				out = append(out, strings.Join(strings.Fields(c.Data), ""))
			}
		}
	}
	return out
}

// TestSAMLMetadataRoute: text/xml with the SP entity ID, the assertion consumer (HTTP-POST only),
// single logout and the SP certificates; 404 for an unknown organization, a malformed id, and an
// organization whose configuration is not SAML.
func TestSAMLMetadataRoute(t *testing.T) {
	s := newSAMLEnv(t, nil)
	ed, ct := s.metadata()
	if ct != "text/xml; charset=utf-8" || ed.EntityID != s.urls.SpEntityID {
		t.Errorf("content type %q, entity id %q", ct, ed.EntityID)
	}
	d := ed.SPSSODescriptors[0]
	if len(d.AssertionConsumerServices) != 1 || d.AssertionConsumerServices[0].Location != s.urls.SpAcsURL ||
		d.AssertionConsumerServices[0].Binding != saml.HTTPPostBinding {
		t.Errorf("assertion consumer services %+v", d.AssertionConsumerServices)
	}
	slo := strings.TrimSuffix(s.urls.SpAcsURL, "/acs") + "/slo"
	if len(d.SingleLogoutServices) == 0 || d.SingleLogoutServices[0].Location != slo {
		t.Errorf("single logout %+v", d.SingleLogoutServices)
	}
	keys := s.spKeys(s.adminToken())
	want := base64.StdEncoding.EncodeToString(keyCert(t, keys, "current", "encryption").Raw)
	if got := certsOf(ed, "encryption"); len(got) != 1 || got[0] != want || len(certsOf(ed, "signing")) != 1 {
		t.Errorf("certificates in the metadata: signing %d, encryption %v", len(certsOf(ed, "signing")), got)
	}
	for _, path := range []string{"/sso/saml/" + uuidLike + "/metadata", "/sso/saml/not-a-guid/metadata"} {
		if r := s.browser().get(s.srv.URL + path); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	s.configure(func(map[string]any) {}) // back to OIDC
	if r := s.browser().get(s.urls.SpMetadataURL); r.status != http.StatusNotFound {
		t.Errorf("metadata of an OIDC organization: %d", r.status)
	}
}

const uuidLike = "0f8c2b4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f"

// TestSAMLEncryptionAndKeyRotation: an assertion encrypted to the SP's key is accepted; after a
// rotation the metadata lists both generations and an assertion encrypted to either is accepted;
// after the end of the overlap only the new key decrypts. A second rotation during an overlap and an
// end without one are refused; the routes never show a private key.
func TestSAMLEncryptionAndKeyRotation(t *testing.T) {
	s := newSAMLEnv(t, nil)
	token := s.adminToken()
	keysPath := "/api/organizations/" + s.orgID + "/sso/saml/keys"
	old := keyCert(t, s.spKeys(token), "current", "encryption")
	c := cliClient()
	s.codeFrom(s.signIn(s.browser(), c, s.encrypted(old)), c)

	var rotated sso.SAMLKeysResponse
	raw := s.call(token, "POST", keysPath+"/rotate", nil, &rotated, http.StatusOK)
	if !rotated.Overlap || len(rotated.Keys) != 4 || rotated.RotatedAt == nil || strings.Contains(string(raw), "PRIVATE") {
		t.Fatalf("rotation: %s", raw)
	}
	if !keyCert(t, rotated, "previous", "encryption").Equal(old) {
		t.Errorf("the previous encryption key is not the old current one")
	}
	current := keyCert(t, rotated, "current", "encryption")
	if ed, _ := s.metadata(); len(certsOf(ed, "encryption")) != 2 || len(certsOf(ed, "signing")) != 2 {
		t.Errorf("metadata during the overlap: %d encryption, %d signing certificates",
			len(certsOf(ed, "encryption")), len(certsOf(ed, "signing")))
	}
	for _, cert := range []*x509.Certificate{old, current} {
		c := cliClient()
		s.codeFrom(s.signIn(s.browser(), c, s.encrypted(cert)), c)
	}
	s.call(token, "POST", keysPath+"/rotate", nil, nil, http.StatusBadRequest)
	s.call(token, "POST", keysPath+"/end-overlap", nil, nil, http.StatusOK)
	s.call(token, "POST", keysPath+"/end-overlap", nil, nil, http.StatusBadRequest)
	before := s.snapshot()
	r := s.signIn(s.browser(), cliClient(), s.encrypted(old))
	s.assertRefused(r, publicMessage(samlsp.KindDecryption), "saml_decryption", 0)
	s.assertUnchanged(before)
	c = cliClient()
	s.codeFrom(s.signIn(s.browser(), c, s.encrypted(current)), c)
	cfg := s.call(token, "GET", "/api/organizations/"+s.orgID+"/sso", nil, nil, http.StatusOK)
	if strings.Contains(string(cfg), "PRIVATE") || strings.Contains(s.logs.String(), "PRIVATE") {
		t.Errorf("a private key left the server")
	}
}

// TestSAMLAdminRoutesAccess: a member who may not manage SSO gets 404 from the SAML routes.
func TestSAMLAdminRoutesAccess(t *testing.T) {
	s := newSAMLEnv(t, nil)
	outsider := s.register("outsider@example.com")
	_, tr := s.passwordLogin(outsider.account)
	base := "/api/organizations/" + s.orgID + "/sso/saml"
	for _, rt := range []struct{ method, path string }{{"GET", "/keys"}, {"POST", "/keys/rotate"},
		{"POST", "/keys/end-overlap"}, {"POST", "/idp-metadata"}} {
		s.call(tr.AccessToken, rt.method, base+rt.path, map[string]any{"metadataXml": "x"}, nil, http.StatusNotFound)
	}
}

// TestSAMLIdPInitiated: with IdP-initiated sign-in allowed, an unsolicited answer (with or without
// a RelayState of the IdP's own) provisions and links the person, issues no authorization code and
// shows a page that sends them to their app or to castellan's sign-in page.
func TestSAMLIdPInitiated(t *testing.T) {
	s := newSAMLEnv(t, func(d map[string]any) { d["idpAllowUnsolicitedAuthnResponse"] = true })
	before := s.snapshot()
	r := s.post(s.browser(), s.idp.signedAssertion(t, s.answer("")), "")
	if r.status != http.StatusOK || !strings.Contains(r.body, "SSO identifier "+identifier) ||
		!strings.Contains(r.body, `/#/sso?identifier=`+identifier) {
		t.Fatalf("IdP-initiated page: %d %s", r.status, r.body)
	}
	after := s.snapshot()
	if after["users"] != before["users"]+1 || s.link("alice@example.com") != "alice-0001" ||
		after["sso_codes"] != before["sso_codes"] {
		t.Errorf("rows %v -> %v", before, after)
	}
	r = s.post(s.browser(), s.idp.signedAssertion(t, s.answer("")), "https://app.example.test/deep/link")
	if r.status != http.StatusOK || s.snapshot()["sso_codes"] != before["sso_codes"] {
		t.Errorf("IdP-initiated with a RelayState of the IdP: %d %s", r.status, r.body)
	}
	// An SP-initiated flow still has to be answered as such.
	b := s.browser()
	_, relay := s.start(b, cliClient())
	s.assertRefused(s.post(b, s.idp.signedAssertion(t, s.answer("")), relay),
		publicMessage(samlsp.KindRequestID), "saml_flow_unanswered", 0)
}

// logoutRequest is an IdP's LogoutRequest for alice, to dest.
func (s *samlEnv) logoutRequest(id, dest string) *etree.Element {
	r := etree.NewElement("samlp:LogoutRequest")
	r.CreateAttr("xmlns:samlp", nsSAMLP)
	r.CreateAttr("xmlns:saml", nsSAML)
	r.CreateAttr("ID", id)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", samlTime(s.clock.Now()))
	r.CreateAttr("Destination", dest)
	r.CreateElement("saml:Issuer").SetText(s.idp.entityID)
	nid := r.CreateElement("saml:NameID")
	nid.CreateAttr("Format", formatPersistent)
	nid.SetText("alice-0001")
	r.CreateElement("samlp:SessionIndex").SetText("_session-1")
	return r
}

// TestSAMLSingleLogout: a signed IdP LogoutRequest (HTTP-POST) is answered with a signed
// LogoutResponse on the configured binding (HTTP-Redirect, to the IdP's logout URL); the same
// request again, an unsigned one and a deflate bomb on HTTP-Redirect are refused; a
// LogoutResponse gets the signed-out page.
func TestSAMLSingleLogout(t *testing.T) {
	s := newSAMLEnv(t, nil)
	slo := strings.TrimSuffix(s.urls.SpAcsURL, "/acs") + "/slo"
	signed := docBytes(t, s.idp.sign(t, s.logoutRequest("_lr-1", slo), rsaSHA256))
	post := func(doc []byte) response {
		return s.browser().postForm(slo, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(doc)},
			"RelayState": {"rs"}})
	}
	r := post(signed)
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, s.idp.sloURL+"?") {
		t.Fatalf("logout: %d to %q: %s", r.status, r.location, r.body)
	}
	u, _ := url.Parse(r.location)
	if q := u.Query(); q.Get("SAMLResponse") == "" || q.Get("Signature") == "" || q.Get("RelayState") != "rs" {
		t.Errorf("logout response query: %v", q)
	}
	if !strings.Contains(s.logs.String(), "saml single logout from the identity provider") {
		t.Errorf("the logout is not in the log")
	}
	s.assertRefused(post(signed), publicMessage(samlsp.KindReplayed), "saml_replayed", 0)
	logged := len(s.logs.String())
	s.assertRefused(post(docBytes(t, s.logoutRequest("_lr-2", slo))), publicMessage(samlsp.KindSignature),
		"saml_signature", logged)
	bomb := deflateB64(t, []byte(strings.Repeat("<a>", 10<<20)))
	logged = len(s.logs.String())
	s.assertRefused(s.browser().get(slo+"?SAMLRequest="+url.QueryEscape(bomb)), publicMessage(samlsp.KindTooLarge),
		"saml_too_large", logged)
	r = s.browser().postForm(slo, url.Values{"SAMLResponse": {"eA=="}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "signed out") {
		t.Errorf("logout response: %d %s", r.status, r.body)
	}
}

// idpMetadataXML is a second IdP's metadata: both bindings, a logout URL, signed requests wanted.
func idpMetadataXML(cert string) string {
	return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp2.example.test/md">
 <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
   <ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp2.example.test/slo"/>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp2.example.test/sso-post"/>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp2.example.test/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// TestSAMLImportIdPMetadata: the import route fills the IdP fields from a document or from a URL
// castellan fetches (here on loopback, allowed because castellan itself runs on loopback), refuses a
// link-local address (cloud metadata services) and bad requests, and saves nothing; the fields it
// returns save as a valid configuration.
func TestSAMLImportIdPMetadata(t *testing.T) {
	s := newSAMLEnv(t, nil)
	token, path := s.adminToken(), "/api/organizations/"+s.orgID+"/sso/saml/idp-metadata"
	doc := idpMetadataXML(evilIdP().certB64())
	served := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write([]byte(doc))
	}))
	defer served.Close()
	var fromXML, fromURL sso.IdPMetadataResponse
	s.call(token, "POST", path, map[string]any{"metadataXml": doc, "idpBindingType": 1}, &fromXML, http.StatusOK)
	s.call(token, "POST", path, map[string]any{"metadataUrl": served.URL, "idpBindingType": 1}, &fromURL,
		http.StatusOK)
	want := sso.IdPFieldsOnly{IdpEntityID: "https://idp2.example.test/md", IdpBindingType: 1,
		IdpSingleSignOnServiceURL: "https://idp2.example.test/sso", IdpSingleLogoutServiceURL: "https://idp2.example.test/slo",
		IdpX509PublicCert: evilIdP().certB64(), IdpWantAuthnRequestsSigned: true}
	if fromXML.Data != want || fromURL.Data != want {
		t.Errorf("imported\n%+v\n%+v\nwant %+v", fromXML.Data, fromURL.Data, want)
	}
	for name, body := range map[string]map[string]any{
		"link-local": {"metadataUrl": "http://169.254.169.254/latest/meta-data"},
		"both":       {"metadataUrl": served.URL, "metadataXml": doc},
		"neither":    {},
		"not xml":    {"metadataXml": "hello"},
		"scheme":     {"metadataUrl": "file:///etc/passwd"},
	} {
		raw := s.call(token, "POST", path, body, nil, http.StatusBadRequest)
		if !strings.Contains(string(raw), "validationErrors") || strings.Contains(string(raw), "root:") {
			t.Errorf("%s: %s", name, raw)
		}
	}
	data := samlData(s.idp)
	raw, _ := json.Marshal(fromURL.Data)
	_ = json.Unmarshal(raw, &data)
	if cfg, err := s.admin.SetSSO(s.ctx, s.orgID, adminclient.SSOConfig{Enabled: true, Identifier: identifier,
		Data: data}, ""); err != nil || cfg.String("idpEntityId") != want.IdpEntityID {
		t.Errorf("save the imported fields: %v", err)
	}
	_ = time.Second
}
