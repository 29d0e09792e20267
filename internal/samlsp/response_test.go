package samlsp

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

func TestParseResponseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		build func(t *testing.T, sp testSP, s respSpec) []byte
		check func(t *testing.T, a *Assertion)
	}{
		{name: "signed assertion", build: func(t *testing.T, sp testSP, s respSpec) []byte {
			return idp.signedAssertionResponse(t, s)
		}, check: func(t *testing.T, a *Assertion) {
			if !a.AssertionSigned || a.ResponseSigned || a.Encrypted {
				t.Errorf("protection = %v/%v/%v, want assertion signed only", a.AssertionSigned,
					a.ResponseSigned, a.Encrypted)
			}
			if want := t0.Add(5 * time.Minute); !a.NotOnOrAfter.Equal(want) {
				t.Errorf("NotOnOrAfter = %s, want %s", a.NotOnOrAfter, want)
			}
		}},
		{name: "signed response", edit: func(c *Config) { c.SpWantAssertionsSigned = false },
			build: func(t *testing.T, sp testSP, s respSpec) []byte { return idp.signedResponse(t, s) },
			check: func(t *testing.T, a *Assertion) {
				if a.AssertionSigned || !a.ResponseSigned {
					t.Errorf("protection = %v/%v, want response signed only", a.AssertionSigned,
						a.ResponseSigned)
				}
			}},
		{name: "both signed", build: func(t *testing.T, sp testSP, s respSpec) []byte {
			return docBytes(t, idp.sign(t, responseEl(s, signedEl(t, s)),
				AlgRSASHA512))
		}, check: func(t *testing.T, a *Assertion) {
			if !a.AssertionSigned || !a.ResponseSigned {
				t.Errorf("protection = %v/%v, want both signed", a.AssertionSigned, a.ResponseSigned)
			}
		}},
		{name: "encrypted assertion", build: func(t *testing.T, sp testSP, s respSpec) []byte {
			ea := encrypt(t, signedEl(t, s), spKeys.Encryption.Cert)
			return docBytes(t, responseEl(s, ea))
		}, check: func(t *testing.T, a *Assertion) {
			if !a.Encrypted || !a.AssertionSigned {
				t.Errorf("encrypted=%v assertionSigned=%v, want both", a.Encrypted, a.AssertionSigned)
			}
		}},
		{name: "encrypted to the previous key during rotation",
			build: func(t *testing.T, sp testSP, s respSpec) []byte {
				ea := encrypt(t, signedEl(t, s), oldSPKeys.Encryption.Cert)
				return docBytes(t, responseEl(s, ea))
			}},
		{name: "idp-initiated when allowed",
			edit: func(c *Config) { c.IdpAllowUnsolicitedAuthnResponse = true },
			build: func(t *testing.T, sp testSP, s respSpec) []byte {
				s.InResponseTo = ""
				return idp.signedAssertionResponse(t, s)
			}, check: func(t *testing.T, a *Assertion) {
				if a.InResponseTo != "" {
					t.Errorf("InResponseTo = %q, want empty", a.InResponseTo)
				}
			}},
		{name: "sha-1 when the minimum allows it",
			edit: func(c *Config) { c.SpMinIncomingSigningAlgorithm = AlgRSASHA1 },
			build: func(t *testing.T, sp testSP, s respSpec) []byte {
				return docBytes(t, responseEl(s, idp.sign(t, assertionEl(s), AlgRSASHA1)))
			}},
		{name: "just inside the clock skew", build: func(t *testing.T, sp testSP, s respSpec) []byte {
			s.NotOnOrAfter = t0.Add(-DefaultClockSkew + 1e9)
			return idp.signedAssertionResponse(t, s)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newTestSP(t, tt.edit)
			a, err := sp.parse(tt.build(t, sp, sp.spec()))
			if err != nil {
				t.Fatalf("refused: %v (cause: %v)", err, causeOf(err))
			}
			checkAliceAssertion(t, sp, a)
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func checkAliceAssertion(t *testing.T, sp testSP, a *Assertion) {
	t.Helper()
	want := sp.spec()
	if a.NameID != want.NameID || a.NameIDFormat != FormatPersistent || a.ID != want.AssertionID ||
		a.Issuer != testIdPEntityID || a.SessionIndex != want.SessionIndex {
		t.Errorf("assertion = %+v", *a)
	}
	if a.InResponseTo != "" && a.InResponseTo != testRequestID {
		t.Errorf("InResponseTo = %q", a.InResponseTo)
	}
	if len(a.Attributes) != 3 || a.Attributes[0].FriendlyName != "mail" ||
		!slices.Equal(a.Attributes[2].Values, []string{"engineering", "vault-admins"}) {
		t.Errorf("attributes = %+v", a.Attributes)
	}
}

func causeOf(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Cause()
	}
	return err
}

func TestParseResponseRecordsTheAssertionID(t *testing.T) {
	sp := newTestSP(t, nil)
	doc := idp.signedAssertionResponse(t, sp.spec())
	if _, err := sp.parse(doc); err != nil {
		t.Fatal(err)
	}
	seen, err := sp.replay.Seen(context.Background(), sp.spec().AssertionID, t0.Add(time.Hour))
	if err != nil || !seen {
		t.Fatalf("replay cache Seen = %v, %v; want the accepted assertion recorded", seen, err)
	}
}

// TestResignControl shows that the negative corpus's re-signed fixtures carry valid IdP
// signatures: re-signing without a change, or with a SHA-1 digest while SHA-1 is allowed, is
// accepted, so the refusals in the corpus come from the rule each entry breaks.
func TestResignControl(t *testing.T) {
	t.Run("unchanged", func(t *testing.T) {
		sp := newTestSP(t, nil)
		s := sp.spec()
		a := idp.resign(t, signedEl(t, s), func(*etree.Element) {},
			crypto.SHA256)
		if _, err := sp.parse(docBytes(t, responseEl(s, a))); err != nil {
			t.Fatalf("refused: %v (cause: %v)", err, causeOf(err))
		}
	})
	t.Run("sha-1 digest allowed", func(t *testing.T) {
		sp := newTestSP(t, func(c *Config) { c.SpMinIncomingSigningAlgorithm = AlgRSASHA1 })
		s := sp.spec()
		a := idp.resign(t, signedEl(t, s), func(si *etree.Element) {
			firstChild(firstChild(si, "Reference"), "DigestMethod").CreateAttr("Algorithm",
				"http://www.w3.org/2000/09/xmldsig#sha1")
		}, crypto.SHA1)
		if _, err := sp.parse(docBytes(t, responseEl(s, a))); err != nil {
			t.Fatalf("refused: %v (cause: %v)", err, causeOf(err))
		}
	})
}

func TestParseResponseRequest(t *testing.T) {
	sp := newTestSP(t, nil)
	acs := sp.Endpoints().ACSURL
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, acs, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	a, err := sp.ParseResponseRequest(context.Background(),
		post(form(idp.signedAssertionResponse(t, sp.spec())).Encode()), []string{testRequestID}, t0)
	if err != nil {
		t.Fatalf("refused: %v (cause %v)", err, causeOf(err))
	}
	checkAliceAssertion(t, sp, a)

	for name, tt := range map[string]struct {
		r    *http.Request
		want Kind
	}{
		"get (redirect binding)": {httptest.NewRequest(http.MethodGet, acs+"?SAMLResponse=PHg%2B", nil),
			KindUnsupportedBinding},
		"artifact in the query": {httptest.NewRequest(http.MethodPost, acs+"?SAMLart=AAQAAA", nil),
			KindUnsupportedBinding},
		"body over the limit": {post("SAMLResponse=" + strings.Repeat("A", 1<<20)), KindTooLarge},
		"bad form encoding":   {post("SAMLResponse=%zz"), KindMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			a, err := sp.ParseResponseRequest(context.Background(), tt.r, []string{testRequestID}, t0)
			requireRefused(t, a, err, tt.want)
		})
	}
}

// TestInResponseToComesFromSignedContent: the request a response answers is taken from the
// assertion, or from the Response only when the Response is signed; an unsigned wrapper naming a
// pending request cannot make an unsolicited assertion look solicited.
func TestInResponseToComesFromSignedContent(t *testing.T) {
	unsolicited := newTestSP(t, nil).spec()
	unsolicited.InResponseTo = ""
	wrapper := unsolicited
	wrapper.InResponseTo = testRequestID
	unsolicited.AssertionID = "_assert-2"
	for name, tt := range map[string]struct {
		doc  []byte
		want string
	}{
		"unsigned wrapper": {docBytes(t, responseEl(wrapper, signedEl(t, unsolicited))), ""},
		"signed response": {docBytes(t, idp.sign(t, responseEl(wrapper, assertionEl(unsolicited)),
			AlgRSASHA256)), testRequestID},
	} {
		t.Run(name, func(t *testing.T) {
			sp := newTestSP(t, func(c *Config) {
				c.IdpAllowUnsolicitedAuthnResponse, c.SpWantAssertionsSigned = true, false
			})
			a, err := sp.parse(tt.doc)
			if err != nil {
				t.Fatalf("refused: %v (cause %v)", err, causeOf(err))
			}
			if a.InResponseTo != tt.want {
				t.Fatalf("InResponseTo = %q, want %q", a.InResponseTo, tt.want)
			}
		})
	}
}
