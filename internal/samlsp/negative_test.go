package samlsp

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// attack is one entry of the negative corpus: a response that must be refused with kind want.
type attack struct {
	name    string
	edit    func(*Config)
	now     time.Time // zero means t0
	allowed []string  // nil means {testRequestID}
	build   func(t testing.TB, s respSpec) []byte
	want    Kind
	// layered: with the structural precheck skipped, the layers beneath (crewjam and castellan's
	// verifier and checks) must still refuse, or at most return the IdP's own assertion, never
	// the attacker's.
	layered bool
}

// evil is what an attacker wants the SP to believe.
func evil(s respSpec) respSpec {
	s.AssertionID, s.NameID = "_evil", "admin@example.com"
	s.Attributes = []Attribute{{Name: "mail", Values: []string{"admin@example.com"}}}
	return s
}

func parseXML(t testing.TB, doc []byte) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

// mutate parses doc, lets f change it, and serializes it again.
func mutate(t testing.TB, doc []byte, f func(root *etree.Element)) []byte {
	t.Helper()
	root := parseXML(t, doc)
	f(root)
	return docBytes(t, root)
}

func child(el *etree.Element, tag string) *etree.Element { return firstChild(el, tag) }

// plainSigned and responseSigned build the two usual IdP shapes, for entries that break the rule
// through the configuration, the time or the allowed request IDs.
func plainSigned(t testing.TB, s respSpec) []byte    { return idp.signedAssertionResponse(t, s) }
func responseSigned(t testing.TB, s respSpec) []byte { return idp.signedResponse(t, s) }

func negativeCorpus() []attack {
	return slicesConcat(signatureAttacks(), wrappingAttacks(), contentAttacks(), timeAttacks(),
		requestIDAttacks(), algorithmAttacks(), malformedAttacks())
}

func slicesConcat(parts ...[]attack) []attack {
	var out []attack
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func signatureAttacks() []attack {
	return []attack{
		{name: "nothing signed",
			edit: func(c *Config) { c.SpWantAssertionsSigned = false }, want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s, assertionEl(s)))
			}},
		{name: "response signed but assertion signature required",
			want: KindSignature, layered: true,
			build: responseSigned},
		{name: "assertion signature stripped", want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return mutate(t, idp.signedAssertionResponse(t, s), func(root *etree.Element) {
					a := child(root, "Assertion")
					a.RemoveChild(child(a, "Signature"))
				})
			}},
		{name: "signed assertion altered after signing", want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return mutate(t, idp.signedAssertionResponse(t, s), func(root *etree.Element) {
					subject := child(child(root, "Assertion"), "Subject")
					child(subject, "NameID").SetText("admin@example.com")
				})
			}},
		{name: "signed response with its assertion swapped",
			edit: func(c *Config) { c.SpWantAssertionsSigned = false },
			want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return mutate(t, idp.signedResponse(t, s), func(root *etree.Element) {
					root.RemoveChild(child(root, "Assertion"))
					root.AddChild(assertionEl(evil(s)))
				})
			}},
		{name: "certificate other than the configured one", want: KindCertificate, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s, otherIdP.sign(t, assertionEl(s), AlgRSASHA256)))
			}},
		{name: "other key with the configured certificate in KeyInfo",
			want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				doc := docBytes(t, responseEl(s, otherIdP.sign(t, assertionEl(s), AlgRSASHA256)))
				return mutate(t, doc, func(root *etree.Element) {
					for _, c := range descendants(root, "http://www.w3.org/2000/09/xmldsig#",
						"X509Certificate") {
						c.SetText(idp.certB64())
					}
				})
			}},
		{name: "other key without KeyInfo", want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				doc := docBytes(t, responseEl(s, otherIdP.sign(t, assertionEl(s), AlgRSASHA256)))
				return mutate(t, doc, func(root *etree.Element) {
					sig := child(child(root, "Assertion"), "Signature")
					sig.RemoveChild(child(sig, "KeyInfo"))
				})
			}},
		{name: "configured certificate expired while validation is on", now: t0.AddDate(1, 0, 1),
			edit: func(c *Config) { c.SpValidateCertificates = true }, want: KindCertificate, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s = shift(s, t0.AddDate(1, 0, 1).Sub(t0))
				return idp.signedAssertionResponse(t, s)
			}},
	}
}

// shift moves every time in s by d.
func shift(s respSpec, d time.Duration) respSpec {
	s.IssueInstant, s.NotBefore = s.IssueInstant.Add(d), s.NotBefore.Add(d)
	s.NotOnOrAfter = s.NotOnOrAfter.Add(d)
	return s
}

