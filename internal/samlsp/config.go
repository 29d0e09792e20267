package samlsp

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	dsig "github.com/russellhaering/goxmldsig"
)

// BindingType is the official Saml2BindingType: how the AuthnRequest travels to the IdP.
type BindingType uint8

// The official values; 0 (or anything unknown) is read as HTTP-POST, as the official server does.
const (
	BindingRedirect BindingType = 1
	BindingPost     BindingType = 2
)

// NameIDFormat is the official Saml2NameIdFormat: the NameIDPolicy format the SP asks for.
type NameIDFormat uint8

// The official values.
const (
	NameIDNotConfigured              NameIDFormat = 0
	NameIDUnspecified                NameIDFormat = 1
	NameIDEmailAddress               NameIDFormat = 2
	NameIDX509SubjectName            NameIDFormat = 3
	NameIDWindowsDomainQualifiedName NameIDFormat = 4
	NameIDKerberosPrincipalName      NameIDFormat = 5
	NameIDEntityIdentifier           NameIDFormat = 6
	NameIDPersistent                 NameIDFormat = 7
	NameIDTransient                  NameIDFormat = 8
)

// The NameID format URIs (saml-core §8.3).
const (
	FormatUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	FormatEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	FormatX509Subject = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
	FormatWindows     = "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
	FormatKerberos    = "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos"
	FormatEntity      = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	FormatPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	FormatTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

var nameIDFormatURIs = map[NameIDFormat]string{
	NameIDUnspecified:                FormatUnspecified,
	NameIDEmailAddress:               FormatEmail,
	NameIDX509SubjectName:            FormatX509Subject,
	NameIDWindowsDomainQualifiedName: FormatWindows,
	NameIDKerberosPrincipalName:      FormatKerberos,
	NameIDEntityIdentifier:           FormatEntity,
	NameIDPersistent:                 FormatPersistent,
	NameIDTransient:                  FormatTransient,
}

// URI returns the format URI, or "" for NotConfigured (the request then names no format).
func (f NameIDFormat) URI() string { return nameIDFormatURIs[f] }

// SigningBehavior is the official Saml2SigningBehavior: when AuthnRequests are signed.
type SigningBehavior uint8

// The official values (there is no 2).
const (
	SignIfIdpWantAuthnRequestsSigned SigningBehavior = 0
	SignAlways                       SigningBehavior = 1
	SignNever                        SigningBehavior = 3
)

// The signature algorithms the official server offers, by the URIs it stores.
const (
	AlgRSASHA1   = dsig.RSASHA1SignatureMethod
	AlgRSASHA256 = dsig.RSASHA256SignatureMethod
	AlgRSASHA384 = dsig.RSASHA384SignatureMethod
	AlgRSASHA512 = dsig.RSASHA512SignatureMethod
)

// DefaultSigningAlgorithm is used for outbound signatures and as the incoming minimum when the
// configuration names none (the official server saves rsa-sha256 as the outbound default, and its
// SAML library's default minimum is SHA-256 too).
const DefaultSigningAlgorithm = AlgRSASHA256

// algStrength orders the signature and digest algorithms by the hash they use. ECDSA methods are
// accepted with the strength of their hash; anything absent is unknown and refused.
var algStrength = map[string]int{
	dsig.RSASHA1SignatureMethod:                     1,
	dsig.ECDSASHA1SignatureMethod:                   1,
	"http://www.w3.org/2000/09/xmldsig#sha1":        1,
	dsig.RSASHA256SignatureMethod:                   256,
	dsig.ECDSASHA256SignatureMethod:                 256,
	"http://www.w3.org/2001/04/xmlenc#sha256":       256,
	dsig.RSASHA384SignatureMethod:                   384,
	dsig.ECDSASHA384SignatureMethod:                 384,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": 384,
	dsig.RSASHA512SignatureMethod:                   512,
	dsig.ECDSASHA512SignatureMethod:                 512,
	"http://www.w3.org/2001/04/xmlenc#sha512":       512,
	"http://www.w3.org/2001/04/xmldsig-more#sha512": 512, // some IdPs write the -more form
}

// outboundAlgorithms are the algorithms castellan signs with (its SP keys are RSA).
var outboundAlgorithms = map[string]bool{AlgRSASHA256: true, AlgRSASHA384: true, AlgRSASHA512: true}

// minimumAlgorithms are the values accepted for SpMinIncomingSigningAlgorithm.
var minimumAlgorithms = map[string]bool{
	AlgRSASHA1: true, AlgRSASHA256: true, AlgRSASHA384: true, AlgRSASHA512: true,
}

// Config holds the SAML fields of the official SsoConfigurationData (bitwarden-behavior §5.2), with
// the same JSON names so that it can be embedded in the stored configuration blob. The official
// idpArtifactResolutionServiceUrl is not here: the artifact binding is refused.
type Config struct {
	IdpEntityID                      string          `json:"idpEntityId"`
	IdpBindingType                   BindingType     `json:"idpBindingType"`
	IdpSingleSignOnServiceURL        string          `json:"idpSingleSignOnServiceUrl"`
	IdpSingleLogoutServiceURL        string          `json:"idpSingleLogoutServiceUrl"`
	IdpX509PublicCert                string          `json:"idpX509PublicCert"`
	IdpOutboundSigningAlgorithm      string          `json:"idpOutboundSigningAlgorithm"`
	IdpAllowUnsolicitedAuthnResponse bool            `json:"idpAllowUnsolicitedAuthnResponse"`
	IdpDisableOutboundLogoutRequests bool            `json:"idpDisableOutboundLogoutRequests"`
	IdpWantAuthnRequestsSigned       bool            `json:"idpWantAuthnRequestsSigned"`
	SpUniqueEntityID                 bool            `json:"spUniqueEntityId"`
	SpNameIDFormat                   NameIDFormat    `json:"spNameIdFormat"`
	SpOutboundSigningAlgorithm       string          `json:"spOutboundSigningAlgorithm"`
	SpSigningBehavior                SigningBehavior `json:"spSigningBehavior"`
	SpWantAssertionsSigned           bool            `json:"spWantAssertionsSigned"`
	SpValidateCertificates           bool            `json:"spValidateCertificates"`
	SpMinIncomingSigningAlgorithm    string          `json:"spMinIncomingSigningAlgorithm"`
}

// Normalize brings a configuration into its stored form, as the official server does on save:
// the certificate becomes bare base64 DER (PEM armour and whitespace removed, base64url accepted),
// text fields are trimmed, an unknown binding becomes HTTP-POST, and an empty outbound algorithm
// becomes rsa-sha256. A certificate that cannot be decoded is left for Validate to report.
func (c *Config) Normalize() {
	c.IdpEntityID = strings.TrimSpace(c.IdpEntityID)
	c.IdpSingleSignOnServiceURL = strings.TrimSpace(c.IdpSingleSignOnServiceURL)
	c.IdpSingleLogoutServiceURL = strings.TrimSpace(c.IdpSingleLogoutServiceURL)
	c.IdpOutboundSigningAlgorithm = strings.TrimSpace(c.IdpOutboundSigningAlgorithm)
	c.SpOutboundSigningAlgorithm = strings.TrimSpace(c.SpOutboundSigningAlgorithm)
	c.SpMinIncomingSigningAlgorithm = strings.TrimSpace(c.SpMinIncomingSigningAlgorithm)
	if c.IdpBindingType != BindingRedirect {
		c.IdpBindingType = BindingPost
	}
	if c.SpOutboundSigningAlgorithm == "" {
		c.SpOutboundSigningAlgorithm = DefaultSigningAlgorithm
	}
	if der, err := decodeCertificate(c.IdpX509PublicCert); err == nil {
		c.IdpX509PublicCert = base64.StdEncoding.EncodeToString(der)
	}
}

// decodeCertificate accepts a certificate as PEM, as base64 DER with or without whitespace, or as
// base64url, and returns its DER bytes after checking that it parses.
func decodeCertificate(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "-----BEGIN CERTIFICATE-----", "")
	s = strings.ReplaceAll(s, "-----END CERTIFICATE-----", "")
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	if s == "" {
		return nil, fmt.Errorf("certificate is empty")
	}
	s = strings.TrimRight(s, "=")
	der, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode certificate base64: %w", err)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return der, nil
}

