package sso_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/samlsp"
)

// The negative corpus through castellan's HTTP stack: every answer is posted by the browser that
// started the sign-in, to the organization's assertion consumer, and must be refused with a page
// that says what went wrong (samlsp's public message, nothing internal), an audit log record with
// the reason, and nothing created. samlsp's own corpus (negative_test.go there) covers each check in
// depth; this one proves that the HTTP layer keeps every refusal a refusal.

// publicMessage is samlsp's page text for a kind of refusal.
func publicMessage(k samlsp.Kind) string { return (&samlsp.Error{Kind: k}).Public() }

// samlCase is one entry of the corpus. edit changes the accepted answer, build signs it (default:
// the assertion by testIdP), form posts it (default: SAMLResponse and the flow's RelayState).
type samlCase struct {
	name   string
	edit   func(s *samlEnv, r *samlResp)
	build  func(s *samlEnv, r samlResp) []byte
	form   func(doc []byte, relay string) url.Values
	kind   samlsp.Kind
	reason string // the logged reason when it is not saml_<kind>
}

func samlCorpus() []samlCase {
	return []samlCase{
		{name: "unsigned", kind: samlsp.KindSignature, build: func(s *samlEnv, r samlResp) []byte {
			return docBytes(s.t, responseEl(r, assertionEl(r)))
		}},
		{name: "only the response signed while assertions must be", kind: samlsp.KindSignature,
			build: func(s *samlEnv, r samlResp) []byte {
				return docBytes(s.t, s.idp.sign(s.t, responseEl(r, assertionEl(r)), rsaSHA256))
			}},
		{name: "signed assertion altered after signing", kind: samlsp.KindSignature,
			build: func(s *samlEnv, r samlResp) []byte {
				a := s.idp.sign(s.t, assertionEl(r), rsaSHA256)
				childEl(childEl(a, "Subject"), "NameID").SetText("admin-0001")
				return docBytes(s.t, responseEl(r, a))
			}},
		{name: "XSW second unsigned assertion", kind: samlsp.KindMalformed, build: func(s *samlEnv, r samlResp) []byte {
			evil := r
			evil.AssertionID, evil.NameID = "_evil", "admin-0001"
			return docBytes(s.t, responseEl(r, s.idp.sign(s.t, assertionEl(r), rsaSHA256), assertionEl(evil)))
		}},
		{name: "XSW signed assertion moved into Extensions, evil assertion in its place", kind: samlsp.KindMalformed,
			build: func(s *samlEnv, r samlResp) []byte {
				evil := r
				evil.NameID = "admin-0001"
				resp := responseEl(r, assertionEl(evil))
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(s.idp.sign(s.t, assertionEl(r), rsaSHA256))
				resp.InsertChildAt(1, ext)
				return docBytes(s.t, resp)
			}},
		{name: "XSW signature moved onto an evil assertion with the signed ID", kind: samlsp.KindSignature,
			build: func(s *samlEnv, r samlResp) []byte {
				signed := s.idp.sign(s.t, assertionEl(r), rsaSHA256)
				evil := r
				evil.NameID = "admin-0001"
				e := assertionEl(evil)
				e.InsertChildAt(1, childEl(signed, "Signature").Copy())
				return docBytes(s.t, responseEl(r, e))
			}},
		{name: "signature referencing another element", kind: samlsp.KindSignature,
			build: func(s *samlEnv, r samlResp) []byte {
				resp := s.idp.sign(s.t, responseEl(r, assertionEl(r)), rsaSHA256)
				sig := childEl(resp, "Signature")
				resp.RemoveChild(sig)
				childEl(resp, "Assertion").InsertChildAt(1, sig)
				return docBytes(s.t, resp)
			}},
		{name: "wrong audience", kind: samlsp.KindAudience,
			edit: func(_ *samlEnv, r *samlResp) { r.Audience = "https://other.example.test/sp" }},
		{name: "static audience while the entity ID is per organization", kind: samlsp.KindAudience,
			edit: func(s *samlEnv, r *samlResp) { r.Audience = s.urls.SpEntityIDStatic }},
		{name: "wrong recipient", kind: samlsp.KindRecipient,
			edit: func(_ *samlEnv, r *samlResp) { r.Recipient = "https://other.example.test/acs" }},
		{name: "wrong destination", kind: samlsp.KindDestination,
			edit: func(_ *samlEnv, r *samlResp) { r.Destination = "https://other.example.test/acs" }},
		{name: "issuer other than the configured IdP", kind: samlsp.KindIssuer,
			edit: func(_ *samlEnv, r *samlResp) { r.Issuer = "https://evil-idp.example.test/metadata" }},
		{name: "expired", kind: samlsp.KindExpired, edit: func(s *samlEnv, r *samlResp) {
			now := s.clock.Now()
			r.IssueInstant, r.NotBefore, r.NotOnOrAfter = now.Add(-10*time.Minute), now.Add(-10*time.Minute),
				now.Add(-3*time.Minute)
		}},
		{name: "not yet valid", kind: samlsp.KindNotYetValid, edit: func(s *samlEnv, r *samlResp) {
			r.NotBefore = s.clock.Now().Add(10 * time.Minute)
		}},
		{name: "unknown InResponseTo", kind: samlsp.KindRequestID,
			edit: func(_ *samlEnv, r *samlResp) { r.InResponseTo = "id-0123456789abcdef0123456789abcdef01234567" }},
		{name: "foreign InResponseTo (a request of another browser)", kind: samlsp.KindRequestID,
			edit: func(s *samlEnv, r *samlResp) { r.InResponseTo, _ = s.start(s.browser(), cliClient()) }},
		{name: "unsolicited while IdP-initiated sign-in is off", kind: samlsp.KindUnsolicited,
			edit: func(_ *samlEnv, r *samlResp) { r.InResponseTo = "" }},
		{name: "SHA-1 below the SHA-256 minimum", kind: samlsp.KindAlgorithm,
			build: func(s *samlEnv, r samlResp) []byte {
				return docBytes(s.t, responseEl(r, s.idp.sign(s.t, assertionEl(r), rsaSHA1)))
			}},
		{name: "certificate other than the configured one", kind: samlsp.KindCertificate,
			build: func(s *samlEnv, r samlResp) []byte { return evilIdP().signedAssertion(s.t, r) }},
		{name: "encrypted to a key the SP does not hold", kind: samlsp.KindDecryption,
			build: func(s *samlEnv, r samlResp) []byte {
				return docBytes(s.t, responseEl(r, encryptTo(s.t, s.idp.sign(s.t, assertionEl(r), rsaSHA256),
					evilIdP().cert)))
			}},
		{name: "IdP refused the login", kind: samlsp.KindStatus, build: func(s *samlEnv, r samlResp) []byte {
			return mutateDoc(s.t, s.idp.signedAssertion(s.t, r), func(root *etree.Element) {
				childEl(childEl(root, "Status"), "StatusCode").CreateAttr("Value",
					"urn:oasis:names:tc:SAML:2.0:status:Responder")
			})
		}},
		{name: "oversized", kind: samlsp.KindTooLarge, reason: "saml_too_large",
			form: func(_ []byte, relay string) url.Values {
				return url.Values{"SAMLResponse": {strings.Repeat("PHNhbWw+", 60<<10)}, "RelayState": {relay}}
			}},
		{name: "not base64", kind: samlsp.KindMalformed, form: func(_ []byte, relay string) url.Values {
			return url.Values{"SAMLResponse": {"%%% not base64 %%%"}, "RelayState": {relay}}
		}},
		{name: "not xml", kind: samlsp.KindMalformed, form: func(_ []byte, relay string) url.Values {
			return url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString([]byte("hello"))},
				"RelayState": {relay}}
		}},
		{name: "two SAMLResponse fields", kind: samlsp.KindMalformed, form: func(doc []byte, relay string) url.Values {
			b := base64.StdEncoding.EncodeToString(doc)
			return url.Values{"SAMLResponse": {b, b}, "RelayState": {relay}}
		}},
		{name: "entity expansion (billion laughs)", kind: samlsp.KindMalformed,
			build: func(s *samlEnv, r samlResp) []byte {
				return []byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">` +
					`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><samlp:Response xmlns:samlp="` + nsSAMLP +
					`">&b;</samlp:Response>`)
			}},
		{name: "artifact binding", kind: samlsp.KindUnsupportedBinding, form: func(_ []byte, relay string) url.Values {
			return url.Values{"SAMLart": {"AAQAAMh48/1oXIM+sDo7Dh2qMp1HM4IF5DaRNmDj6RdUmllwn9jJHyEgIi8="},
				"RelayState": {relay}}
		}},
	}
}