func wrappingAttacks() []attack {
	return []attack{
		{name: "XSW signed assertion moved into Extensions, evil assertion in its place",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				resp := responseEl(s, assertionEl(evil(s)))
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(signedEl(t, s))
				resp.InsertChildAt(1, ext)
				return docBytes(t, resp)
			}},
		{name: "XSW signed assertion moved into the evil assertion's Advice, same ID",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				e := evil(s)
				e.AssertionID = s.AssertionID
				bad := assertionEl(e)
				bad.InsertChildAt(4, etree.NewElement("saml:Advice"))
				child(bad, "Advice").AddChild(signedEl(t, s))
				return docBytes(t, responseEl(s, bad))
			}},
		{name: "XSW signature moved onto an evil assertion with the signed ID",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				legit := signedEl(t, s)
				sig := child(legit, "Signature")
				legit.RemoveChild(sig)
				e := evil(s)
				e.AssertionID = s.AssertionID
				bad := assertionEl(e)
				bad.InsertChildAt(1, sig)
				resp := responseEl(s, bad)
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(legit)
				resp.InsertChildAt(1, ext)
				return docBytes(t, resp)
			}},
		{name: "XSW signed assertion hidden in the signature's Object",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				legit := signedEl(t, s)
				sig := child(legit, "Signature")
				legit.RemoveChild(sig)
				e := evil(s)
				e.AssertionID = s.AssertionID
				bad := assertionEl(e)
				bad.InsertChildAt(1, sig)
				sig.CreateElement("ds:Object").AddChild(legit)
				return docBytes(t, responseEl(s, bad))
			}},
		{name: "XSW second unsigned assertion after the signed one",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s, signedEl(t, s), assertionEl(evil(s))))
			}},
		{name: "XSW second unsigned assertion before the signed one",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s, assertionEl(evil(s)), signedEl(t, s)))
			}},
		{name: "XSW evil assertion added inside a signed response",
			edit: func(c *Config) { c.SpWantAssertionsSigned = false },
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return mutate(t, idp.signedResponse(t, s), func(root *etree.Element) {
					root.InsertChildAt(3, assertionEl(evil(s)))
				})
			}},
		{name: "XSW evil assertion in StatusDetail", want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				resp := responseEl(s, signedEl(t, s))
				child(resp, "Status").CreateElement("samlp:StatusDetail").AddChild(assertionEl(evil(s)))
				return docBytes(t, resp)
			}},
		{name: "XSW signed response wrapped inside an evil response",
			want: KindMalformed, layered: true,
			edit: func(c *Config) { c.SpWantAssertionsSigned = false },
			build: func(t testing.TB, s respSpec) []byte {
				inner := parseXML(t, idp.signedResponse(t, s))
				e := evil(s)
				e.ResponseID = "_evil-resp"
				outer := responseEl(e, assertionEl(e))
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(inner)
				outer.InsertChildAt(1, ext)
				return docBytes(t, outer)
			}},
		{name: "XSW evil assertion under another prefix for the SAML namespace",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				bad := assertionEl(evil(s))
				bad.Space = "a2"
				bad.RemoveAttr("xmlns:saml")
				bad.CreateAttr("xmlns:a2", nsAssertion)
				bad.CreateAttr("xmlns:saml", nsAssertion)
				return docBytes(t, responseEl(s, signedEl(t, s), bad))
			}},
		{name: "XSW signed assertion inside a look-alike element of another namespace",
			want: KindMalformed, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				fake := etree.NewElement("x:Assertion")
				fake.CreateAttr("xmlns:x", "urn:attacker:not-saml")
				fake.AddChild(signedEl(t, s))
				return docBytes(t, responseEl(s, fake, assertionEl(evil(s))))
			}},
		{name: "signature referencing another element", want: KindSignature,
			build: func(t testing.TB, s respSpec) []byte {
				sig := child(signedEl(t, s), "Signature")
				bad := assertionEl(evil(s))
				bad.InsertChildAt(1, sig.Copy())
				return docBytes(t, responseEl(s, bad))
			}},
		{name: "signature referencing the response from inside the assertion", want: KindSignature,
			edit: func(c *Config) { c.SpWantAssertionsSigned = false },
			build: func(t testing.TB, s respSpec) []byte {
				signed := parseXML(t, idp.signedResponse(t, s))
				sig := child(signed, "Signature")
				bad := assertionEl(evil(s))
				bad.InsertChildAt(1, sig.Copy())
				return docBytes(t, responseEl(s, bad))
			}},
		{name: "idp-signed reference with an empty URI (whole document)",
			want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				a := idp.resign(t, signedEl(t, s), func(si *etree.Element) {
					child(si, "Reference").CreateAttr("URI", "")
				}, 0)
				return docBytes(t, responseEl(s, a))
			}},
		{name: "idp-signed second reference to another element", want: KindSignature, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				a := idp.resign(t, signedEl(t, s), func(si *etree.Element) {
					extra := child(si, "Reference").Copy()
					extra.CreateAttr("URI", "#_evil")
					si.AddChild(extra)
				}, 0)
				return docBytes(t, responseEl(s, a))
			}},
		{name: "signature over an element without ID", want: KindSignature,
			build: func(t testing.TB, s respSpec) []byte {
				bad := assertionEl(evil(s))
				bad.RemoveAttr("ID") // goxmldsig then signs with URI="" (the whole document)
				return docBytes(t, responseEl(s, idp.sign(t, bad, AlgRSASHA256)))
			}},
	}
}

