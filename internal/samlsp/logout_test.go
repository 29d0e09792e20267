package samlsp

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// logoutSpec describes a logout message from the IdP.
type logoutSpec struct {
	ID, Destination, Issuer, NameID, SessionIndex, InResponseTo string
	IssueInstant                                                time.Time
}

func (sp testSP) logoutSpec() logoutSpec {
	return logoutSpec{ID: "_logout-1", Destination: sp.Endpoints().SLOURL, Issuer: testIdPEntityID,
		NameID: "alice-0001", SessionIndex: "_session-1", IssueInstant: t0.Add(-2 * time.Second)}
}

func logoutRequestEl(s logoutSpec) *etree.Element {
	r := etree.NewElement("samlp:LogoutRequest")
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", s.ID)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", samlTime(s.IssueInstant))
	r.CreateAttr("Destination", s.Destination)
	r.CreateElement("saml:Issuer").SetText(s.Issuer)
	nid := r.CreateElement("saml:NameID")
	nid.CreateAttr("Format", FormatPersistent)
	nid.SetText(s.NameID)
	r.CreateElement("samlp:SessionIndex").SetText(s.SessionIndex)
	return r
}

func logoutResponseEl(s logoutSpec) *etree.Element {
	r := etree.NewElement("samlp:LogoutResponse")
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", s.ID)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", samlTime(s.IssueInstant))
	r.CreateAttr("Destination", s.Destination)
	r.CreateAttr("InResponseTo", s.InResponseTo)
	r.CreateElement("saml:Issuer").SetText(s.Issuer)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").
		CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	return r
}

