package samlsp

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/crewjam/saml"
)

// Metadata returns the organization's SP metadata document: entity ID, the assertion consumer
// service (HTTP-POST; responses on HTTP-Redirect are not allowed by saml-profiles §4.1.2, and
// the artifact binding is refused), single logout on HTTP-Redirect and HTTP-POST, and the signing
// and encryption certificates, current first and then, during a rotation, the previous ones.
// It carries a cacheDuration and no validUntil, so that a copy imported as a file does not expire.
func (sp *ServiceProvider) Metadata(now time.Time) ([]byte, error) {
	ed := sp.crewjam(now, nil).Metadata()
	if len(ed.SPSSODescriptors) != 1 {
		return nil, fmt.Errorf("sp metadata has %d SPSSODescriptors", len(ed.SPSSODescriptors))
	}
	d := &ed.SPSSODescriptors[0]
	var encMethods []saml.EncryptionMethod
	for _, kd := range d.KeyDescriptors {
		if kd.Use == "encryption" {
			encMethods = kd.EncryptionMethods
		}
	}
	generations := []SPKeys{sp.keys.Current}
	if sp.keys.Previous != nil {
		generations = append(generations, *sp.keys.Previous)
	}
	d.KeyDescriptors = nil
	for _, g := range generations {
		d.KeyDescriptors = append(d.KeyDescriptors, keyDescriptor("signing", g.Signing, nil))
	}
	for _, g := range generations {
		kd := keyDescriptor("encryption", g.Encryption, encMethods)
		d.KeyDescriptors = append(d.KeyDescriptors, kd)
	}
	signs, wantSigned := sp.cfg.signsAuthnRequests(), sp.cfg.SpWantAssertionsSigned
	d.AuthnRequestsSigned, d.WantAssertionsSigned = &signs, &wantSigned
	d.NameIDFormats = nil
	if f := sp.cfg.SpNameIDFormat.URI(); f != "" {
		d.NameIDFormats = []saml.NameIDFormat{saml.NameIDFormat(f)}
	}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal sp metadata: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func keyDescriptor(use string, kp KeyPair, methods []saml.EncryptionMethod) saml.KeyDescriptor {
	return saml.KeyDescriptor{
		Use: use,
		KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{
			{Data: base64.StdEncoding.EncodeToString(kp.Cert.Raw)}}}},
		EncryptionMethods: methods,
	}
}
