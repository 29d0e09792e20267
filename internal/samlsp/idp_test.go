package samlsp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/castellan-vault/castellan/internal/clock"
)

// t0 is the instant every test response is issued at and judged by, unless a test moves it.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	testIdPEntityID = "https://idp.example.test/metadata"
	testSSOURL      = "https://idp.example.test/sso"
	testSLOURL      = "https://idp.example.test/slo"
	testPublicBase  = "https://vault.example.test"
	testOrgID       = "3f2a1c9e-7b4d-4e8f-9a10-2b3c4d5e6f70"
	testRequestID   = "id-4a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
)

// testIdP is an in-process identity provider: an RSA key, its certificate, and code that writes
// and signs responses the way IdPs do (exclusive c14n, enveloped signature after the Issuer).
type testIdP struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func newTestIdP(t testing.TB, cn string) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testIdP{key: key, cert: cert}
}

func (idp *testIdP) certB64() string { return base64.StdEncoding.EncodeToString(idp.cert.Raw) }

// Keys are expensive; the tests share them.
var (
	fixturesOnce sync.Once
	idp          *testIdP
	otherIdP     *testIdP
	spKeys       SPKeys
	oldSPKeys    SPKeys
)

func fixtures(t testing.TB) {
	t.Helper()
	fixturesOnce.Do(func() {
		idp = newTestIdP(t, "test idp")
		otherIdP = newTestIdP(t, "attacker idp")
		var err error
		if spKeys, err = GenerateKeys(rand.Reader, t0, "castellan test sp"); err != nil {
			t.Fatal(err)
		}
		if oldSPKeys, err = GenerateKeys(rand.Reader, t0.AddDate(-1, 0, 0), "castellan old sp"); err != nil {
			t.Fatal(err)
		}
	})
}

// testConfig is a valid configuration trusting idp.
func testConfig() Config {
	c := Config{
		IdpEntityID:                   testIdPEntityID,
		IdpBindingType:                BindingRedirect,
		IdpSingleSignOnServiceURL:     testSSOURL,
		IdpSingleLogoutServiceURL:     testSLOURL,
		IdpX509PublicCert:             idp.certB64(),
		SpUniqueEntityID:              true,
		SpNameIDFormat:                NameIDPersistent,
		SpWantAssertionsSigned:        true,
		SpMinIncomingSigningAlgorithm: AlgRSASHA256,
	}
	c.Normalize()
	return c
}

type testSP struct {
	*ServiceProvider
	replay *MemoryReplayCache
}

// newTestSP builds an SP for testOrgID with testConfig, changed by edit if not nil.
func newTestSP(t testing.TB, edit func(*Config)) testSP {
	t.Helper()
	fixtures(t)
	cfg := testConfig()
	if edit != nil {
		edit(&cfg)
	}
	ep, err := NewEndpoints(testPublicBase, testOrgID, cfg.SpUniqueEntityID)
	if err != nil {
		t.Fatal(err)
	}
	replay := NewMemoryReplayCache(clock.NewFake(t0), 1000)
	sp, err := New(cfg, KeySet{Current: spKeys, Previous: &oldSPKeys}, ep, Options{ReplayCache: replay})
	if err != nil {
		t.Fatal(err)
	}
	return testSP{ServiceProvider: sp, replay: replay}
}

// respSpec describes one response. Zero values of the times are filled from IssueInstant.
type respSpec struct {
	ResponseID, AssertionID string
	InResponseTo            string // on the Response and in the SubjectConfirmationData
	Destination, Recipient  string
	Audience, Issuer        string
	IssueInstant            time.Time
	NotBefore, NotOnOrAfter time.Time
	NameID, NameIDFormat    string
	SessionIndex            string
	Attributes              []Attribute
}

// spec returns a response that sp accepts at t0 for request testRequestID.
func (sp testSP) spec() respSpec {
	ep := sp.Endpoints()
	return respSpec{
		ResponseID: "_resp-1", AssertionID: "_assert-1", InResponseTo: testRequestID,
		Destination: ep.ACSURL, Recipient: ep.ACSURL, Audience: ep.EntityID, Issuer: testIdPEntityID,
		IssueInstant: t0.Add(-5 * time.Second), NotBefore: t0.Add(-5 * time.Second),
		NotOnOrAfter: t0.Add(5 * time.Minute), NameID: "alice-0001", NameIDFormat: FormatPersistent,
		SessionIndex: "_session-1",
		Attributes: []Attribute{
			{Name: "urn:oid:0.9.2342.19200300.100.1.3", FriendlyName: "mail",
				Values: []string{"alice@example.com"}},
			{Name: "displayName", Values: []string{"Alice Example"}},
			{Name: "memberOf", Values: []string{"engineering", "vault-admins"}},
		},
	}
}