// IdpCertificate returns the configured IdP signing certificate.
func (c Config) IdpCertificate() (*x509.Certificate, error) {
	der, err := decodeCertificate(c.IdpX509PublicCert)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// minimumAlgorithm returns the configured incoming minimum, or the default.
func (c Config) minimumAlgorithm() string {
	if c.SpMinIncomingSigningAlgorithm == "" {
		return DefaultSigningAlgorithm
	}
	return c.SpMinIncomingSigningAlgorithm
}

// outboundAlgorithm returns the algorithm AuthnRequests are signed with: the IdP-specific one if
// set, else the SP one, else the default.
func (c Config) outboundAlgorithm() string {
	if c.IdpOutboundSigningAlgorithm != "" {
		return c.IdpOutboundSigningAlgorithm
	}
	if c.SpOutboundSigningAlgorithm != "" {
		return c.SpOutboundSigningAlgorithm
	}
	return DefaultSigningAlgorithm
}

// signsAuthnRequests applies SpSigningBehavior.
func (c Config) signsAuthnRequests() bool {
	switch c.SpSigningBehavior {
	case SignAlways:
		return true
	case SignNever:
		return false
	default:
		return c.IdpWantAuthnRequestsSigned
	}
}

// ValidationErrors maps a JSON field name of Config to its problems, in the shape of the official
// error body's validationErrors. The caller prefixes the names if Config is nested.
type ValidationErrors map[string][]string

func (v ValidationErrors) add(field, msg string) { v[field] = append(v[field], msg) }

// Validate checks every field and returns nil when the configuration can be saved. Call Normalize
// first. Deviation from the official server: the IdP certificate is required, because castellan
// never fetches IdP metadata and so has no other way to verify a response.
func (c Config) Validate() ValidationErrors {
	v := ValidationErrors{}
	if c.IdpEntityID == "" {
		v.add("idpEntityId", "The identity provider entity ID is required.")
	} else if len(c.IdpEntityID) > 1024 {
		v.add("idpEntityId", "The identity provider entity ID is longer than 1024 characters.")
	}
	if c.IdpSingleSignOnServiceURL == "" {
		v.add("idpSingleSignOnServiceUrl", "The single sign-on service URL is required.")
	} else if problem := checkIdpURL(c.IdpSingleSignOnServiceURL); problem != "" {
		v.add("idpSingleSignOnServiceUrl", "The single sign-on service URL "+problem)
	}
	if c.IdpSingleLogoutServiceURL != "" {
		if problem := checkIdpURL(c.IdpSingleLogoutServiceURL); problem != "" {
			v.add("idpSingleLogoutServiceUrl", "The single logout service URL "+problem)
		}
	}
	if c.IdpBindingType != BindingRedirect && c.IdpBindingType != BindingPost {
		v.add("idpBindingType", "The binding must be 1 (HTTP-Redirect) or 2 (HTTP-POST).")
	}
	if c.IdpX509PublicCert == "" {
		v.add("idpX509PublicCert", "The identity provider signing certificate is required.")
	} else if _, err := decodeCertificate(c.IdpX509PublicCert); err != nil {
		v.add("idpX509PublicCert", "The signing certificate is not a valid X.509 certificate.")
	}
	c.validateSP(v)
	if len(v) == 0 {
		return nil
	}
	return v
}

func (c Config) validateSP(v ValidationErrors) {
	const outboundMsg = "The signing algorithm must be rsa-sha256, rsa-sha384 or rsa-sha512."
	if c.IdpOutboundSigningAlgorithm != "" && !outboundAlgorithms[c.IdpOutboundSigningAlgorithm] {
		v.add("idpOutboundSigningAlgorithm", outboundMsg)
	}
	if c.SpOutboundSigningAlgorithm != "" && !outboundAlgorithms[c.SpOutboundSigningAlgorithm] {
		v.add("spOutboundSigningAlgorithm", outboundMsg)
	}
	if minAlg := c.SpMinIncomingSigningAlgorithm; minAlg != "" && !minimumAlgorithms[minAlg] {
		v.add("spMinIncomingSigningAlgorithm",
			"The minimum signing algorithm must be rsa-sha1, rsa-sha256, rsa-sha384 or rsa-sha512.")
	}
	if c.SpNameIDFormat > NameIDTransient {
		v.add("spNameIdFormat", "The NameID format must be between 0 and 8.")
	}
	switch c.SpSigningBehavior {
	case SignIfIdpWantAuthnRequestsSigned, SignAlways, SignNever:
	default:
		v.add("spSigningBehavior", "The signing behavior must be 0, 1 or 3.")
	}
}

// checkIdpURL applies the official rule for IdP URLs (absolute http or https, no <, > or "), and
// also refuses user information, which has no place in a browser redirect target. It returns the
// end of a sentence describing the problem, or "".
func checkIdpURL(s string) string {
	if strings.ContainsAny(s, "<>\"") {
		return "must not contain <, > or \"."
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http:// or https:// URL."
	}
	if u.User != nil {
		return "must not contain a user name or password."
	}
	return ""
}
