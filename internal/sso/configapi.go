package sso

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/samlsp"
	"github.com/castellan-vault/castellan/internal/storage"
)

// ConfigRequest is the body of POST /api/organizations/{orgId}/sso (the official
// OrganizationSsoRequestModel). Data.ClientSecret, when empty, keeps the stored secret: the secret
// is write-only, so an administrator re-saving a form that could not show it does not erase it.
type ConfigRequest struct {
	Enabled    *bool           `json:"enabled"`
	Identifier string          `json:"identifier"`
	Data       *DataWithSecret `json:"data"`
}

// DataWithSecret is Data as requests carry it, with the client secret.
type DataWithSecret struct {
	Data
	ClientSecret string `json:"clientSecret"`
}

// ConfigResponse is the official OrganizationSsoResponseModel, without the client secret.
type ConfigResponse struct {
	Object     string       `json:"object"`
	Enabled    bool         `json:"enabled"`
	Identifier *string      `json:"identifier"`
	Data       ResponseData `json:"data"`
	URLs       URLs         `json:"urls"`
}

// ResponseData is the stored Data with clientSecret always null, and castellan's
// clientSecretSet saying whether a secret is stored.
type ResponseData struct {
	Data
	ClientSecret    *string `json:"clientSecret"`
	ClientSecretSet bool    `json:"clientSecretSet"`
}

// URLs are the addresses an administrator registers at the identity provider.
type URLs struct {
	CallbackPath          string `json:"callbackPath"`
	SignedOutCallbackPath string `json:"signedOutCallbackPath"`
	SpEntityID            string `json:"spEntityId"`
	SpEntityIDStatic      string `json:"spEntityIdStatic"`
	SpMetadataURL         string `json:"spMetadataUrl"`
	SpAcsURL              string `json:"spAcsUrl"`
}

// GetConfig answers GET /api/organizations/{orgId}/sso for owners, admins and custom members with
// manageSso; anyone else gets 404.
func (s *Service) GetConfig(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgCaller(r)
	if err != nil {
		return err
	}
	oq := orgs.QueriesOn(s.db)
	if err := orgs.RequireManageSSO(r.Context(), oq, orgID, userID); err != nil {
		return err
	}
	o, err := oq.Organization(r.Context(), orgID)
	if err != nil {
		return notFoundOr(err)
	}
	c, sealed, err := s.store.Config(r.Context(), orgID)
	if errors.Is(err, storage.ErrNotFound) {
		c, sealed, err = &Config{OrgID: orgID}, "", nil
	}
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s.response(o, c, sealed != ""))
	return nil
}