func deflate64(t testing.TB, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// redirectQuery builds an HTTP-Redirect binding query for message, signed by idp with alg
// unless idp is nil (saml-bindings §3.4.4.1: the signature covers the raw query parameters).
func redirectQuery(t testing.TB, idp *testIdP, param, encoded, alg string) string {
	t.Helper()
	q := param + "=" + url.QueryEscape(encoded) + "&RelayState=" + url.QueryEscape("slo-state")
	if idp == nil {
		return q
	}
	q += "&SigAlg=" + url.QueryEscape(alg)
	ctx, err := dsig.NewSigningContext(idp.key, [][]byte{idp.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.SetSignatureMethod(alg); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.SignString(q)
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}

func redirectRequest(sp testSP, query string) *http.Request {
	return httptest.NewRequest(http.MethodGet, sp.Endpoints().SLOURL+"?"+query, nil)
}

func postRequest(sp testSP, values url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, sp.Endpoints().SLOURL, strings.NewReader(values.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestParseLogoutRequestAccepts(t *testing.T) {
	sp := newTestSP(t, nil)
	s := sp.logoutSpec()
	redirected := deflate64(t, docBytes(t, logoutRequestEl(s)))
	s.ID = "_logout-2"
	posted := base64.StdEncoding.EncodeToString(docBytes(t, idp.sign(t, logoutRequestEl(s), AlgRSASHA256)))
	tests := map[string]*http.Request{
		"redirect with a query signature": redirectRequest(sp,
			redirectQuery(t, idp, "SAMLRequest", redirected, AlgRSASHA256)),
		"post with an enveloped signature": postRequest(sp,
			url.Values{"RelayState": {"slo-state"}, "SAMLRequest": {posted}}),
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := sp.ParseLogoutRequest(context.Background(), r, t0)
			if err != nil {
				t.Fatalf("refused: %v (cause: %v)", err, causeOf(err))
			}
			if got.NameID != "alice-0001" || got.NameIDFormat != FormatPersistent || got.ID == "" ||
				got.RelayState != "slo-state" || !slices.Equal(got.SessionIndexes, []string{"_session-1"}) {
				t.Fatalf("logout request = %+v", got)
			}
		})
	}
}

func TestParseLogoutRequestRefuses(t *testing.T) {
	signedRedirect := func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
		return redirectRequest(sp, redirectQuery(t, idp, "SAMLRequest", deflate64(t, docBytes(t,
			logoutRequestEl(s))), AlgRSASHA256))
	}
	tests := []struct {
		name  string
		build func(t *testing.T, sp testSP, s logoutSpec) *http.Request
		want  Kind
	}{
		{"deflate bomb on the redirect binding", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			doc := docBytes(t, logoutRequestEl(s))
			bomb := append(doc[:len(doc)-len("</samlp:LogoutRequest>")], make([]byte, 32<<20)...)
			return redirectRequest(sp, redirectQuery(t, idp, "SAMLRequest", deflate64(t, bomb), AlgRSASHA256))
		}, KindTooLarge},
		{"unsigned on the redirect binding", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return redirectRequest(sp, redirectQuery(t, nil, "SAMLRequest", deflate64(t, docBytes(t,
				logoutRequestEl(s))), ""))
		}, KindSignature},
		{"SHA-1 query signature", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return redirectRequest(sp, redirectQuery(t, idp, "SAMLRequest", deflate64(t, docBytes(t,
				logoutRequestEl(s))), AlgRSASHA1))
		}, KindAlgorithm},
		{"query signed by another key", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return redirectRequest(sp, redirectQuery(t, otherIdP, "SAMLRequest", deflate64(t, docBytes(t,
				logoutRequestEl(s))), AlgRSASHA256))
		}, KindSignature},
		{"wrong destination", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			s.Destination = testPublicBase + "/elsewhere"
			return signedRedirect(t, sp, s)
		}, KindDestination},
		{"wrong issuer", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			s.Issuer = "https://attacker.example.test/"
			return signedRedirect(t, sp, s)
		}, KindIssuer},
		{"stale", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			s.IssueInstant = t0.Add(-10 * time.Minute)
			return signedRedirect(t, sp, s)
		}, KindExpired},
		{"artifact", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return redirectRequest(sp, "SAMLart=AAQAAA")
		}, KindUnsupportedBinding},
		{"simple sign post", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return postRequest(sp, url.Values{"SAMLRequest": {"PHg+"}, "SigAlg": {AlgRSASHA256},
				"Signature": {"AA=="}})
		}, KindUnsupportedBinding},
		{"oversized post", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return postRequest(sp, url.Values{"SAMLRequest": {strings.Repeat("A", 1<<20)}})
		}, KindTooLarge},
		{"unsigned post", func(t *testing.T, sp testSP, s logoutSpec) *http.Request {
			return postRequest(sp, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(docBytes(t,
				logoutRequestEl(s)))}})
		}, KindSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newTestSP(t, nil)
			got, err := sp.ParseLogoutRequest(context.Background(), tt.build(t, sp, sp.logoutSpec()), t0)
			requireKind(t, got, err, tt.want)
		})
	}
}

func requireKind(t *testing.T, got any, err error, want Kind) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, %v; want an *Error of kind %s", got, err, want)
	}
	if e.Kind != want {
		t.Fatalf("kind = %s, want %s; cause: %v", e.Kind, want, e.Cause())
	}
	t.Logf("refused: %v", e.Cause())
}

func TestParseLogoutRequestReplay(t *testing.T) {
	sp := newTestSP(t, nil)
	q := redirectQuery(t, idp, "SAMLRequest", deflate64(t, docBytes(t, logoutRequestEl(sp.logoutSpec()))),
		AlgRSASHA256)
	if _, err := sp.ParseLogoutRequest(context.Background(), redirectRequest(sp, q), t0); err != nil {
		t.Fatal(err)
	}
	got, err := sp.ParseLogoutRequest(context.Background(), redirectRequest(sp, q), t0)
	requireKind(t, got, err, KindReplayed)
}

// TestInflateBoundedStopsEarly: a message that would inflate to 256 MiB (a thousand times the
// compressed size, and four thousand times the limit) is refused without its output.
func TestInflateBoundedStopsEarly(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	for range 256 {
		_, _ = w.Write(zeros)
	}
	_ = w.Close()
	out, err := inflateBounded(base64.StdEncoding.EncodeToString(buf.Bytes()), 64<<10)
	requireKind(t, out, err, KindTooLarge)
	if len(out) != 0 {
		t.Fatalf("returned %d bytes", len(out))
	}
}

