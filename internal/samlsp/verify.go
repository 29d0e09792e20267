package samlsp

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// verifier is handed to crewjam/saml as its SignatureVerifier, so that every XML signature the
// library checks passes through it. On top of goxmldsig's verification it
//
//   - refuses any SignatureMethod or DigestMethod below the configured minimum (crewjam can only
//     refuse SHA-1, not require SHA-384 or more),
//   - names a signature by a certificate other than the configured one, or one outside its
//     validity period, as a certificate problem rather than a bad signature,
//   - insists on the reference profile (one Reference, URI "#" + the element's ID) before
//     recording anything, and
//   - records which elements (tag and ID, read from what the signature covers) were verified, so
//     that the caller can tell whether the Assertion itself was signed.
//
// One verifier serves one operation; it is not safe for concurrent use.
type verifier struct {
	minStrength int
	cert        *x509.Certificate
	checkDates  bool
	now         time.Time
	verified    []signedElement
}

type signedElement struct{ tag, id string }

// VerifySignature implements saml.SignatureVerifier.
func (v *verifier) VerifySignature(ctx *dsig.ValidationContext, el *etree.Element) error {
	_, err := v.VerifySignedElement(ctx, el)
	return err
}

// VerifySignedElement implements saml.SignedElementVerifier: it returns the element as covered by
// the signature, which crewjam then reads the message from.
func (v *verifier) VerifySignedElement(ctx *dsig.ValidationContext, el *etree.Element) (
	*etree.Element, error) {
	if err := v.checkAlgorithms(el); err != nil {
		return nil, err
	}
	sig := directSignature(el)
	if err := checkReference(el, sig); err != nil {
		return nil, err
	}
	if err := v.checkCertificate(sig); err != nil {
		return nil, err
	}
	signed, err := ctx.Validate(el)
	if err != nil {
		return nil, newError(KindSignature, err)
	}
	id := signed.SelectAttrValue("ID", "")
	if id == "" || id != el.SelectAttrValue("ID", "") {
		return nil, errorf(KindSignature, "signed %s has no ID or a different one", el.Tag)
	}
	v.verified = append(v.verified, signedElement{tag: signed.Tag, id: id})
	return signed, nil
}

// hasVerified reports whether an element with this tag and ID had a valid signature.
func (v *verifier) hasVerified(tag, id string) bool {
	for _, s := range v.verified {
		if s.tag == tag && s.id == id && id != "" {
			return true
		}
	}
	return false
}

// checkAlgorithms walks every ds:Signature in el, at any depth, and refuses any SignatureMethod or
// DigestMethod whose strength is unknown or below the minimum. Checking every one, not only the
// one goxmldsig will pick, leaves no arrangement of elements that hides a weak algorithm.
func (v *verifier) checkAlgorithms(el *etree.Element) error {
	for _, sig := range descendants(el, dsig.Namespace, dsig.SignatureTag) {
		for _, m := range sig.FindElements(".//*") {
			if m.NamespaceURI() != dsig.Namespace {
				continue
			}
			if m.Tag != dsig.SignatureMethodTag && m.Tag != dsig.DigestMethodTag {
				continue
			}
			alg := m.SelectAttrValue(dsig.AlgorithmAttr, "")
			strength, known := algStrength[alg]
			if !known || strength < v.minStrength {
				return errorf(KindAlgorithm, "%s %q is below the configured minimum", m.Tag, alg)
			}
		}
	}
	return nil
}

// checkCertificate refuses a signature whose KeyInfo names any certificate other than the
// configured one (goxmldsig would use the first and refuse it too, but this names the problem;
// a chain in KeyInfo is refused as well, since only the configured certificate is trusted), and,
// when certificate validation is on, a configured certificate outside its dates. Without KeyInfo
// goxmldsig verifies with the configured certificate, the only one it trusts.
func (v *verifier) checkCertificate(sig *etree.Element) error {
	if sig != nil {
		for _, c := range descendants(sig, dsig.Namespace, dsig.X509CertificateTag) {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Text()), ""))
			if err != nil {
				return errorf(KindCertificate, "KeyInfo certificate is not base64: %w", err)
			}
			if !bytes.Equal(der, v.cert.Raw) {
				return errorf(KindCertificate, "signature names another certificate than the configured one")
			}
		}
	}
	if v.checkDates && (v.now.Before(v.cert.NotBefore) || v.now.After(v.cert.NotAfter)) {
		return errorf(KindCertificate, "configured idp certificate is not valid at %s", stamp(v.now))
	}
	return nil
}

// directSignature returns el's ds:Signature child, or nil.
func directSignature(el *etree.Element) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == dsig.SignatureTag && c.NamespaceURI() == dsig.Namespace {
			return c
		}
	}
	return nil
}

// checkReference applies the SAML signature profile (saml-core §5.4.2): exactly one Signature
// child, whose SignedInfo has exactly one Reference, with URI "#" + the element's ID.
func checkReference(el, sig *etree.Element) error {
	n := 0
	for _, c := range el.ChildElements() {
		if c.Tag == dsig.SignatureTag && c.NamespaceURI() == dsig.Namespace {
			n++
		}
	}
	if n != 1 || sig == nil {
		return errorf(KindSignature, "%s has %d signatures, want 1", el.Tag, n)
	}
	var refs []*etree.Element
	for _, si := range sig.ChildElements() {
		if si.Tag == dsig.SignedInfoTag && si.NamespaceURI() == dsig.Namespace {
			refs = append(refs, descendants(si, dsig.Namespace, dsig.ReferenceTag)...)
		}
	}
	id := el.SelectAttrValue("ID", "")
	if len(refs) != 1 || id == "" {
		return errorf(KindSignature, "signature of %s has %d references or no ID", el.Tag,
			len(refs))
	}
	var uris []string
	for _, a := range refs[0].Attr {
		if a.Key == "URI" {
			uris = append(uris, a.Value)
		}
	}
	if len(uris) != 1 || uris[0] != "#"+id {
		return errorf(KindSignature, "signature of %s references %q, not its own ID", el.Tag, uris)
	}
	return nil
}

// descendants returns el and every element below it with the given namespace and local name.
func descendants(el *etree.Element, space, tag string) []*etree.Element {
	var out []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if e.Tag == tag && e.NamespaceURI() == space {
			out = append(out, e)
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(el)
	return out
}
