package samlsp

import (
	"fmt"
	"net/url"
	"strings"
)

// PathPrefix is where the SAML endpoints live under the public base URL.
const PathPrefix = "/sso/saml"

// Endpoints are one organization's SP URLs. All are absolute.
type Endpoints struct {
	// EntityID is the SP entity ID: per organization (<base>/sso/saml/<org>) or, for
	// configurations without SpUniqueEntityID, the server-wide <base>/sso/saml.
	EntityID string
	// MetadataURL serves the SP metadata: <base>/sso/saml/<org>/metadata.
	MetadataURL string
	// ACSURL receives responses (HTTP-POST): <base>/sso/saml/<org>/acs.
	ACSURL string
	// SLOURL receives logout requests and responses (HTTP-Redirect and HTTP-POST):
	// <base>/sso/saml/<org>/slo.
	SLOURL string
}

// NewEndpoints derives an organization's SP URLs from the server's public base URL (scheme, host
// and optional path prefix, e.g. https://vault.example.com). orgID is a single path segment.
func NewEndpoints(publicBase, orgID string, uniqueEntityID bool) (Endpoints, error) {
	base, err := url.Parse(strings.TrimRight(publicBase, "/"))
	if err != nil {
		return Endpoints{}, fmt.Errorf("parse public base url: %w", err)
	}
	if (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return Endpoints{}, fmt.Errorf("public base url must be an absolute http(s) url")
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return Endpoints{}, fmt.Errorf("public base url must not have a query, fragment or user")
	}
	if orgID == "" || strings.ContainsAny(orgID, "/?#%") || orgID == "." || orgID == ".." {
		return Endpoints{}, fmt.Errorf("organization id %q is not a path segment", orgID)
	}
	root := base.String() + PathPrefix
	org := root + "/" + url.PathEscape(orgID)
	ep := Endpoints{
		EntityID:    root,
		MetadataURL: org + "/metadata",
		ACSURL:      org + "/acs",
		SLOURL:      org + "/slo",
	}
	if uniqueEntityID {
		ep.EntityID = org
	}
	return ep, nil
}
