package identity

import (
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// JWKS answers GET /identity/.well-known/jwks with the public keys that verify access tokens.
func (s *Server) JWKS(w http.ResponseWriter, _ *http.Request) error {
	httpx.WriteJSON(w, http.StatusOK, s.keys.JWKS())
	return nil
}

// discovery is the subset of OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3) that
// describes castellan's identity server.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	JWKSURI                           string   `json:"jwks_uri"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
}

// OpenIDConfiguration answers GET /identity/.well-known/openid-configuration.
func (s *Server) OpenIDConfiguration(w http.ResponseWriter, _ *http.Request) error {
	grants := []string{"password", "refresh_token", "client_credentials"}
	if s.Codes != nil {
		grants = append(grants, "authorization_code")
	}
	httpx.WriteJSON(w, http.StatusOK, discovery{
		Issuer: s.issuer, JWKSURI: s.issuer + "/.well-known/jwks",
		AuthorizationEndpoint: s.issuer + "/connect/authorize", TokenEndpoint: s.issuer + "/connect/token",
		ScopesSupported: []string{"api", "offline_access"}, ResponseTypesSupported: []string{"code"},
		GrantTypesSupported: grants, SubjectTypesSupported: []string{"public"},
		IDTokenSigningAlgValuesSupported:  s.keys.HeldAlgorithms(),
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimsSupported: []string{"sub", "email", "name", "email_verified", "premium", "client_id", "amr",
			"sstamp", "device", "scope"},
	})
	return nil
}
