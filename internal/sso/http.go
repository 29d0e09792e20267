package sso

import (
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// Route is one JSON endpoint; Authed routes need an access token.
type Route struct {
	Pattern string
	Handler httpx.Handler
	Authed  bool
}

// Routes lists the JSON endpoints of single sign-on.
func (s *Service) Routes() []Route {
	return []Route{
		// The official route is matched without regard to case; the clients send both spellings.
		{"GET /identity/sso/prevalidate", s.Prevalidate, false},
		{"GET /identity/sso/PreValidate", s.Prevalidate, false},
		{"GET /api/organizations/{orgId}/sso", s.GetConfig, true},
		{"POST /api/organizations/{orgId}/sso", s.PutConfig, true},
		{"POST /api/accounts/set-password", s.SetPassword, true},
		{"GET /api/organizations/{identifier}/auto-enroll-status", s.AutoEnrollStatus, true},
		{"POST /api/organizations/{orgId}/sso/saml/idp-metadata", s.ImportIdPMetadata, true},
		{"GET /api/organizations/{orgId}/sso/saml/keys", s.GetSAMLKeys, true},
		{"POST /api/organizations/{orgId}/sso/saml/keys/rotate", s.RotateSAMLKeys, true},
		{"POST /api/organizations/{orgId}/sso/saml/keys/end-overlap", s.EndSAMLKeyOverlap, true},
	}
}

// PageRoute is one browser-facing endpoint, which answers with HTML or a redirect.
type PageRoute struct {
	Pattern string
	Handler http.HandlerFunc
}

// WebVaultPages are the patterns of castellan's own pages at the web vault's addresses: where
// castellan serves an official web vault (CASTELLAN_WEB_VAULT_DIR), the vault's files take these
// addresses instead, since the vault's pages work only with its own connectors. The pages' assets
// (/castellan/...) stay.
var WebVaultPages = []string{"GET /{$}", "GET /sso-connector.html", "GET /redirect-connector.html"}

// PageRoutes lists the browser-facing endpoints: authorize, the provider callbacks (OIDC; SAML
// metadata, assertion consumer and single logout in saml.go) and castellan's own pages.
func (s *Service) PageRoutes() []PageRoute {
	return []PageRoute{
		{"GET /identity/connect/authorize", s.Authorize},
		{"GET " + CallbackPath, s.OIDCCallback},
		{"GET " + SignedOutPath, s.SignedOut},
		{"GET /{$}", s.App},
		{"GET /sso-connector.html", s.Connector},
		{"GET /redirect-connector.html", s.RedirectConnector},
		{"GET /castellan/{file}", s.Static},
		{"GET " + samlPathPrefix + "/metadata", s.SAMLMetadata},
		{"POST " + samlPathPrefix + "/acs", s.SAMLACS},
		{"GET " + samlPathPrefix + "/acs", s.SAMLACSGet},
		{"GET " + samlPathPrefix + "/slo", s.SAMLSLO},
		{"POST " + samlPathPrefix + "/slo", s.SAMLSLO},
	}
}
