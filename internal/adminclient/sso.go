package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SSOConfig is an organization's single sign-on configuration as GET and POST
// /api/organizations/{id}/sso carry it. Data holds the official SsoConfigurationData fields
// (camelCase names, as the server sends them) so that fields this client does not know survive a
// read-modify-write; the typed accessors below cover the OIDC fields `castellan admin sso` sets.
type SSOConfig struct {
	Enabled    bool           `json:"enabled"`
	Identifier string         `json:"identifier"`
	Data       map[string]any `json:"data"`
	URLs       SSOURLs        `json:"urls"`
}

// SSOURLs are the addresses an administrator registers at the identity provider.
type SSOURLs struct {
	CallbackPath          string `json:"callbackPath"`
	SignedOutCallbackPath string `json:"signedOutCallbackPath"`
	SpEntityID            string `json:"spEntityId"`
	SpEntityIDStatic      string `json:"spEntityIdStatic"`
	SpMetadataURL         string `json:"spMetadataUrl"`
	SpAcsURL              string `json:"spAcsUrl"`
}

// SSO reads the organization's SSO configuration. The client secret is never part of it.
func (c *Client) SSO(ctx context.Context, orgID string) (*SSOConfig, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var out SSOConfig
	if err := c.call(ctx, http.MethodGet, "/api/organizations/"+orgID+"/sso", nil, &out); err != nil {
		return nil, fmt.Errorf("read sso configuration: %w", err)
	}
	if out.Data == nil {
		out.Data = map[string]any{}
	}
	return &out, nil
}

// SetSSO saves the organization's SSO configuration and returns it as stored. clientSecret, when
// not empty, replaces the stored secret; empty keeps it.
func (c *Client) SetSSO(ctx context.Context, orgID string, cfg SSOConfig, clientSecret string) (*SSOConfig, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	data := map[string]any{}
	for k, v := range cfg.Data {
		data[k] = v
	}
	delete(data, "clientSecretSet")
	data["clientSecret"] = clientSecret
	body := map[string]any{"enabled": cfg.Enabled, "identifier": strings.TrimSpace(cfg.Identifier), "data": data}
	var out SSOConfig
	if err := c.call(ctx, http.MethodPost, "/api/organizations/"+orgID+"/sso", body, &out); err != nil {
		return nil, fmt.Errorf("save sso configuration: %w", err)
	}
	if out.Data == nil {
		return nil, errors.New("save sso configuration: the server sent no configuration")
	}
	return &out, nil
}

// String returns a text field of Data ("" when absent or not text).
func (s *SSOConfig) String(field string) string {
	v, _ := s.Data[field].(string)
	return v
}

// Bool returns a boolean field of Data.
func (s *SSOConfig) Bool(field string) bool {
	v, _ := s.Data[field].(bool)
	return v
}

// Int returns a numeric field of Data (0 when absent).
func (s *SSOConfig) Int(field string) int {
	v, _ := s.Data[field].(float64)
	return int(v)
}