func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// assertionEl builds a standalone saml:Assertion (it declares its own namespace, as a signed
// assertion must, to survive being moved).
func assertionEl(s respSpec) *etree.Element {
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsAssertion)
	a.CreateAttr("ID", s.AssertionID)
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", samlTime(s.IssueInstant))
	a.CreateElement("saml:Issuer").SetText(s.Issuer)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	if s.NameIDFormat != "" {
		nid.CreateAttr("Format", s.NameIDFormat)
	}
	nid.SetText(s.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", bearer)
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	if s.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", s.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", samlTime(s.NotOnOrAfter))
	scd.CreateAttr("Recipient", s.Recipient)
	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", samlTime(s.NotBefore))
	cond.CreateAttr("NotOnOrAfter", samlTime(s.NotOnOrAfter))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(s.Audience)
	as := a.CreateElement("saml:AuthnStatement")
	as.CreateAttr("AuthnInstant", samlTime(s.IssueInstant))
	as.CreateAttr("SessionIndex", s.SessionIndex)
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	if len(s.Attributes) > 0 {
		st := a.CreateElement("saml:AttributeStatement")
		for _, at := range s.Attributes {
			el := st.CreateElement("saml:Attribute")
			el.CreateAttr("Name", at.Name)
			if at.FriendlyName != "" {
				el.CreateAttr("FriendlyName", at.FriendlyName)
			}
			for _, v := range at.Values {
				el.CreateElement("saml:AttributeValue").SetText(v)
			}
		}
	}
	return a
}

// responseEl wraps content (an Assertion or EncryptedAssertion, or nothing) in a Response.
func responseEl(s respSpec, content ...*etree.Element) *etree.Element {
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", s.ResponseID)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", samlTime(s.IssueInstant))
	if s.Destination != "" {
		r.CreateAttr("Destination", s.Destination)
	}
	if s.InResponseTo != "" {
		r.CreateAttr("InResponseTo", s.InResponseTo)
	}
	r.CreateElement("saml:Issuer").SetText(s.Issuer)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").
		CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	for _, c := range content {
		r.AddChild(c)
	}
	return r
}

// sign adds an enveloped signature to el, placed after its Issuer as the schema wants.
func (idp *testIdP) sign(t testing.TB, el *etree.Element, alg string) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(idp.key, [][]byte{idp.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(alg); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		t.Fatal(err)
	}
	el.InsertChildAt(1, sig) // after the Issuer
	return el
}

// encrypt wraps a (signed) assertion in an EncryptedAssertion for the SP encryption certificate.
func encrypt(t testing.TB, assertion *etree.Element, to *x509.Certificate) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(assertion)
	plain, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	enc := xmlenc.OAEP()
	enc.BlockCipher = xmlenc.AES256GCM
	data, err := enc.Encrypt(to, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ea := etree.NewElement("saml:EncryptedAssertion")
	ea.AddChild(data)
	return ea
}

func docBytes(t testing.TB, root *etree.Element) []byte {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(root)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedEl is the assertion s signed by the test IdP with rsa-sha256.
func signedEl(t testing.TB, s respSpec) *etree.Element {
	return idp.sign(t, assertionEl(s), AlgRSASHA256)
}

// signedAssertionResponse is the most common IdP shape: assertion signed, response not.
func (idp *testIdP) signedAssertionResponse(t testing.TB, s respSpec) []byte {
	return docBytes(t, responseEl(s, idp.sign(t, assertionEl(s), AlgRSASHA256)))
}

// signedResponse signs only the response.
func (idp *testIdP) signedResponse(t testing.TB, s respSpec) []byte {
	return docBytes(t, idp.sign(t, responseEl(s, assertionEl(s)), AlgRSASHA256))
}

// form wraps a document as the HTTP-POST binding does.
func form(doc []byte) url.Values {
	return url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}, "RelayState": {"rs-1"}}
}

func (sp testSP) parse(doc []byte) (*Assertion, error) {
	return sp.ParseResponse(context.Background(), form(doc), []string{testRequestID}, t0)
}

// resign lets edit change the SignedInfo of el's signature and then signs it again with the IdP
// key, so that the result is a genuine IdP signature over an unusual SignedInfo (an IdP bug, or
// XML the IdP signed for another purpose). redigest, if set, is a hash whose digest replaces the
// first Reference's DigestValue, computed over el without its signature.
func (idp *testIdP) resign(t testing.TB, el *etree.Element, edit func(signedInfo *etree.Element),
	redigest crypto.Hash) *etree.Element {
	t.Helper()
	sig := firstChild(el, "Signature")
	si := firstChild(sig, "SignedInfo")
	edit(si)
	c14n := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if redigest != 0 {
		bare := el.Copy()
		bare.RemoveChild(firstChild(bare, "Signature"))
		canon, err := c14n.Canonicalize(bare)
		if err != nil {
			t.Fatal(err)
		}
		h := redigest.New()
		h.Write(canon)
		digest := base64.StdEncoding.EncodeToString(h.Sum(nil))
		firstChild(firstChild(si, "Reference"), "DigestValue").SetText(digest)
	}
	nsctx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		t.Fatal(err)
	}
	detached, err := etreeutils.NSDetatch(nsctx, si)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := c14n.Canonicalize(detached)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(idp.key, [][]byte{idp.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	method := firstChild(si, "SignatureMethod").SelectAttrValue("Algorithm", "")
	if err := ctx.SetSignatureMethod(method); err != nil {
		t.Fatal(err)
	}
	value, err := ctx.SignString(string(canon))
	if err != nil {
		t.Fatal(err)
	}
	firstChild(sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	return el
}

func firstChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}
