package adminclient

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// IdPMetadataImport asks the server to read an identity provider's SAML metadata: from a document
// (XML) or from a URL the server fetches. EntityID picks one IdP of an aggregate; Binding (1
// HTTP-Redirect, 2 HTTP-POST, 0 the server's choice) is the preferred AuthnRequest binding.
type IdPMetadataImport struct {
	URL      string `json:"metadataUrl,omitempty"`
	XML      string `json:"metadataXml,omitempty"`
	EntityID string `json:"entityId,omitempty"`
	Binding  int    `json:"idpBindingType,omitempty"`
}

// ImportIdPMetadata returns the IdP fields of the SAML configuration (official names: idpEntityId,
// idpBindingType, idpSingleSignOnServiceUrl, idpSingleLogoutServiceUrl, idpX509PublicCert,
// idpWantAuthnRequestsSigned) read from the metadata. The server saves nothing.
func (c *Client) ImportIdPMetadata(ctx context.Context, orgID string, in IdPMetadataImport) (map[string]any, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var out struct {
		Data map[string]any `json:"data"`
	}
	err := c.call(ctx, http.MethodPost, "/api/organizations/"+orgID+"/sso/saml/idp-metadata", in, &out)
	if err != nil {
		return nil, fmt.Errorf("import identity provider metadata: %w", err)
	}
	return out.Data, nil
}

// SAMLKeys are an organization's SAML service provider certificates: the current generation and,
// during a rotation's overlap, the previous one. Private keys never leave the server.
type SAMLKeys struct {
	Revision    int64      `json:"revision"`
	RotatedAt   *time.Time `json:"rotatedAt"`
	Overlap     bool       `json:"overlap"`
	MetadataURL string     `json:"metadataUrl"`
	Keys        []SAMLKey  `json:"keys"`
}

// SAMLKey is one SP certificate.
type SAMLKey struct {
	Slot              string    `json:"slot"` // current or previous
	Use               string    `json:"use"`  // signing or encryption
	SerialNumber      string    `json:"serialNumber"`
	NotBefore         time.Time `json:"notBefore"`
	NotAfter          time.Time `json:"notAfter"`
	SHA256Fingerprint string    `json:"sha256Fingerprint"`
	Certificate       string    `json:"certificate"` // base64 DER
}

// SAMLKeys reads the organization's SP certificates.
func (c *Client) SAMLKeys(ctx context.Context, orgID string) (*SAMLKeys, error) {
	return c.samlKeys(ctx, http.MethodGet, orgID, "", "read the SAML keys")
}

// RotateSAMLKeys makes new SP keys current and keeps the current ones until EndSAMLKeyOverlap.
func (c *Client) RotateSAMLKeys(ctx context.Context, orgID string) (*SAMLKeys, error) {
	return c.samlKeys(ctx, http.MethodPost, orgID, "/rotate", "rotate the SAML keys")
}

// EndSAMLKeyOverlap drops the previous SP keys of a rotation.
func (c *Client) EndSAMLKeyOverlap(ctx context.Context, orgID string) (*SAMLKeys, error) {
	return c.samlKeys(ctx, http.MethodPost, orgID, "/end-overlap", "end the SAML key overlap")
}

func (c *Client) samlKeys(ctx context.Context, method, orgID, suffix, what string) (*SAMLKeys, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var out SAMLKeys
	if err := c.call(ctx, method, "/api/organizations/"+orgID+"/sso/saml/keys"+suffix, nil, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &out, nil
}
