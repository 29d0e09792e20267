package samlsp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// Namespaces of SAML 2.0 assertions and protocol messages.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	bearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// Attribute is one SAML attribute of a verified assertion.
type Attribute struct {
	Name         string
	FriendlyName string
	NameFormat   string
	Values       []string
}

// Assertion is what a verified login response says. It holds personal data: it logs only its
// identifiers (LogValue), and String prints the same.
type Assertion struct {
	ID           string // the assertion's ID (already recorded in the replay cache)
	Issuer       string
	InResponseTo string // the AuthnRequest ID it answers; "" for an unsolicited response
	NameID       string
	NameIDFormat string
	// NameQualifier and SPNameQualifier come back in a LogoutRequest (LogoutSubject).
	NameQualifier   string
	SPNameQualifier string
	SessionIndex    string
	AuthnInstant    time.Time
	// NotOnOrAfter is the earliest end of validity the assertion states (Conditions or the bearer
	// SubjectConfirmationData), without clock skew.
	NotOnOrAfter time.Time
	Attributes   []Attribute
	// How it was protected.
	AssertionSigned bool
	ResponseSigned  bool
	Encrypted       bool
}

// LogValue logs identifiers only, never the NameID or attributes.
func (a *Assertion) LogValue() slog.Value {
	return slog.GroupValue(slog.String("assertion_id", a.ID), slog.String("issuer", a.Issuer),
		slog.String("name_id_format", a.NameIDFormat),
		slog.Int("attribute_count", len(a.Attributes)),
		slog.Bool("assertion_signed", a.AssertionSigned),
		slog.Bool("response_signed", a.ResponseSigned),
		slog.Bool("encrypted", a.Encrypted))
}

// String prints identifiers only.
func (a *Assertion) String() string {
	return fmt.Sprintf("samlsp.Assertion{ID:%q Issuer:%q NameIDFormat:%q attributes:%d}",
		a.ID, a.Issuer, a.NameIDFormat, len(a.Attributes))
}

// ParseResponseRequest reads an HTTP-POST binding response from the assertion consumer service
// request r (the body is read with a size limit) and verifies it; see ParseResponse.
func (sp *ServiceProvider) ParseResponseRequest(ctx context.Context, r *http.Request,
	allowedRequestIDs []string, now time.Time) (*Assertion, error) {
	if r.URL.Query().Has("SAMLart") {
		return nil, errorf(KindUnsupportedBinding, "artifact binding is refused")
	}
	if r.Method != http.MethodPost {
		return nil, errorf(KindUnsupportedBinding, "responses come by HTTP-POST only, not %s", r.Method)
	}
	// Room for the base64 response (with line breaks) and a RelayState.
	limit := int64(base64.StdEncoding.EncodedLen(sp.opts.MaxResponseBytes))*105/100 + 8<<10
	r.Body = http.MaxBytesReader(nil, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(KindTooLarge, "posted form is larger than %d bytes", limit)
		}
		return nil, errorf(KindMalformed, "parse posted form: %w", err)
	}
	return sp.ParseResponse(ctx, r.PostForm, allowedRequestIDs, now)
}

// ParseResponse verifies the SAMLResponse of a posted form and returns the assertion.
// allowedRequestIDs are the IDs of the AuthnRequests this browser has outstanding with this
// organization; the caller deletes the one named by Assertion.InResponseTo. now is the time to
// judge validity by.
//
// The artifact binding (SAMLart) and HTTP-POST-SimpleSign are refused. The checks applied are
// listed in doc.go; any failure returns an *Error.
func (sp *ServiceProvider) ParseResponse(ctx context.Context, form url.Values,
	allowedRequestIDs []string, now time.Time) (*Assertion, error) {
	if form.Has("SAMLart") {
		return nil, errorf(KindUnsupportedBinding, "artifact binding is refused")
	}
	if form.Has("SigAlg") || form.Has("Signature") {
		return nil, errorf(KindUnsupportedBinding, "HTTP-POST-SimpleSign is not supported")
	}
	values := form["SAMLResponse"]
	if len(values) != 1 {
		return nil, errorf(KindMalformed, "form has %d SAMLResponse fields, want 1", len(values))
	}
	doc, err := sp.decodePosted(values[0])
	if err != nil {
		return nil, err
	}
	return sp.ParseResponseXML(ctx, doc, allowedRequestIDs, now)
}

// decodePosted decodes a base64 form value, bounding its size before and after decoding.
func (sp *ServiceProvider) decodePosted(v string) ([]byte, error) {
	maxEncoded := base64.StdEncoding.EncodedLen(sp.opts.MaxResponseBytes)
	if len(v) > 2*maxEncoded {
		return nil, errorf(KindTooLarge, "encoded message is %d bytes", len(v))
	}
	v = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, v)
	if len(v) > maxEncoded {
		return nil, errorf(KindTooLarge, "encoded message is %d bytes", len(v))
	}
	doc, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, errorf(KindMalformed, "decode base64: %w", err)
	}
	if len(doc) > sp.opts.MaxResponseBytes {
		return nil, errorf(KindTooLarge, "message is %d bytes", len(doc))
	}
	return doc, nil
}