func contentAttacks() []attack {
	return []attack{
		{name: "wrong audience", want: KindAudience, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.Audience = "https://other-sp.example.test/metadata"
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "static audience while the entity ID is per organization",
			want: KindAudience, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.Audience = testPublicBase + PathPrefix
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "wrong recipient", want: KindRecipient, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.Recipient = testPublicBase + PathPrefix + "/other-org/acs"
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "wrong destination", want: KindDestination, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.Destination = testPublicBase + PathPrefix + "/other-org/acs"
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "missing destination", want: KindDestination,
			build: func(t testing.TB, s respSpec) []byte {
				s.Destination = ""
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "wrong issuer", want: KindIssuer, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.Issuer = "https://attacker.example.test/metadata"
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "idp refused the login", want: KindStatus, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return mutate(t, idp.signedAssertionResponse(t, s), func(root *etree.Element) {
					child(child(root, "Status"), "StatusCode").CreateAttr("Value",
						"urn:oasis:names:tc:SAML:2.0:status:Responder")
				})
			}},
		{name: "empty NameID", want: KindNoSubject, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.NameID = "  "
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "encrypted to a key the SP does not hold", want: KindDecryption, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s, encrypt(t, signedEl(t, s),
					otherIdP.cert)))
			}},
	}
}

func timeAttacks() []attack {
	return []attack{
		{name: "expired", want: KindExpired, layered: true, now: t0.Add(10 * time.Minute),
			build: plainSigned},
		{name: "expired beyond castellan's skew but inside crewjam's",
			want: KindExpired, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.NotOnOrAfter = t0.Add(-DefaultClockSkew)
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "not yet valid", want: KindNotYetValid, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return idp.signedAssertionResponse(t, shift(s, 10*time.Minute))
			}},
		{name: "not yet valid beyond castellan's skew but inside crewjam's",
			want: KindNotYetValid, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.NotBefore = t0.Add(DefaultClockSkew + time.Second)
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "issued too long ago", want: KindExpired, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.IssueInstant = t0.Add(-5 * time.Minute)
				return idp.signedAssertionResponse(t, s)
			}},
	}
}

func requestIDAttacks() []attack {
	return []attack{
		{name: "unknown InResponseTo", want: KindRequestID, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.InResponseTo = "id-never-issued"
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "foreign InResponseTo (issued to another browser)",
			want: KindRequestID, layered: true,
			allowed: []string{"id-this-browser"},
			build:   plainSigned},
		{name: "assertion for another request rewrapped in a response for ours",
			want: KindRequestID, layered: true,
			allowed: []string{testRequestID, "id-other-login"},
			build: func(t testing.TB, s respSpec) []byte {
				s.InResponseTo = "id-other-login"
				signed := signedEl(t, s)
				s.InResponseTo = testRequestID
				return docBytes(t, responseEl(s, signed))
			}},
		{name: "unsolicited while off", want: KindUnsolicited, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.InResponseTo = ""
				return idp.signedAssertionResponse(t, s)
			}},
		{name: "unsolicited assertion rewrapped in a solicited response while off",
			want: KindRequestID, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				s.InResponseTo = ""
				signed := signedEl(t, s)
				s.InResponseTo = testRequestID
				return docBytes(t, responseEl(s, signed))
			}},
		{name: "empty allowed list", want: KindRequestID, layered: true, allowed: []string{""},
			build: plainSigned},
	}
}