// TestSAMLNegativeCorpus runs the corpus; each entry starts its own sign-in.
func TestSAMLNegativeCorpus(t *testing.T) {
	s := newSAMLEnv(t, nil)
	for _, tc := range samlCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			s.t = t
			defer func() { s.t = s.env.t }()
			b := s.browser()
			reqID, relay := s.start(b, cliClient())
			r := s.answer(reqID)
			if tc.edit != nil {
				tc.edit(s, &r)
			}
			build := tc.build
			if build == nil {
				build = func(s *samlEnv, r samlResp) []byte { return s.idp.signedAssertion(s.t, r) }
			}
			doc := build(s, r)
			form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}, "RelayState": {relay}}
			if tc.form != nil {
				form = tc.form(doc, relay)
			}
			reason := tc.reason
			if reason == "" {
				reason = "saml_" + tc.kind.String()
			}
			before, logged := s.snapshot(), len(s.logs.String())
			s.assertRefused(b.postForm(s.urls.SpAcsURL, form), publicMessage(tc.kind), reason, logged)
			s.assertUnchanged(before)
		})
	}
}

// assertRefused checks a refusal page (400, the message, nothing internal and nothing of the
// assertion) and that the log records the refusal with its reason after offset logged.
func (s *samlEnv) assertRefused(r response, msg, reason string, logged int) {
	s.t.Helper()
	s.env.t = s.t
	s.assertPage(r, http.StatusBadRequest, msg)
	for _, leak := range []string{"alice-0001", "_a-", "_r-", "SAMLResponse", "crewjam", "etree", "xml:"} {
		if strings.Contains(r.body, leak) {
			s.t.Errorf("page leaks %q:\n%s", leak, r.body)
		}
	}
	log := s.logs.String()[logged:]
	if !strings.Contains(log, "saml message refused") || !strings.Contains(log, "reason="+reason) {
		s.t.Errorf("no audit record with reason=%s in:\n%s", reason, log)
	}
}