// ParseResponseXML verifies a decoded Response document; see ParseResponse.
func (sp *ServiceProvider) ParseResponseXML(ctx context.Context, doc []byte,
	allowedRequestIDs []string, now time.Time) (*Assertion, error) {
	if len(doc) > sp.opts.MaxResponseBytes {
		return nil, errorf(KindTooLarge, "message is %d bytes", len(doc))
	}
	allowed := slices.DeleteFunc(slices.Clone(allowedRequestIDs), func(id string) bool { return id == "" })
	shape, err := sp.precheck(doc, allowed)
	if err != nil {
		return nil, err
	}
	a, deadline, err := sp.verify(doc, shape, allowed, now)
	if err != nil {
		return nil, err
	}
	seen, err := sp.opts.ReplayCache.Seen(ctx, a.ID, deadline)
	if err != nil {
		return nil, newError(KindInternal, fmt.Errorf("record assertion id: %w", err))
	}
	if seen {
		return nil, errorf(KindReplayed, "assertion %q was already used", a.ID)
	}
	return a, nil
}

// verify has crewjam validate the document, with castellan's verifier in the loop, then applies
// castellan's own checks. It returns the result and how long to remember the assertion ID.
func (sp *ServiceProvider) verify(doc []byte, s shape, allowed []string, now time.Time) (*Assertion,
	time.Time, error) {
	v := sp.newVerifier(now)
	got, err := sp.crewjam(now, v).ParseXMLResponse(doc, allowed, sp.urls.acs)
	if err != nil {
		return nil, time.Time{}, classify(err)
	}
	a, err := sp.check(got, v, s, allowed, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	return a, replayDeadline(got), nil
}

// shape is what the unauthenticated first look at a Response found.
type shape struct {
	rootID       string
	inResponseTo string
	encrypted    bool
}

// precheck refuses, before any cryptography, documents that no honest IdP sends: anything but
// one Response at the root carrying exactly one Assertion or EncryptedAssertion as a direct
// child, with no other Assertion, EncryptedAssertion or Response anywhere in the document. This
// shuts out signature-wrapping layouts whatever the library beneath does with them. It also
// refuses a Destination other than the ACS (also when absent), an unsolicited response early
// when those are off, and an InResponseTo that is not outstanding. Refusing on unauthenticated
// data is always safe; nothing read here is trusted later.
func (sp *ServiceProvider) precheck(doc []byte, allowed []string) (shape, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return shape{}, errorf(KindMalformed, "parse xml: %w", err)
	}
	root := d.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return shape{}, errorf(KindMalformed, "root element is not a samlp:Response")
	}
	if n := len(descendants(root, nsProtocol, "Response")); n != 1 {
		return shape{}, errorf(KindMalformed, "document holds %d Response elements", n)
	}
	assertions := append(descendants(root, nsAssertion, "Assertion"),
		descendants(root, nsAssertion, "EncryptedAssertion")...)
	if len(assertions) != 1 || assertions[0].Parent() != root {
		return shape{}, errorf(KindMalformed, "response must hold exactly one Assertion or "+
			"EncryptedAssertion, as a direct child; found %d", len(assertions))
	}
	s := shape{rootID: root.SelectAttrValue("ID", ""),
		inResponseTo: root.SelectAttrValue("InResponseTo", ""),
		encrypted:    assertions[0].Tag == "EncryptedAssertion"}
	switch dest := root.SelectAttrValue("Destination", ""); {
	case dest != sp.ep.ACSURL:
		// Stricter than crewjam, which lets an unsigned Response omit it: every IdP sends it, and
		// saml-bindings §3.5.5.2 requires it of signed messages anyway.
		return shape{}, errorf(KindDestination, "destination %q is not the acs url", dest)
	case s.inResponseTo == "" && !sp.cfg.IdpAllowUnsolicitedAuthnResponse:
		return shape{}, errorf(KindUnsolicited, "unsolicited response while those are not allowed")
	case s.inResponseTo != "" && !slices.Contains(allowed, s.inResponseTo):
		return shape{}, errorf(KindRequestID, "InResponseTo %q is not outstanding", s.inResponseTo)
	}
	return s, nil
}

