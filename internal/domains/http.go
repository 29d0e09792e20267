package domains

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Access tells who may see and change an organization's domains. Both methods return nil when the
// caller may, and otherwise an error to answer with as it is (castellan answers 404, never 401 or
// 403, which would log an official client out).
type Access interface {
	// RequireManage: add, verify and delete domains, and read one (an owner, an admin, or a custom
	// member with manageSso, as on the official server).
	RequireManage(ctx context.Context, orgID, userID string) error
	// RequireList: list the domains (the managers, and custom members with managePolicies).
	RequireList(ctx context.Context, orgID, userID string) error
}

// SSOOrganization is what identifier-less sign-in shows of an organization that claims a domain.
type SSOOrganization struct {
	Name       string
	Identifier string
}

// SSODirectory tells whether an organization can start a single sign-on now: it is enabled, has an
// SSO identifier and an enabled configuration. ok is false otherwise.
type SSODirectory interface {
	SSOOrganization(ctx context.Context, orgID string) (o SSOOrganization, ok bool, err error)
}

// Handlers serve the domain routes.
type Handlers struct {
	Service   *Service
	Access    Access
	Directory SSODirectory
	Logger    *slog.Logger
}

// Route is one endpoint; Authed routes need an access token.
type Route struct {
	Pattern string
	Handler httpx.Handler
	Authed  bool
}

// Routes lists the domain endpoints, with the legacy POST spelling of delete.
func (h *Handlers) Routes() []Route {
	const base = "/api/organizations/{orgId}/domain"
	return []Route{
		{"GET " + base, h.list, true},
		{"POST " + base, h.add, true},
		{"GET " + base + "/{id}", h.get, true},
		{"POST " + base + "/{id}/verify", h.verify, true},
		{"DELETE " + base + "/{id}", h.remove, true},
		{"POST " + base + "/{id}/remove", h.remove, true},
		{"POST /api/organizations/domain/sso/verified", h.ssoVerified, false},
		{"POST /api/organizations/domain/sso/details", h.ssoDetails, false},
	}
}

// Public messages.
const (
	msgNotFound    = "Resource not found."
	msgDuplicate   = "The organization has already added this domain."
	msgClaimedElse = "This domain is claimed by another organization, so it cannot be added or " +
		"verified here."
	msgAlreadyVerified = "This domain is already verified."
	msgStale           = "The domain changed while it was being verified. Try again."
	msgBadEmail        = "The Email field is not a valid e-mail address."
)

// target reads the caller and the path's organization and domain ids; a malformed id names nothing.
func target(r *http.Request, withID bool) (userID, orgID, id string, err error) {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return "", "", "", err
	}
	orgID, err = pathID(r, "orgId")
	if err == nil && withID {
		id, err = pathID(r, "id")
	}
	return p.UserID, orgID, id, err
}

// pathID returns a path value as a lower-case canonical GUID, or a 404.
func pathID(r *http.Request, name string) (string, error) {
	v := strings.ToLower(r.PathValue(name))
	if u, err := uuid.Parse(v); err != nil || len(v) != 36 || u.String() != v {
		return "", httpx.NotFound(msgNotFound)
	}
	return v, nil
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, _, err := target(r, false)
	if err != nil {
		return err
	}
	if err := h.Access.RequireList(r.Context(), orgID, userID); err != nil {
		return err
	}
	list, err := h.Service.List(r.Context(), orgID)
	if err != nil {
		return err
	}
	out := make([]Response, len(list))
	for i, d := range list {
		out[i] = NewResponse(d)
	}
	httpx.WriteJSON(w, http.StatusOK, newList(out))
	return nil
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := target(r, true)
	if err != nil {
		return err
	}
	if err := h.Access.RequireManage(r.Context(), orgID, userID); err != nil {
		return err
	}
	d, err := h.Service.Get(r.Context(), orgID, id)
	if err != nil {
		return publicError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, NewResponse(d))
	return nil
}