func algorithmAttacks() []attack {
	return []attack{
		{name: "SHA-1 below the SHA-256 minimum", want: KindAlgorithm, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s, idp.sign(t, assertionEl(s), AlgRSASHA1)))
			}},
		{name: "SHA-1 response signature over a SHA-256 assertion",
			want: KindAlgorithm, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, idp.sign(t, responseEl(s, signedEl(t, s)),
					AlgRSASHA1))
			}},
		{name: "SHA-1 digest under a SHA-256 signature", want: KindAlgorithm, layered: true,
			build: func(t testing.TB, s respSpec) []byte {
				a := idp.resign(t, signedEl(t, s), func(si *etree.Element) {
					child(child(si, "Reference"), "DigestMethod").CreateAttr("Algorithm",
						"http://www.w3.org/2000/09/xmldsig#sha1")
				}, crypto.SHA1)
				return docBytes(t, responseEl(s, a))
			}},
		{name: "SHA-256 below a SHA-512 minimum", want: KindAlgorithm, layered: true,
			edit:  func(c *Config) { c.SpMinIncomingSigningAlgorithm = AlgRSASHA512 },
			build: plainSigned},
	}
}

func malformedAttacks() []attack {
	raw := func(doc string) func(testing.TB, respSpec) []byte {
		return func(testing.TB, respSpec) []byte { return []byte(doc) }
	}
	return []attack{
		{name: "not xml", want: KindMalformed, build: raw("this is not xml")},
		{name: "truncated", want: KindMalformed,
			build: func(t testing.TB, s respSpec) []byte {
				doc := idp.signedAssertionResponse(t, s)
				return doc[:len(doc)/2]
			}},
		{name: "empty", want: KindMalformed, build: raw("")},
		{name: "another message at the root", want: KindMalformed,
			build: raw(`<samlp:LogoutRequest xmlns:samlp="` + nsProtocol + `" ID="_x" Version="2.0"/>`)},
		{name: "response in the wrong namespace", want: KindMalformed,
			build: raw(`<samlp:Response xmlns:samlp="urn:example:not-saml" ID="_x" Version="2.0"/>`)},
		{name: "doctype with an internal entity in the NameID", want: KindMalformed,
			build: func(t testing.TB, s respSpec) []byte {
				s.NameID = "ENTITY"
				doc := string(idp.signedAssertionResponse(t, s))
				doc = strings.Replace(doc, ">ENTITY<", ">&x;<", 1)
				return []byte(`<!DOCTYPE r [<!ENTITY x "admin@example.com">]>` + doc)
			}},
		{name: "billion laughs", want: KindMalformed, build: raw(`<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<samlp:Response xmlns:samlp="` + nsProtocol + `">&lol3;</samlp:Response>`)},
		{name: "no assertion", want: KindMalformed,
			build: func(t testing.TB, s respSpec) []byte {
				return docBytes(t, responseEl(s))
			}},
	}
}

func TestNegativeCorpus(t *testing.T) {
	for _, at := range negativeCorpus() {
		t.Run(at.name, func(t *testing.T) {
			sp := newTestSP(t, at.edit)
			now, allowed := at.now, at.allowed
			if now.IsZero() {
				now = t0
			}
			if allowed == nil {
				allowed = []string{testRequestID}
			}
			doc := at.build(t, sp.spec())
			a, err := sp.ParseResponse(context.Background(), form(doc), allowed, now)
			requireRefused(t, a, err, at.want)
			if at.layered {
				s := looseShape(t, doc)
				a, _, err := sp.verify(doc, s, allowed, now)
				switch {
				case err != nil:
					t.Logf("without the precheck: kind %s, cause: %v", KindOf(err), causeOf(err))
				case a.NameID != sp.spec().NameID:
					t.Fatalf("accepted the attacker's assertion with the precheck skipped: %v", a)
				default:
					// Only the IdP's own assertion came through; the injected one was ignored.
					t.Logf("without the precheck: the legitimate assertion %s was returned", a.ID)
				}
			}
		})
	}
}

func requireRefused(t *testing.T, a *Assertion, err error, want Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted: %v (NameID %q)", a, a.NameID)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Kind != want {
		t.Fatalf("kind = %s, want %s; cause: %v", e.Kind, want, e.Cause())
	}
	t.Logf("refused: %v", e.Cause())
	if strings.Contains(err.Error(), "admin@") || strings.Contains(err.Error(), "alice") {
		t.Fatalf("public message leaks message content: %q", err.Error())
	}
}