// check re-applies, on the assertion crewjam verified, the rules castellan does not leave to the
// library alone, with castellan's own (smaller) clock skew, and builds the result.
func (sp *ServiceProvider) check(got *saml.Assertion, v *verifier, s shape, allowed []string,
	now time.Time) (*Assertion, error) {
	if got.ID == "" {
		return nil, errorf(KindMalformed, "assertion has no ID")
	}
	a := &Assertion{ID: got.ID, Issuer: got.Issuer.Value, Encrypted: s.encrypted,
		AssertionSigned: v.hasVerified("Assertion", got.ID),
		ResponseSigned:  v.hasVerified("Response", s.rootID)}
	if sp.cfg.SpWantAssertionsSigned && !a.AssertionSigned {
		return nil, errorf(KindSignature, "assertion is not signed and the configuration wants it")
	}
	if !a.AssertionSigned && !a.ResponseSigned {
		return nil, errorf(KindSignature, "neither the response nor the assertion is signed")
	}
	if a.Issuer != sp.cfg.IdpEntityID {
		return nil, errorf(KindIssuer, "assertion issuer %q is not the configured idp", a.Issuer)
	}
	if err := sp.checkConditions(got, now); err != nil {
		return nil, err
	}
	conf, err := sp.checkConfirmation(got, s, allowed, now)
	if err != nil {
		return nil, err
	}
	if got.Subject.NameID == nil || strings.TrimSpace(got.Subject.NameID.Value) == "" {
		return nil, errorf(KindNoSubject, "assertion has no NameID")
	}
	fill(a, got, conf, s)
	return a, nil
}

// fill copies the verified content into the result. The request answered is the one the
// assertion names; the Response's InResponseTo counts only when the Response itself was signed
// (its root attributes are then covered by the signature).
func fill(a *Assertion, got *saml.Assertion, conf *saml.SubjectConfirmationData, s shape) {
	a.InResponseTo = conf.InResponseTo
	if a.InResponseTo == "" && a.ResponseSigned {
		a.InResponseTo = s.inResponseTo
	}
	n := got.Subject.NameID
	a.NameID, a.NameIDFormat = n.Value, n.Format
	a.NameQualifier, a.SPNameQualifier = n.NameQualifier, n.SPNameQualifier
	a.NotOnOrAfter = conf.NotOnOrAfter
	if c := got.Conditions; c != nil && !c.NotOnOrAfter.IsZero() {
		a.NotOnOrAfter = earliest(a.NotOnOrAfter, c.NotOnOrAfter)
	}
	if len(got.AuthnStatements) > 0 {
		a.SessionIndex = got.AuthnStatements[0].SessionIndex
		a.AuthnInstant = got.AuthnStatements[0].AuthnInstant
	}
	a.Attributes = attributes(got)
}

// checkConditions applies the audience restriction (saml-core §2.5.1.4: every restriction must
// name this SP) and the Conditions validity window with castellan's skew (§2.5.1.2).
func (sp *ServiceProvider) checkConditions(got *saml.Assertion, now time.Time) error {
	c := got.Conditions
	if c == nil || len(c.AudienceRestrictions) == 0 {
		return errorf(KindAudience, "assertion has no audience restriction")
	}
	for i := range c.AudienceRestrictions {
		ok := slices.ContainsFunc(c.AudienceRestrictions[i].AllAudiences(),
			func(au saml.Audience) bool { return au.Value == sp.ep.EntityID })
		if !ok {
			return errorf(KindAudience, "audience restriction does not name %q", sp.ep.EntityID)
		}
	}
	skew := sp.opts.ClockSkew
	if !c.NotBefore.IsZero() && now.Add(skew).Before(c.NotBefore) {
		return errorf(KindNotYetValid, "assertion not valid before %s", stamp(c.NotBefore))
	}
	if !c.NotOnOrAfter.IsZero() && !now.Before(c.NotOnOrAfter.Add(skew)) {
		return errorf(KindExpired, "assertion expired at %s", stamp(c.NotOnOrAfter))
	}
	return nil
}