// TestSAMLCommentInNameID: an IdP account named victim@example.com.evil.test, whose signed NameID
// and mail the attacker splits with a comment (exclusive c14n ignores comments, so the signature
// holds). Read as its first text node, the value would be victim@example.com and would adopt the
// victim's invitation; read whole, it is a stranger who needs a seat, and there is none.
func TestSAMLCommentInNameID(t *testing.T) {
	s := newSAMLEnv(t, nil)
	s.addMember(orgs.Member{Email: "victim@example.com", Status: orgs.StatusInvited, Type: orgs.RoleUser})
	if err := orgs.QueriesOn(s.db).SetSeats(s.ctx, s.orgID, ptr(1), s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	reqID, relay := s.start(b, cliClient())
	r := s.answer(reqID)
	r.NameID, r.NameIDFormat = "victim@example.com.evil.test", formatEmail
	r.Attributes[0].Values = []string{"victim@example.com.evil.test"}
	doc := mutateDoc(t, s.idp.signedAssertion(t, r), func(root *etree.Element) {
		a := childEl(root, "Assertion")
		for _, el := range []*etree.Element{childEl(childEl(a, "Subject"), "NameID"),
			childEl(childEl(childEl(a, "AttributeStatement"), "Attribute"), "AttributeValue")} {
			el.Child = nil
			el.CreateText("victim@example.com")
			el.CreateComment("")
			el.CreateText(".evil.test")
		}
	})
	if !strings.Contains(string(doc), "victim@example.com<!---->.evil.test") {
		t.Fatalf("mutation did not take: %s", doc)
	}
	before := s.snapshot()
	s.assertPage(s.post(b, doc, relay), http.StatusBadRequest, "no free seats")
	s.assertUnchanged(before)
	if m := s.member("victim@example.com"); m == nil || m.UserID != "" {
		t.Errorf("the victim's invitation was taken: %+v", m)
	}
}

// TestSAMLReplay: an answer is used once. An SP-initiated answer replayed (by the same browser or
// another) finds its flow consumed and answers no outstanding request; an IdP-initiated one is
// caught by the database replay cache, also when another castellan process on the same database
// accepted it.
func TestSAMLReplay(t *testing.T) {
	s := newSAMLEnv(t, func(d map[string]any) { d["idpAllowUnsolicitedAuthnResponse"] = true })
	b, c := s.browser(), cliClient()
	reqID, relay := s.start(b, c)
	doc := s.idp.signedAssertion(t, s.answer(reqID))
	s.codeFrom(s.post(b, doc, relay), c)
	before := s.snapshot()
	for _, who := range []*browser{b, s.browser()} {
		s.assertRefused(s.post(who, doc, relay), publicMessage(samlsp.KindRequestID), "saml_request_id", 0)
	}
	s.assertUnchanged(before)

	unsolicited := s.idp.signedAssertion(t, s.answer(""))
	if r := s.post(s.browser(), unsolicited, ""); r.status != http.StatusOK {
		t.Fatalf("IdP-initiated: %d %s", r.status, r.body)
	}
	logged := len(s.logs.String())
	s.assertRefused(s.post(s.browser(), unsolicited, ""), publicMessage(samlsp.KindReplayed), "saml_replayed", logged)
	s.assertUnchanged(before)

	// A second process on the same database, handed the answer the first one accepted.
	other := s.otherProcess()
	r := other.post(unsolicited)
	if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), "already used") {
		t.Errorf("replay to another process: %d %s", r.Code, r.Body)
	}
	fresh := s.idp.signedAssertion(t, s.answer(""))
	if r := other.post(fresh); r.Code != http.StatusOK {
		t.Fatalf("another process refused a fresh answer: %d %s", r.Code, r.Body)
	}
	logged = len(s.logs.String())
	s.assertRefused(s.post(s.browser(), fresh, ""), publicMessage(samlsp.KindReplayed), "saml_replayed", logged)
}

