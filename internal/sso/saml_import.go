package sso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/samlsp"
)

// Importing an IdP's metadata (POST /api/organizations/{orgId}/sso/saml/idp-metadata): the
// administrator gives the metadata document, or its URL for castellan to fetch, and gets back the
// IdP fields of the SAML configuration filled from it (samlsp.ApplyIdPMetadata). Nothing is saved:
// the administrator reviews the fields and saves the configuration as usual
// (POST /api/organizations/{orgId}/sso), where they are validated. `castellan admin sso saml set
// --idp-metadata-url/--idp-metadata-file` does both steps.
//
// The fetch is a request castellan makes on an administrator's behalf, so it is fenced: http or
// https only, at most samlsp.DefaultMaxMetadataBytes within samlsp.DefaultMetadataTimeout, no proxy,
// at most three redirects, and no connection to loopback, link-local (cloud metadata services),
// unspecified or multicast addresses, unless castellan itself runs on loopback (development and
// tests). Private networks stay reachable: a self-hosted IdP such as AD FS usually lives there.
// The answer never echoes what the URL returned, only the fields read from valid metadata.

// IdPMetadataRequest is the body of the import route: exactly one of MetadataURL and MetadataXML.
// EntityID picks one IdP out of an aggregate; IdpBindingType is the preferred binding.
type IdPMetadataRequest struct {
	MetadataURL    string             `json:"MetadataUrl"`
	MetadataXML    string             `json:"MetadataXml"`
	EntityID       string             `json:"entityId"`
	IdpBindingType samlsp.BindingType `json:"idpBindingType"`
}

// IdPMetadataResponse holds the IdP fields read from the metadata, with the configuration's names.
type IdPMetadataResponse struct {
	Object string        `json:"object"`
	Data   IdPFieldsOnly `json:"data"`
}

// IdPFieldsOnly are the fields an import fills.
type IdPFieldsOnly struct {
	IdpEntityID                string             `json:"idpEntityId"`
	IdpBindingType             samlsp.BindingType `json:"idpBindingType"`
	IdpSingleSignOnServiceURL  string             `json:"idpSingleSignOnServiceUrl"`
	IdpSingleLogoutServiceURL  string             `json:"idpSingleLogoutServiceUrl"`
	IdpX509PublicCert          string             `json:"idpX509PublicCert"`
	IdpWantAuthnRequestsSigned bool               `json:"idpWantAuthnRequestsSigned"`
}

// Limits of the import request.
const maxMetadataURLLen = 2048

// ImportIdPMetadata answers POST /api/organizations/{orgId}/sso/saml/idp-metadata.
func (s *Service) ImportIdPMetadata(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := s.samlAdmin(r)
	if err != nil {
		return err
	}
	var req IdPMetadataRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	doc, field, err := s.metadataDocument(r.Context(), req)
	if err != nil {
		return err
	}
	var c samlsp.Config
	c.IdpBindingType = req.IdpBindingType
	if err := c.ApplyIdPMetadata(doc, strings.TrimSpace(req.EntityID)); err != nil {
		msg := "The document is not usable identity provider metadata"
		if field == "MetadataXml" { // what a fetched document holds is not echoed
			msg += ": " + err.Error()
		}
		return httpx.Invalid(field, msg+".")
	}
	c.Normalize()
	s.log.InfoContext(r.Context(), "saml idp metadata imported", "org_id", orgID, "user_id", userID,
		"from_url", field == "MetadataUrl")
	httpx.WriteJSON(w, http.StatusOK, IdPMetadataResponse{Object: "samlIdpMetadata", Data: IdPFieldsOnly{
		IdpEntityID: c.IdpEntityID, IdpBindingType: c.IdpBindingType,
		IdpSingleSignOnServiceURL: c.IdpSingleSignOnServiceURL, IdpSingleLogoutServiceURL: c.IdpSingleLogoutServiceURL,
		IdpX509PublicCert: c.IdpX509PublicCert, IdpWantAuthnRequestsSigned: c.IdpWantAuthnRequestsSigned}})
	return nil
}

// metadataDocument returns the metadata of the request and the name of the field it came from.
func (s *Service) metadataDocument(ctx context.Context, req IdPMetadataRequest) ([]byte, string, error) {
	rawURL, xml := strings.TrimSpace(req.MetadataURL), strings.TrimSpace(req.MetadataXML)
	switch {
	case rawURL == "" && xml == "":
		return nil, "", httpx.Invalid("MetadataUrl", "Give the metadata URL or the metadata document.")
	case rawURL != "" && xml != "":
		return nil, "", httpx.Invalid("MetadataUrl", "Give the metadata URL or the metadata document, not both.")
	case xml != "":
		if len(xml) > samlsp.DefaultMaxMetadataBytes {
			return nil, "", httpx.Invalid("MetadataXml", "The metadata document is too large.")
		}
		return []byte(xml), "MetadataXml", nil
	}
	if len(rawURL) > maxMetadataURLLen {
		return nil, "", httpx.Invalid("MetadataUrl", "The metadata URL is too long.")
	}
	doc, err := samlsp.FetchIdPMetadata(ctx, s.metadataClient(), rawURL, 0, 0)
	if err != nil {
		s.log.InfoContext(ctx, "saml idp metadata fetch failed", "err", err)
		return nil, "", httpx.Invalid("MetadataUrl", "The metadata could not be fetched from this URL "+
			"(only public or private-network http(s) addresses, answering 200 within 15 seconds with at most 1 MiB).")
	}
	return doc, "MetadataUrl", nil
}

// metadataClient is the fenced HTTP client of metadata imports.
func (s *Service) metadataClient() *http.Client {
	allowLoopback := false
	if u, err := url.Parse(s.publicURL); err == nil {
		allowLoopback = isLoopback(u.Hostname())
	}
	dialer := &net.Dialer{Timeout: samlsp.DefaultMetadataTimeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			return checkFetchAddress(address, allowLoopback)
		}}
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext,
			TLSHandshakeTimeout: samlsp.DefaultMetadataTimeout, MaxResponseHeaderBytes: 64 << 10},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 || (req.URL.Scheme != "https" && req.URL.Scheme != "http") {
				return errors.New("too many or unsafe redirects")
			}
			return nil
		},
	}
}

// errFetchAddress refuses a connection the metadata fetch may not make.
var errFetchAddress = errors.New("address not allowed for a metadata fetch")

// checkFetchAddress runs on the resolved address of every connection (redirects included), so a
// name that resolves to a refused address is refused too.
func checkFetchAddress(address string, allowLoopback bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %w", errFetchAddress, err)
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return errFetchAddress
	case ip.IsLoopback():
		if allowLoopback {
			return nil
		}
		return errFetchAddress
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsUnspecified(), ip.IsMulticast(),
		ip.IsInterfaceLocalMulticast():
		return errFetchAddress
	}
	return nil
}