// checkConfirmation finds a bearer SubjectConfirmationData that names the ACS as Recipient, is
// within its window (with castellan's skew) and answers an outstanding request, or is
// unsolicited while those are allowed (saml-profiles §4.1.4.2-3). The first failure is reported.
func (sp *ServiceProvider) checkConfirmation(got *saml.Assertion, s shape, allowed []string,
	now time.Time) (*saml.SubjectConfirmationData, error) {
	var first error
	if got.Subject != nil {
		for _, sc := range got.Subject.SubjectConfirmations {
			if sc.Method != bearer || sc.SubjectConfirmationData == nil {
				continue
			}
			err := sp.checkBearerData(sc.SubjectConfirmationData, s, allowed, now)
			if err == nil {
				return sc.SubjectConfirmationData, nil
			}
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		first = errorf(KindMalformed, "assertion has no bearer subject confirmation")
	}
	return nil, first
}

func (sp *ServiceProvider) checkBearerData(d *saml.SubjectConfirmationData, s shape,
	allowed []string, now time.Time) error {
	skew := sp.opts.ClockSkew
	switch {
	case d.Recipient != sp.ep.ACSURL:
		return errorf(KindRecipient, "recipient %q is not the acs url", d.Recipient)
	case d.NotOnOrAfter.IsZero() || !now.Before(d.NotOnOrAfter.Add(skew)):
		return errorf(KindExpired, "subject confirmation expired at %s", stamp(d.NotOnOrAfter))
	case !d.NotBefore.IsZero() && now.Add(skew).Before(d.NotBefore):
		return errorf(KindNotYetValid, "subject confirmation not valid before %s", stamp(d.NotBefore))
	case d.InResponseTo == "" && !sp.cfg.IdpAllowUnsolicitedAuthnResponse:
		return errorf(KindUnsolicited, "unsolicited assertion while those are not allowed")
	case d.InResponseTo != "" && !slices.Contains(allowed, d.InResponseTo):
		return errorf(KindRequestID, "assertion answers %q, which is not outstanding", d.InResponseTo)
	case d.InResponseTo != "" && s.inResponseTo != "" && d.InResponseTo != s.inResponseTo:
		return errorf(KindRequestID, "assertion and response answer different requests")
	}
	return nil
}

// replayDeadline is how long the assertion ID must be remembered: until crewjam would refuse the
// assertion anyway, using its fixed (larger) skew so the record never ends too early.
func replayDeadline(a *saml.Assertion) time.Time {
	deadline := a.IssueInstant.Add(saml.MaxIssueDelay)
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() {
		deadline = earliest(deadline, a.Conditions.NotOnOrAfter.Add(saml.MaxClockSkew))
	}
	return deadline
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// attributes flattens the attribute statements; a NameID-valued attribute gives its NameID text.
func attributes(a *saml.Assertion) []Attribute {
	var out []Attribute
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			attr := Attribute{Name: at.Name, FriendlyName: at.FriendlyName,
				NameFormat: at.NameFormat}
			for _, v := range at.Values {
				switch {
				case v.Nil:
				case v.NameID != nil:
					attr.Values = append(attr.Values, v.NameID.Value)
				default:
					attr.Values = append(attr.Values, v.Value)
				}
			}
			out = append(out, attr)
		}
	}
	return out
}

// classify turns a crewjam/saml error into an *Error. crewjam's InvalidResponseError carries the
// whole document; only its PrivateErr is kept, so the cause can be logged without the assertion.
func classify(err error) *Error {
	var mine *Error
	if errors.As(err, &mine) {
		return mine
	}
	cause := err
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) {
		cause = ire.PrivateErr
	}
	var status saml.ErrBadStatus
	if errors.As(cause, &status) {
		return errorf(KindStatus, "idp answered with status %q", status.Status)
	}
	return newError(kindOfCrewjam(cause), cause)
}

// crewjamKinds maps crewjam's error kinds to castellan's, most specific first.
var crewjamKinds = []struct {
	target error
	kind   Kind
}{
	{saml.ErrUntrustedCertificate, KindCertificate},
	{saml.ErrCertificateNotValidNow, KindCertificate},
	{saml.ErrInvalidCertificate, KindCertificate},
	{saml.ErrDecryptionFailed, KindDecryption},
	{saml.ErrExpired, KindExpired},
	{saml.ErrNotYetValid, KindNotYetValid},
	{saml.ErrIssuerMismatch, KindIssuer},
	{saml.ErrRequestIDMismatch, KindRequestID},
	{saml.ErrAudienceMismatch, KindAudience},
	{saml.ErrDestinationMismatch, KindDestination},
	{saml.ErrInvalidSignature, KindSignature},
	{saml.ErrMalformedMessage, KindMalformed},
	{saml.ErrMissingElement, KindMalformed},
	{saml.ErrUnsupported, KindMalformed},
}

func kindOfCrewjam(err error) Kind {
	if err == nil {
		return KindInternal
	}
	// crewjam refuses SHA-1 (RejectSHA1Signatures) with ErrUnsupported inside ErrInvalidSignature.
	if errors.Is(err, saml.ErrUnsupported) && errors.Is(err, saml.ErrInvalidSignature) {
		return KindAlgorithm
	}
	// Some of crewjam's signature failures are unclassified: a required XML signature that is
	// absent, and every failure of an HTTP-Redirect query signature.
	for _, text := range []string{"signature element not present", "cannot validate signature",
		"cannot decode signature", "unsupported signature algorithm"} {
		if strings.Contains(err.Error(), text) {
			return KindSignature
		}
	}
	for _, k := range crewjamKinds {
		if errors.Is(err, k.target) {
			// crewjam files a wrong SubjectConfirmation Recipient under the destination kind.
			if k.kind == KindDestination && strings.Contains(err.Error(), "Recipient") {
				return KindRecipient
			}
			return k.kind
		}
	}
	return KindMalformed
}