// TestSAMLFlowBoundToBrowser: an answer posted with another browser's RelayState is refused and
// leaves that flow to its browser, which then completes.
func TestSAMLFlowBoundToBrowser(t *testing.T) {
	s := newSAMLEnv(t, nil)
	victim, c := s.browser(), cliClient()
	reqID, relay := s.start(victim, c)
	doc := s.idp.signedAssertion(t, s.answer(reqID))
	before := s.snapshot()
	s.assertRefused(s.post(s.browser(), doc, relay), pageFlowGone, "flow_other_browser", 0)
	s.assertUnchanged(before)
	s.codeFrom(s.post(victim, doc, relay), c)
}

// TestSAMLRedirectBindingAnswers: an answer on the HTTP-Redirect binding (a GET to the assertion
// consumer) gets a page that explains the binding, and its message is never inflated: a deflate
// bomb costs nothing. The artifact binding and a plain visit get their own pages.
func TestSAMLRedirectBindingAnswers(t *testing.T) {
	s := newSAMLEnv(t, nil)
	bomb := deflateB64(t, []byte(strings.Repeat("<a>", 10<<20)))
	before := s.snapshot()
	for _, tc := range []struct{ query, msg, reason string }{
		{"SAMLResponse=" + url.QueryEscape(bomb) + "&RelayState=x", "HTTP-Redirect binding, which SAML does not allow",
			"saml_redirect_binding"},
		{"SAMLart=AAQAAMh48", "artifact binding", "saml_artifact_binding"},
		{"", "cannot be opened directly", "saml_acs_get"},
	} {
		logged := len(s.logs.String())
		s.assertRefused(s.browser().get(s.urls.SpAcsURL+"?"+tc.query), tc.msg, tc.reason, logged)
	}
	s.assertUnchanged(before)
}

// TestSAMLTransientNameID (field report F4): two sign-ins with different transient NameIDs and the
// same uid reach the same account, keyed by the uid; with no stable attribute the sign-in is
// refused and nothing is created.
func TestSAMLTransientNameID(t *testing.T) {
	s := newSAMLEnv(t, func(d map[string]any) { d["spNameIdFormat"] = 8 })
	transient := func(uid string) func(samlResp) []byte {
		return func(r samlResp) []byte {
			r.NameID, r.NameIDFormat = "_t-"+r.AssertionID, formatTransient
			if uid != "" {
				r.Attributes = append(r.Attributes, samlAttr{Name: "uid", Values: []string{uid}})
			}
			return s.idp.signedAssertion(s.t, r)
		}
	}
	for range 2 {
		c := cliClient()
		s.codeFrom(s.signIn(s.browser(), c, transient("alice")), c)
	}
	if s.count("sso_links") != 1 || s.link("alice@example.com") != "alice" {
		t.Fatalf("links %d, external id of alice %q", s.count("sso_links"), s.link("alice@example.com"))
	}
	before := s.snapshot()
	r := s.signIn(s.browser(), cliClient(), func(r samlResp) []byte {
		r.Attributes[0].Values = []string{"bob@example.com"}
		return transient("")(r)
	})
	s.assertPage(r, http.StatusBadRequest, "does not identify a user")
	s.assertUnchanged(before)
}
