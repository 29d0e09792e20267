package samlsp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/crewjam/saml"
)

// Limits for importing IdP metadata. A single IdP's metadata is a few KiB; federation aggregates
// are far larger and should be imported by entity ID from a file the administrator trims.
const (
	DefaultMaxMetadataBytes = 1 << 20
	DefaultMetadataTimeout  = 15 * time.Second
)

// FetchIdPMetadata downloads an IdP metadata document with client, giving up after timeout and
// refusing more than maxBytes (0 means the defaults). Only http and https URLs are fetched.
// The URL comes from an administrator; the caller's client decides which hosts are reachable
// (a server-side request: give it a dialer that refuses internal addresses if that matters).
func FetchIdPMetadata(ctx context.Context, client *http.Client, metadataURL string, maxBytes int64,
	timeout time.Duration) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxMetadataBytes
	}
	if timeout <= 0 {
		timeout = DefaultMetadataTimeout
	}
	u, err := url.Parse(metadataURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("metadata url must be an absolute http(s) url")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build metadata request: %w", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch idp metadata: http status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read idp metadata: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("idp metadata is larger than %d bytes", maxBytes)
	}
	return data, nil
}

// ApplyIdPMetadata fills the IdP fields of c from an IdP's SAML metadata: entity ID, single
// sign-on URL and binding (the configured binding if the IdP offers it, else HTTP-POST, else
// HTTP-Redirect), single logout URL (same preference; cleared if none), signing certificate (the
// first signing key; during an IdP key rollover pick the other one by hand) and whether the IdP
// wants signed requests. The SP fields are left alone. Normalize and Validate afterwards.
// entityID picks one entity out of an aggregate (EntitiesDescriptor); empty requires exactly one
// IdP in the document. The metadata's own signature, if any, is not checked: the administrator
// vouches for the document, as for every other field.
func (c *Config) ApplyIdPMetadata(data []byte, entityID string) error {
	ed, err := findIdPEntity(data, entityID)
	if err != nil {
		return err
	}
	desc := ed.IDPSSODescriptors[0]
	binding, sso := pickEndpoint(desc.SingleSignOnServices, c.IdpBindingType)
	if sso == "" {
		return errors.New("idp metadata has no HTTP-Redirect or HTTP-POST single sign-on service")
	}
	cert := ""
	for _, kd := range desc.KeyDescriptors {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, xc := range kd.KeyInfo.X509Data.X509Certificates {
			if der, err := decodeCertificate(xc.Data); err == nil && cert == "" {
				cert = base64.StdEncoding.EncodeToString(der)
			}
		}
	}
	if cert == "" {
		return errors.New("idp metadata has no usable signing certificate")
	}
	_, slo := pickEndpoint(desc.SingleLogoutServices, binding)
	c.IdpEntityID, c.IdpBindingType, c.IdpSingleSignOnServiceURL = ed.EntityID, binding, sso
	c.IdpSingleLogoutServiceURL, c.IdpX509PublicCert = slo, cert
	want := desc.WantAuthnRequestsSigned
	c.IdpWantAuthnRequestsSigned = want != nil && *want
	return nil
}

// pickEndpoint returns the location for the preferred binding, else HTTP-POST, else HTTP-Redirect.
func pickEndpoint(eps []saml.Endpoint, preferred BindingType) (BindingType, string) {
	uri := map[BindingType]string{BindingPost: saml.HTTPPostBinding,
		BindingRedirect: saml.HTTPRedirectBinding}
	order := []BindingType{BindingPost, BindingRedirect}
	if preferred == BindingRedirect {
		order = []BindingType{BindingRedirect, BindingPost}
	}
	for _, b := range order {
		for _, ep := range eps {
			if ep.Binding == uri[b] && ep.Location != "" {
				return b, ep.Location
			}
		}
	}
	return preferred, ""
}

// findIdPEntity parses an EntityDescriptor or an EntitiesDescriptor aggregate and returns the IdP
// entity asked for.
func findIdPEntity(data []byte, entityID string) (*saml.EntityDescriptor, error) {
	root, err := rootName(data)
	if err != nil {
		return nil, err
	}
	var candidates []saml.EntityDescriptor
	switch root {
	case xml.Name{Space: "urn:oasis:names:tc:SAML:2.0:metadata", Local: "EntityDescriptor"}:
		var ed saml.EntityDescriptor
		if err := xml.Unmarshal(data, &ed); err != nil {
			return nil, fmt.Errorf("parse idp metadata: %w", err)
		}
		candidates = []saml.EntityDescriptor{ed}
	case xml.Name{Space: "urn:oasis:names:tc:SAML:2.0:metadata", Local: "EntitiesDescriptor"}:
		var eds saml.EntitiesDescriptor
		if err := xml.Unmarshal(data, &eds); err != nil {
			return nil, fmt.Errorf("parse idp metadata: %w", err)
		}
		candidates = flattenEntities(eds)
	default:
		return nil, fmt.Errorf("idp metadata root is %s, not a SAML EntityDescriptor", root.Local)
	}
	var found []saml.EntityDescriptor
	for _, ed := range candidates {
		if len(ed.IDPSSODescriptors) > 0 && (entityID == "" || ed.EntityID == entityID) {
			found = append(found, ed)
		}
	}
	switch {
	case len(found) == 0:
		return nil, errors.New("idp metadata holds no matching identity provider")
	case len(found) > 1:
		return nil, fmt.Errorf("idp metadata holds %d identity providers; name one", len(found))
	}
	return &found[0], nil
}

func flattenEntities(eds saml.EntitiesDescriptor) []saml.EntityDescriptor {
	out := append([]saml.EntityDescriptor(nil), eds.EntityDescriptors...)
	for _, inner := range eds.EntitiesDescriptors {
		out = append(out, flattenEntities(inner)...)
	}
	return out
}

// rootName returns the name of the document element.
func rootName(data []byte) (xml.Name, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}, fmt.Errorf("parse idp metadata: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}
