package samlsp

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Default limits. A login response with a few hundred group memberships stays well under 256 KiB;
// messages on the HTTP-Redirect binding (logout only) are a few KiB.
const (
	DefaultMaxResponseBytes = 256 << 10
	DefaultMaxRedirectBytes = 64 << 10
	DefaultClockSkew        = 60 * time.Second
)

// Options are the SP's operating limits and dependencies; they are not part of the stored
// configuration.
type Options struct {
	// ReplayCache records accepted assertion and logout request IDs. Required.
	ReplayCache ReplayCache
	// ClockSkew is the tolerance on NotBefore and NotOnOrAfter. 0 means DefaultClockSkew. It may
	// not exceed crewjam/saml's fixed saml.MaxClockSkew (180 s), which is applied first.
	ClockSkew time.Duration
	// MaxResponseBytes bounds a decoded posted message. 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// MaxRedirectBytes bounds an inflated HTTP-Redirect message. 0 means DefaultMaxRedirectBytes.
	MaxRedirectBytes int
}

// ServiceProvider is one organization's SAML service provider. It is immutable and safe for
// concurrent use; build a new one when the configuration or keys change. Each operation builds a
// fresh crewjam/saml ServiceProvider, so that no call shares a clock or a verifier with another.
type ServiceProvider struct {
	cfg        Config
	keys       KeySet
	ep         Endpoints
	opts       Options
	idpCertB64 string
	idpCert    *x509.Certificate
	urls       spURLs
}

type spURLs struct{ metadata, acs, slo url.URL }

// New checks its inputs and builds an organization's SP. cfg must be normalized and valid.
func New(cfg Config, keys KeySet, ep Endpoints, opts Options) (*ServiceProvider, error) {
	if verrs := cfg.Validate(); verrs != nil {
		return nil, fmt.Errorf("saml configuration is invalid: %d field(s)", len(verrs))
	}
	if err := keys.validate(); err != nil {
		return nil, fmt.Errorf("saml sp keys: %w", err)
	}
	if opts.ReplayCache == nil {
		return nil, errors.New("saml sp needs a replay cache")
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = DefaultClockSkew
	}
	if opts.ClockSkew < 0 || opts.ClockSkew > saml.MaxClockSkew {
		return nil, fmt.Errorf("clock skew must be between 0 and %s", saml.MaxClockSkew)
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.MaxRedirectBytes <= 0 {
		opts.MaxRedirectBytes = DefaultMaxRedirectBytes
	}
	cert, err := cfg.IdpCertificate()
	if err != nil {
		return nil, fmt.Errorf("idp certificate: %w", err)
	}
	sp := &ServiceProvider{cfg: cfg, keys: keys, ep: ep, opts: opts, idpCert: cert,
		idpCertB64: base64.StdEncoding.EncodeToString(cert.Raw)}
	for dst, src := range map[*url.URL]string{&sp.urls.metadata: ep.MetadataURL,
		&sp.urls.acs: ep.ACSURL, &sp.urls.slo: ep.SLOURL} {
		u, err := url.Parse(src)
		if err != nil || !u.IsAbs() {
			return nil, fmt.Errorf("sp endpoint %q is not an absolute url", src)
		}
		*dst = *u
	}
	return sp, nil
}

// Endpoints returns the SP's URLs.
func (sp *ServiceProvider) Endpoints() Endpoints { return sp.ep }

// Config returns the SP's configuration.
func (sp *ServiceProvider) Config() Config { return sp.cfg }

// idpMetadata describes the IdP from the stored configuration alone: castellan never fetches IdP
// metadata at login time, so the configured certificate is the only trusted key.
func (sp *ServiceProvider) idpMetadata() *saml.EntityDescriptor {
	binding := saml.HTTPPostBinding
	if sp.cfg.IdpBindingType == BindingRedirect {
		binding = saml.HTTPRedirectBinding
	}
	want := sp.cfg.IdpWantAuthnRequestsSigned
	desc := saml.IDPSSODescriptor{
		WantAuthnRequestsSigned: &want,
		SingleSignOnServices: []saml.Endpoint{
			{Binding: binding, Location: sp.cfg.IdpSingleSignOnServiceURL}},
	}
	desc.ProtocolSupportEnumeration = "urn:oasis:names:tc:SAML:2.0:protocol"
	desc.KeyDescriptors = []saml.KeyDescriptor{{Use: "signing", KeyInfo: saml.KeyInfo{
		X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{{Data: sp.idpCertB64}}}}}}
	if sp.cfg.IdpSingleLogoutServiceURL != "" {
		for _, b := range []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding} {
			desc.SingleLogoutServices = append(desc.SingleLogoutServices,
				saml.Endpoint{Binding: b, Location: sp.cfg.IdpSingleLogoutServiceURL})
		}
	}
	return &saml.EntityDescriptor{EntityID: sp.cfg.IdpEntityID,
		IDPSSODescriptors: []saml.IDPSSODescriptor{desc}}
}

// crewjam builds the library's ServiceProvider for one operation at time now. v, if not nil,
// verifies (and records) every XML signature the library checks.
func (sp *ServiceProvider) crewjam(now time.Time, v *verifier) *saml.ServiceProvider {
	cur := sp.keys.Current
	var previous []*rsa.PrivateKey
	if sp.keys.Previous != nil {
		previous = append(previous, sp.keys.Previous.Encryption.Key)
	}
	certB64 := sp.idpCertB64
	c := &saml.ServiceProvider{
		EntityID:                         sp.ep.EntityID,
		Key:                              cur.Signing.Key,
		Certificate:                      cur.Signing.Cert,
		EncryptionKey:                    cur.Encryption.Key,
		EncryptionCertificate:            cur.Encryption.Cert,
		DecryptionKeys:                   previous,
		MetadataURL:                      sp.urls.metadata,
		AcsURL:                           sp.urls.acs,
		SloURL:                           sp.urls.slo,
		IDPMetadata:                      sp.idpMetadata(),
		IDPCertificate:                   &certB64,
		AllowIDPInitiated:                sp.cfg.IdpAllowUnsolicitedAuthnResponse,
		Clock:                            dsig.NewFakeClockAt(now),
		IgnoreCertificateExpiry:          !sp.cfg.SpValidateCertificates,
		RejectSHA1Signatures:             sp.minStrength() > algStrength[AlgRSASHA1],
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		LogoutBindings:                   []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding},
		LogoutSignatureMethod:            sp.cfg.outboundAlgorithm(),
		MetadataOmitValidUntil:           true,
		LimitRelayStateLength:            true,
	}
	if sp.cfg.signsAuthnRequests() {
		c.SignatureMethod = sp.cfg.outboundAlgorithm()
	}
	if v != nil {
		c.SignatureVerifier = v
	}
	return c
}

// minStrength is the strength (algStrength) every incoming signature algorithm must reach.
func (sp *ServiceProvider) minStrength() int { return algStrength[sp.cfg.minimumAlgorithm()] }