// readRedirect inflates the message of an outbound redirect URL and checks its query signature
// with cert.
func readRedirect(t *testing.T, raw, param string, cert *x509.Certificate) *etree.Element {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	signed, sigPart, ok := strings.Cut(u.RawQuery, "&Signature=")
	if !ok {
		t.Fatalf("redirect is not signed: %s", raw)
	}
	sig, err := url.QueryUnescape(sigPart)
	if err != nil {
		t.Fatal(err)
	}
	sigBytes, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignature(x509.SHA256WithRSA, []byte(signed), sigBytes); err != nil {
		t.Fatalf("query signature: %v", err)
	}
	msg, err := inflateBounded(u.Query().Get(param), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return parseXML(t, msg)
}

func TestMakeLogoutRequest(t *testing.T) {
	sp := newTestSP(t, nil)
	subject := LogoutSubject{NameID: "alice-0001", NameIDFormat: FormatPersistent, SessionIndex: "_session-1",
		NameQualifier: testIdPEntityID}
	msg, err := sp.MakeLogoutRequest(bytes.NewReader(make([]byte, 20)), t0, subject, "rs")
	if err != nil {
		t.Fatal(err)
	}
	if msg.ID != "id-"+strings.Repeat("00", 20) || !strings.HasPrefix(msg.RedirectURL, testSLOURL+"?") {
		t.Fatalf("message = %+v", msg)
	}
	req := readRedirect(t, msg.RedirectURL, "SAMLRequest", spKeys.Signing.Cert)
	nid := child(req, "NameID")
	if req.SelectAttrValue("ID", "") != msg.ID || nid.Text() != "alice-0001" ||
		nid.SelectAttrValue("Format", "") != FormatPersistent ||
		child(req, "SessionIndex").Text() != "_session-1" ||
		req.SelectAttrValue("Destination", "") != testSLOURL {
		t.Fatalf("logout request = %s", docBytes(t, req))
	}

	t.Run("post binding is signed enveloped", func(t *testing.T) {
		sp := newTestSP(t, func(c *Config) { c.IdpBindingType = BindingPost })
		msg, err := sp.MakeLogoutRequest(bytes.NewReader(make([]byte, 20)), t0, subject, "rs")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(msg.PostForm, []byte(`action="`+testSLOURL+`"`)) {
			t.Fatalf("form = %s", msg.PostForm)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		sp := newTestSP(t, func(c *Config) { c.IdpDisableOutboundLogoutRequests = true })
		if _, err := sp.MakeLogoutRequest(bytes.NewReader(make([]byte, 20)), t0, subject, ""); !errors.Is(err,
			ErrNoSingleLogout) {
			t.Fatalf("err = %v, want ErrNoSingleLogout", err)
		}
	})
}

func TestLogoutResponses(t *testing.T) {
	sp := newTestSP(t, nil)
	msg, err := sp.MakeLogoutResponse("_logout-1", "rs", t0)
	if err != nil {
		t.Fatal(err)
	}
	resp := readRedirect(t, msg.RedirectURL, "SAMLResponse", spKeys.Signing.Cert)
	if resp.SelectAttrValue("InResponseTo", "") != "_logout-1" {
		t.Fatalf("logout response = %s", docBytes(t, resp))
	}

	s := sp.logoutSpec()
	s.ID, s.InResponseTo = "_lr-1", "id-sent-by-us"
	encoded := deflate64(t, docBytes(t, logoutResponseEl(s)))
	irt, err := sp.ParseLogoutResponse(redirectRequest(sp, redirectQuery(t, idp, "SAMLResponse", encoded,
		AlgRSASHA256)), []string{"id-sent-by-us"}, t0)
	if err != nil || irt != "id-sent-by-us" {
		t.Fatalf("ParseLogoutResponse = %q, %v (cause %v)", irt, err, causeOf(err))
	}
	_, err = sp.ParseLogoutResponse(redirectRequest(sp, redirectQuery(t, idp, "SAMLResponse", encoded,
		AlgRSASHA256)), []string{"id-other"}, t0)
	requireKind(t, nil, err, KindRequestID)
}
