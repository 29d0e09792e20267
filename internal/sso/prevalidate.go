package sso

import (
	"context"
	"errors"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// msgInvalidIdentifier is the official answer to an identifier that cannot start a sign-in; the
// web vault shows it next to the identifier field.
const msgInvalidIdentifier = "Invalid SSO identifier"

// Prevalidate answers GET /identity/sso/prevalidate?domainHint=<identifier>: for an organization
// that can start a sign-in (it exists and is enabled, and has an enabled, valid configuration), a
// short-lived token that /identity/connect/authorize requires; otherwise 400 "Invalid SSO
// identifier", whatever the reason, so that the answer tells nothing more about the organization.
func (s *Service) Prevalidate(w http.ResponseWriter, r *http.Request) error {
	hint := r.URL.Query().Get("domainHint")
	if hint == "" {
		return httpx.BadRequest("No domain hint was provided.")
	}
	o, _, err := s.signInTarget(r.Context(), hint)
	if err != nil {
		var e *refusal
		if errors.As(err, &e) {
			s.log.InfoContext(r.Context(), "sso prevalidation refused", "reason", e.reason)
			return &httpx.Error{Status: http.StatusBadRequest, Message: msgInvalidIdentifier}
		}
		return err
	}
	token, err := s.seal.sealSSOToken(o.ID, hint, s.clock.Now().Add(s.tokenTTL))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"token": token})
	return nil
}

// signInTarget finds the organization named by an SSO identifier and its configuration, and
// refuses (*refusal) unless a sign-in can start: organization enabled, configuration enabled and
// valid for its type.
func (s *Service) signInTarget(ctx context.Context, identifier string) (orgs.Organization, *Config, error) {
	if checkIdentifier(identifier, true) != "" {
		return orgs.Organization{}, nil, refuse("identifier_malformed", msgSSOUnavailable, nil)
	}
	o, err := orgs.QueriesOn(s.db).OrganizationByIdentifier(ctx, identifier)
	if errors.Is(err, storage.ErrNotFound) {
		return orgs.Organization{}, nil, refuse("identifier_unknown", msgSSOUnavailable, nil)
	}
	if err != nil {
		return orgs.Organization{}, nil, err
	}
	c, err := s.activeConfig(ctx, s.store, o)
	if err != nil {
		return orgs.Organization{}, nil, err
	}
	return o, c, nil
}

// activeConfig returns the organization's configuration if a sign-in may use it now.
func (s *Service) activeConfig(ctx context.Context, st Store, o orgs.Organization) (*Config, error) {
	if !o.Enabled {
		return nil, refuse("org_disabled", msgSSOUnavailable, nil)
	}
	c, err := s.config(ctx, st, o.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, refuse("sso_unconfigured", msgSSOUnavailable, nil)
	}
	if err != nil {
		return nil, err
	}
	if !c.Enabled {
		return nil, refuse("sso_disabled", msgSSOUnavailable, nil)
	}
	if v := c.Data.validate(true, c.ClientSecret.Reveal()); len(v) > 0 {
		return nil, refuse("sso_config_invalid", msgSSOUnavailable, nil)
	}
	return c, nil
}