// looseShape reads the root attributes the way precheck does, without its structural refusals.
func looseShape(t *testing.T, doc []byte) shape {
	t.Helper()
	root := parseXML(t, doc)
	return shape{rootID: root.SelectAttrValue("ID", ""),
		inResponseTo: root.SelectAttrValue("InResponseTo", "")}
}

func TestCommentInNameIDKeepsTheWholeValue(t *testing.T) {
	// The attacker owns admin@example.com.evil.test at the IdP and splits the signed value with a
	// comment; exclusive c14n ignores comments, so the signature still verifies. A parser that
	// reads only the first text node would see admin@example.com.
	sp := newTestSP(t, nil)
	s := sp.spec()
	s.NameID = "admin@example.com.evil.test"
	s.Attributes = []Attribute{{Name: "mail", Values: []string{"admin@example.com.evil.test"}}}
	doc := mutate(t, idp.signedAssertionResponse(t, s), func(root *etree.Element) {
		a := child(root, "Assertion")
		for _, el := range []*etree.Element{
			child(child(a, "Subject"), "NameID"),
			child(child(child(a, "AttributeStatement"), "Attribute"), "AttributeValue"),
		} {
			el.Child = nil
			el.CreateText("admin@example.com")
			el.CreateComment("")
			el.CreateText(".evil.test")
		}
	})
	if !strings.Contains(string(doc), "admin@example.com<!---->.evil.test") {
		t.Fatalf("mutation did not take: %s", doc)
	}
	got, err := sp.parse(doc)
	if err != nil {
		return // refusing is acceptable too
	}
	const full = "admin@example.com.evil.test"
	if got.NameID != full || got.Attributes[0].Values[0] != full {
		t.Fatalf("NameID = %q, mail = %q: the comment truncated the value", got.NameID,
			got.Attributes[0].Values)
	}
}

func TestReplayedAssertionIsRefused(t *testing.T) {
	sp := newTestSP(t, nil)
	s := sp.spec()
	if _, err := sp.parse(idp.signedAssertionResponse(t, s)); err != nil {
		t.Fatal(err)
	}
	t.Run("same response", func(t *testing.T) {
		a, err := sp.parse(idp.signedAssertionResponse(t, s))
		requireRefused(t, a, err, KindReplayed)
	})
	t.Run("same assertion ID in a new response", func(t *testing.T) {
		s2 := s
		s2.ResponseID, s2.SessionIndex = "_resp-2", "_session-2"
		a, err := sp.parse(idp.signedAssertionResponse(t, s2))
		requireRefused(t, a, err, KindReplayed)
	})
}

func TestBindingsAndSizes(t *testing.T) {
	sp := newTestSP(t, nil)
	good := idp.signedAssertionResponse(t, sp.spec())
	big := strings.Repeat("A", base64.StdEncoding.EncodedLen(DefaultMaxResponseBytes)+4)
	tests := []struct {
		name string
		form func() map[string][]string
		want Kind
	}{
		{"artifact", func() map[string][]string { return map[string][]string{"SAMLart": {"AAQAAA"}} },
			KindUnsupportedBinding},
		{"artifact next to a response", func() map[string][]string {
			f := form(good)
			f.Set("SAMLart", "AAQAAA")
			return f
		}, KindUnsupportedBinding},
		{"simple sign", func() map[string][]string {
			f := form(good)
			f.Set("SigAlg", AlgRSASHA256)
			f.Set("Signature", "AAAA")
			return f
		}, KindUnsupportedBinding},
		{"two responses", func() map[string][]string {
			f := form(good)
			f.Add("SAMLResponse", f.Get("SAMLResponse"))
			return f
		}, KindMalformed},
		{"no response", func() map[string][]string { return map[string][]string{} }, KindMalformed},
		{"not base64", func() map[string][]string { return map[string][]string{"SAMLResponse": {"%%%"}} },
			KindMalformed},
		{"oversized encoded",
			func() map[string][]string { return map[string][]string{"SAMLResponse": {big}} },
			KindTooLarge},
		{"oversized decoded", func() map[string][]string {
			doc := append(good, []byte("<!--"+strings.Repeat("x",
				DefaultMaxResponseBytes)+"-->")...)
			return form(doc)
		}, KindTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := sp.ParseResponse(context.Background(), tt.form(), []string{testRequestID}, t0)
			requireRefused(t, a, err, tt.want)
		})
	}
}