func (h *Handlers) add(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, _, err := target(r, false)
	if err != nil {
		return err
	}
	if err := h.Access.RequireManage(r.Context(), orgID, userID); err != nil {
		return err
	}
	var req struct {
		DomainName *string `json:"domainName"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.DomainName == nil || strings.TrimSpace(*req.DomainName) == "" {
		return httpx.Invalid("DomainName", "The DomainName field is required.")
	}
	d, err := h.Service.Add(r.Context(), orgID, userID, *req.DomainName)
	if err != nil {
		return publicError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, NewResponse(d))
	return nil
}

func (h *Handlers) verify(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := target(r, true)
	if err != nil {
		return err
	}
	if err := h.Access.RequireManage(r.Context(), orgID, userID); err != nil {
		return err
	}
	d, err := h.Service.VerifyNow(r.Context(), orgID, userID, id)
	if err != nil {
		return publicError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, NewResponse(d))
	return nil
}

func (h *Handlers) remove(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := target(r, true)
	if err != nil {
		return err
	}
	if err := h.Access.RequireManage(r.Context(), orgID, userID); err != nil {
		return err
	}
	if err := h.Service.Delete(r.Context(), orgID, userID, id); err != nil {
		return publicError(err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// publicError turns the service's refusals into answers with a message for the administrator;
// other errors pass through as failures.
func publicError(err error) error {
	var nameErr *NameError
	var verifyErr *VerifyError
	switch {
	case errors.As(err, &nameErr):
		msg := "Invalid domain name: " + nameErr.Reason + "."
		return &httpx.Error{Status: http.StatusBadRequest, Message: "The model state is invalid.",
			ValidationErrors: map[string][]string{"DomainName": {msg}}, Cause: err}
	case errors.As(err, &verifyErr):
		return &httpx.Error{Status: http.StatusBadRequest, Message: verifyMessage(verifyErr), Cause: err}
	case errors.Is(err, storage.ErrNotFound):
		return &httpx.Error{Status: http.StatusNotFound, Message: msgNotFound, Cause: err}
	case errors.Is(err, ErrDuplicate):
		return &httpx.Error{Status: http.StatusConflict, Message: msgDuplicate, Cause: err}
	case errors.Is(err, ErrClaimedElsewhere):
		return &httpx.Error{Status: http.StatusConflict, Message: msgClaimedElse, Cause: err}
	case errors.Is(err, ErrAlreadyVerified):
		return &httpx.Error{Status: http.StatusConflict, Message: msgAlreadyVerified, Cause: err}
	case errors.Is(err, ErrStale):
		return &httpx.Error{Status: http.StatusConflict, Message: msgStale, Cause: err}
	}
	return err
}

// verifyMessage explains a failed manual verification: what DNS said, and what to do.
func verifyMessage(e *VerifyError) string {
	if errors.Is(e, ErrDNSUnavailable) {
		return fmt.Sprintf("The DNS lookup for %s failed (%s), so the domain could not be checked. "+
			"Nothing was changed; try again later.", e.Name, e.Result.Reason)
	}
	return fmt.Sprintf("Domain %s is not verified: %s. Publish a TXT record at %s whose value is "+
		"exactly the verification value shown for the domain, wait for DNS to update, and try again.",
		e.Name, e.Result.Reason, e.Name)
}

// ssoRequest is the body of the identifier-less sign-in routes.
type ssoRequest struct {
	Email string `json:"email"`
}

// ssoLookup finds the organization through which the email may sign in without an identifier: the
// one claiming its domain, if that organization can start a single sign-on. A malformed address is
// a 400; otherwise found is false when there is none.
func (h *Handlers) ssoLookup(r *http.Request) (d Domain, o SSOOrganization, found bool, err error) {
	var req ssoRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return Domain{}, o, false, err
	}
	email := strings.TrimSpace(req.Email)
	if email == "" || httpx.TextLen(email) > 256 {
		return Domain{}, o, false, httpx.Invalid("Email", msgBadEmail)
	}
	d, claimed, err := h.Service.ClaimOf(r.Context(), email)
	if errors.Is(err, ErrInvalidEmail) {
		return Domain{}, o, false, httpx.Invalid("Email", msgBadEmail)
	}
	if err != nil || !claimed {
		return Domain{}, o, false, err
	}
	o, found, err = h.Directory.SSOOrganization(r.Context(), d.OrganizationID)
	return d, o, found, err
}

// ssoVerified answers POST /api/organizations/domain/sso/verified: the organizations that claim the
// email's domain and can start a single sign-on, as a list (at most one, since a domain has at most
// one claim). It says nothing about a domain that is claimed by an organization without single
// sign-on.
func (h *Handlers) ssoVerified(w http.ResponseWriter, r *http.Request) error {
	d, o, found, err := h.ssoLookup(r)
	if err != nil {
		return err
	}
	var out []SSODetails
	if found {
		out = append(out, SSODetails{OrganizationName: o.Name, OrganizationIdentifier: o.Identifier,
			DomainName: d.Name, VerifiedDate: d.VerifiedAt, Object: "verifiedOrganizationDomainSsoDetails"})
	}
	h.Logger.InfoContext(r.Context(), "identifier-less sso lookup", "found", found)
	httpx.WriteJSON(w, http.StatusOK, newList(out))
	return nil
}

// ssoDetails answers the older POST /api/organizations/domain/sso/details: one organization, or 404.
func (h *Handlers) ssoDetails(w http.ResponseWriter, r *http.Request) error {
	d, o, found, err := h.ssoLookup(r)
	if err != nil {
		return err
	}
	if !found {
		return httpx.NotFound("No organization with single sign-on claims this email's domain.")
	}
	httpx.WriteJSON(w, http.StatusOK, LegacySSODetails{SSOAvailable: true, DomainName: d.Name,
		OrganizationIdentifier: o.Identifier, VerifiedDate: d.VerifiedAt,
		Object: "organizationDomainSsoDetails"})
	return nil
}