// PutConfig answers POST /api/organizations/{orgId}/sso: it validates the whole configuration,
// then in one transaction stores it, sets the organization's SSO identifier (unique across the
// instance, whatever its case) and records the audit events. A taken identifier leaves nothing
// changed (the official server has already saved the configuration by then).
func (s *Service) PutConfig(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgCaller(r)
	if err != nil {
		return err
	}
	var req ConfigRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := orgs.RequireManageSSO(r.Context(), orgs.QueriesOn(s.db), orgID, userID); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	var resp ConfigResponse
	err = s.db.InTx(r.Context(), func(tx *storage.Tx) error {
		var txErr error
		resp, txErr = s.saveConfig(r.Context(), tx, userID, orgID, req)
		return txErr
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sso configuration saved", "org_id", orgID, "user_id", userID,
		"enabled", resp.Enabled, "config_type", int(resp.Data.ConfigType))
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// check validates what can be checked without the stored configuration.
func (q *ConfigRequest) check() error {
	switch {
	case q.Enabled == nil:
		return httpx.Invalid("Enabled", "The Enabled field is required.")
	case q.Data == nil:
		return httpx.Invalid("Data", "The Data field is required.")
	}
	q.Identifier = strings.TrimSpace(q.Identifier)
	if msg := checkNewIdentifier(q.Identifier, *q.Enabled); msg != "" {
		return httpx.Invalid("Identifier", msg)
	}
	q.Data.normalize()
	q.Data.ClientSecret = strings.TrimSpace(q.Data.ClientSecret)
	return nil
}

func (s *Service) saveConfig(ctx context.Context, tx *storage.Tx, userID, orgID string, req ConfigRequest,
) (ConfigResponse, error) {
	oq, st := orgs.QueriesOn(tx), s.store.On(tx)
	o, err := oq.LockOrganization(ctx, orgID)
	if err != nil {
		return ConfigResponse{}, notFoundOr(err)
	}
	old, err := s.config(ctx, st, orgID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return ConfigResponse{}, err
	}
	clientSecret := req.Data.ClientSecret
	if clientSecret == "" && old != nil && req.Data.ConfigType == ConfigOIDC {
		clientSecret = old.ClientSecret.Reveal()
	}
	if req.Data.ConfigType != ConfigOIDC {
		clientSecret = ""
	}
	if v := req.Data.validate(*req.Enabled, clientSecret); len(v) > 0 {
		return ConfigResponse{}, &httpx.Error{Status: http.StatusBadRequest, Message: "The model state is invalid.",
			ValidationErrors: v}
	}
	now := s.clock.Now()
	c := &Config{OrgID: orgID, Enabled: *req.Enabled, Data: req.Data.Data, Revision: 1, CreatedAt: now,
		RevisionDate: now}
	if old != nil {
		c.Revision, c.CreatedAt = old.Revision+1, old.CreatedAt
	}
	sealed := ""
	if clientSecret != "" {
		if sealed, err = s.seal.seal(purposeClientSecret+orgID, []byte(clientSecret)); err != nil {
			return ConfigResponse{}, err
		}
	}
	if err := st.PutConfig(ctx, c, sealed); err != nil {
		return ConfigResponse{}, err
	}
	if c.Data.ConfigType == ConfigSAML { // the SP keys are made on the first SAML save (saml_keys.go)
		if _, _, err := s.ensureSAMLKeys(ctx, st, orgID); err != nil {
			return ConfigResponse{}, err
		}
	}
	if req.Identifier != o.Identifier {
		if err := oq.SetIdentifier(ctx, orgID, req.Identifier, now); errors.Is(err, orgs.ErrIdentifierTaken) {
			return ConfigResponse{}, httpx.Invalid("Identifier", "Another organization already uses this SSO identifier.")
		} else if err != nil {
			return ConfigResponse{}, err
		}
		o.Identifier = req.Identifier
	}
	if err := s.configEvents(ctx, oq, old, c, userID, now); err != nil {
		return ConfigResponse{}, err
	}
	return s.response(o, c, sealed != ""), nil
}

// configEvents records Organization_EnabledSso or _DisabledSso when the switch flips.
func (s *Service) configEvents(ctx context.Context, oq orgs.Queries, old, c *Config, userID string, now time.Time) error {
	wasOn := old != nil && old.Enabled
	if wasOn == c.Enabled {
		return nil
	}
	typ := orgs.EventOrganizationSsoOff
	if c.Enabled {
		typ = orgs.EventOrganizationSsoOn
	}
	return oq.AddEvents(ctx, []orgs.Event{{ID: s.newID(), Type: typ, OrganizationID: c.OrgID,
		ActingUserID: userID, Date: now}})
}

// response builds the configuration response; the secret itself never leaves the server.
func (s *Service) response(o orgs.Organization, c *Config, secretSet bool) ConfigResponse {
	var ident *string
	if o.Identifier != "" {
		ident = &o.Identifier
	}
	return ConfigResponse{Object: "organizationSso", Enabled: c.Enabled, Identifier: ident,
		Data: ResponseData{Data: c.Data, ClientSecretSet: secretSet}, URLs: s.urls(o.ID)}
}

// urls derives the provider-facing addresses from the public URL.
func (s *Service) urls(orgID string) URLs {
	u := URLs{CallbackPath: s.publicURL + CallbackPath, SignedOutCallbackPath: s.publicURL + SignedOutPath}
	if ep, err := samlsp.NewEndpoints(s.publicURL, orgID, true); err == nil {
		u.SpEntityID, u.SpMetadataURL, u.SpAcsURL = ep.EntityID, ep.MetadataURL, ep.ACSURL
	}
	if ep, err := samlsp.NewEndpoints(s.publicURL, orgID, false); err == nil {
		u.SpEntityIDStatic = ep.EntityID
	}
	return u
}

// orgCaller reads the caller and the {orgId} of the route; an id that is not a GUID names nothing.
func orgCaller(r *http.Request) (string, string, error) {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return "", "", err
	}
	orgID := strings.ToLower(r.PathValue("orgId"))
	if !accounts.IsGUID(orgID) {
		return "", "", httpx.NotFound("Resource not found.")
	}
	return p.UserID, orgID, nil
}

func notFoundOr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return &httpx.Error{Status: http.StatusNotFound, Message: "Resource not found.", Cause: err}
	}
	return err
}
