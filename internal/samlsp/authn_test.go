package samlsp

import (
	"crypto/x509"
	"encoding/base64"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

func TestAuthnRequestRedirect(t *testing.T) {
	sp := newTestSP(t, func(c *Config) { c.SpSigningBehavior = SignAlways })
	out, err := sp.MakeAuthnRequest(seeded(), t0, "relay-1", "")
	if err != nil {
		t.Fatal(err)
	}
	req := readRedirect(t, out.RedirectURL, "SAMLRequest", spKeys.Signing.Cert)
	u, _ := url.Parse(out.RedirectURL)
	if u.Query().Get("RelayState") != "relay-1" || u.Query().Get("SigAlg") != AlgRSASHA256 {
		t.Fatalf("query = %s", u.RawQuery)
	}
	checkAuthnRequest(t, sp, req, out.ID, FormatPersistent, "true")
	if child(req, "Signature") != nil {
		t.Fatal("the redirect binding message carries an enveloped signature")
	}
}

func TestAuthnRequestPost(t *testing.T) {
	sp := newTestSP(t, func(c *Config) {
		c.IdpBindingType = BindingPost
		c.IdpWantAuthnRequestsSigned = true // SignIfIdpWantAuthnRequestsSigned applies
		c.SpOutboundSigningAlgorithm = AlgRSASHA512
	})
	out, err := sp.MakeAuthnRequest(seeded(), t0, "relay-1", "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	form := string(out.PostForm)
	m := regexp.MustCompile(`name="SAMLRequest" value="([^"]+)"`).FindStringSubmatch(form)
	wantParts := []string{`action="` + testSSOURL + `"`, `nonce="nonce-1"`}
	if m == nil || !strings.Contains(form, wantParts[0]) || !strings.Contains(form, wantParts[1]) {
		t.Fatalf("form = %s", form)
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	req := parseXML(t, raw)
	checkAuthnRequest(t, sp, req, out.ID, FormatPersistent, "true")
	store := &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{spKeys.Signing.Cert}}
	ctx := dsig.NewDefaultValidationContext(store)
	ctx.Clock = dsig.NewFakeClockAt(t0)
	if _, err := ctx.Validate(req); err != nil {
		t.Fatalf("enveloped signature does not verify with the SP signing certificate: %v", err)
	}
	if alg := req.FindElement(".//SignatureMethod").SelectAttrValue("Algorithm", ""); alg != AlgRSASHA512 {
		t.Fatalf("signed with %s, want the configured rsa-sha512", alg)
	}
}

func TestAuthnRequestNameIDPolicyAndSigning(t *testing.T) {
	for _, tt := range []struct {
		name        string
		format      NameIDFormat
		behavior    SigningBehavior
		wantFormat  string
		allowCreate string
		signed      bool
	}{
		{"not configured sends no format", NameIDNotConfigured, SignNever, "", "true", false},
		{"transient does not allow create", NameIDTransient, SignNever, FormatTransient, "false", false},
		{"email", NameIDEmailAddress, SignIfIdpWantAuthnRequestsSigned, FormatEmail, "true", false},
		{"always signs", NameIDPersistent, SignAlways, FormatPersistent, "true", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp := newTestSP(t, func(c *Config) {
				c.SpNameIDFormat, c.SpSigningBehavior = tt.format, tt.behavior
			})
			out, err := sp.MakeAuthnRequest(seeded(), t0, "", "")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(out.RedirectURL)
			if got := u.Query().Has("Signature"); got != tt.signed {
				t.Fatalf("signed = %v, want %v", got, tt.signed)
			}
			msg, err := inflateBounded(u.Query().Get("SAMLRequest"), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			checkAuthnRequest(t, sp, parseXML(t, msg), out.ID, tt.wantFormat, tt.allowCreate)
		})
	}
}

func checkAuthnRequest(t *testing.T, sp testSP, req *etree.Element, id, format, allowCreate string) {
	t.Helper()
	ep := sp.Endpoints()
	policy := child(req, "NameIDPolicy")
	switch {
	case req.SelectAttrValue("ID", "") != id:
		t.Errorf("ID = %q, want %q", req.SelectAttrValue("ID", ""), id)
	case req.SelectAttrValue("Destination", "") != testSSOURL:
		t.Errorf("Destination = %q", req.SelectAttrValue("Destination", ""))
	case req.SelectAttrValue("AssertionConsumerServiceURL", "") != ep.ACSURL:
		t.Errorf("ACS = %q", req.SelectAttrValue("AssertionConsumerServiceURL", ""))
	case child(req, "Issuer").Text() != ep.EntityID:
		t.Errorf("Issuer = %q", child(req, "Issuer").Text())
	case req.SelectAttrValue("IssueInstant", "") != samlTime(t0):
		t.Errorf("IssueInstant = %q", req.SelectAttrValue("IssueInstant", ""))
	case policy.SelectAttrValue("Format", "") != format,
		policy.SelectAttrValue("AllowCreate", "") != allowCreate:
		t.Errorf("NameIDPolicy = %s", docBytes(t, policy))
	}
}

func TestAuthnRequestRelayStateLimit(t *testing.T) {
	sp := newTestSP(t, nil)
	if _, err := sp.MakeAuthnRequest(seeded(), t0, strings.Repeat("r", 81), ""); err == nil {
		t.Fatal("accepted a RelayState over 80 bytes")
	}
}

func TestMetadataContents(t *testing.T) {
	sp := newTestSP(t, func(c *Config) {
		c.SpWantAssertionsSigned, c.SpNameIDFormat = false, NameIDNotConfigured
	})
	md, err := sp.Metadata(t0)
	if err != nil {
		t.Fatal(err)
	}
	root := parseXML(t, md)
	d := child(root, "SPSSODescriptor")
	entityID := root.SelectAttrValue("entityID", "")
	if entityID != sp.Endpoints().EntityID || root.SelectAttr("validUntil") != nil {
		t.Fatalf("EntityDescriptor = %s", md)
	}
	wantSigned, requestsSigned := d.SelectAttrValue("WantAssertionsSigned", ""),
		d.SelectAttrValue("AuthnRequestsSigned", "")
	if wantSigned != "false" || requestsSigned != "false" || child(d, "NameIDFormat") != nil {
		t.Fatalf("SPSSODescriptor attributes wrong: %s", md)
	}
	certs := map[string][]string{}
	for _, kd := range d.SelectElements("KeyDescriptor") {
		certs[kd.SelectAttrValue("use", "")] = append(certs[kd.SelectAttrValue("use", "")],
			kd.FindElement(".//X509Certificate").Text())
	}
	b64 := func(k KeyPair) string { return base64.StdEncoding.EncodeToString(k.Cert.Raw) }
	wantSigning := []string{b64(spKeys.Signing), b64(oldSPKeys.Signing)}
	wantEncryption := []string{b64(spKeys.Encryption), b64(oldSPKeys.Encryption)}
	if !slices.Equal(certs["signing"], wantSigning) || !slices.Equal(certs["encryption"], wantEncryption) {
		t.Fatal("metadata does not list current then previous signing and encryption certificates")
	}
	acs := d.SelectElements("AssertionConsumerService")
	if len(acs) != 1 || acs[0].SelectAttrValue("Location", "") != sp.Endpoints().ACSURL {
		t.Fatalf("ACS = %d endpoints", len(acs))
	}
	if slo := d.SelectElements("SingleLogoutService"); len(slo) != 2 {
		t.Fatalf("SLO = %d endpoints, want redirect and post", len(slo))
	}
}
