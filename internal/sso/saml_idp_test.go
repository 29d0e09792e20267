package sso_test

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
)

// samlIdP is the SAML identity provider of the handler tests: a key, its certificate, and code that
// writes and signs responses the way IdPs do (exclusive c14n, enveloped signature after the
// Issuer). The tests hand the documents to castellan's assertion consumer through a browser.
type samlIdP struct {
	key      *rsa.PrivateKey
	cert     *x509.Certificate
	entityID string
	ssoURL   string
	sloURL   string
}

const (
	nsSAML  = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"

	formatPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	formatTransient  = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	formatEmail      = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	rsaSHA1          = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	rsaSHA256        = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
)

// The IdPs' certificates are made once per test binary; the keys come from op_test.go.
var (
	testIdP  = sync.OnceValue(func() *samlIdP { return newSAMLIdP("test-idp", opKey()) })
	evilIdP  = sync.OnceValue(func() *samlIdP { return newSAMLIdP("evil-idp", otherKey()) })
	certTime = time.Now()
)

func newSAMLIdP(name string, key *rsa.PrivateKey) *samlIdP {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name},
		NotBefore: certTime.AddDate(-1, 0, 0), NotAfter: certTime.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	base := "https://" + name + ".example.test"
	return &samlIdP{key: key, cert: cert, entityID: base + "/metadata", ssoURL: base + "/sso",
		sloURL: base + "/slo"}
}

func (p *samlIdP) certB64() string { return base64.StdEncoding.EncodeToString(p.cert.Raw) }

// samlAttr is one attribute of a test assertion.
type samlAttr struct {
	Name, FriendlyName string
	Values             []string
}

// samlResp describes one response; the harness fills it for an accepted answer to a flow.
type samlResp struct {
	ResponseID, AssertionID string
	InResponseTo            string // on the Response and in the SubjectConfirmationData
	Destination, Recipient  string
	Audience, Issuer        string
	IssueInstant            time.Time
	NotBefore, NotOnOrAfter time.Time
	NameID, NameIDFormat    string
	Attributes              []samlAttr
}

func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// assertionEl builds a standalone saml:Assertion (declaring its namespace, as a signed one must).
func assertionEl(s samlResp) *etree.Element {
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsSAML)
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
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
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
	as.CreateAttr("SessionIndex", "_session-"+s.AssertionID)
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

// responseEl wraps content (an Assertion or EncryptedAssertion) in a Response.
func responseEl(s samlResp, content ...*etree.Element) *etree.Element {
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsSAMLP)
	r.CreateAttr("xmlns:saml", nsSAML)
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

// sign adds an enveloped signature by the IdP to el, after its Issuer.
func (p *samlIdP) sign(t testing.TB, el *etree.Element, alg string) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(p.key, [][]byte{p.cert.Raw})
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
	el.InsertChildAt(1, sig)
	return el
}

// encryptTo wraps an assertion in an EncryptedAssertion for the SP's encryption certificate.
func encryptTo(t testing.TB, assertion *etree.Element, to *x509.Certificate) *etree.Element {
	t.Helper()
	plain := docBytes(t, assertion)
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

// signedAssertion is the most common shape: the assertion signed (rsa-sha256), the response not.
func (p *samlIdP) signedAssertion(t testing.TB, s samlResp) []byte {
	return docBytes(t, responseEl(s, p.sign(t, assertionEl(s), rsaSHA256)))
}

// childEl returns the first child element of el with that local name.
func childEl(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// mutateDoc parses doc, lets edit change it and serializes it again.
func mutateDoc(t testing.TB, doc []byte, edit func(root *etree.Element)) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	edit(d.Root())
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// redirectMessage decodes the SAMLRequest of an HTTP-Redirect URL (base64 of raw DEFLATE).
func redirectMessage(t testing.TB, rawURL string) (*etree.Element, url.Values) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	raw, err := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	if err != nil {
		t.Fatalf("SAMLRequest base64: %v", err)
	}
	xml, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 1<<20))
	if err != nil {
		t.Fatalf("SAMLRequest inflate: %v", err)
	}
	return parseXML(t, xml), q
}

// deflateB64 is the HTTP-Redirect encoding of a message.
func deflateB64(t testing.TB, msg []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(msg)
	_ = w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func parseXML(t testing.TB, doc []byte) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatalf("parse xml: %v\n%s", err, doc)
	}
	return d.Root()
}
