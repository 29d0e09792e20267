package policies

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
)

// Handlers serve the policy and account recovery routes. Every route needs an authenticated caller.
type Handlers struct {
	Service *Service
	Logger  *slog.Logger
	// IPHeader names the header in which a trusted reverse proxy passes the client's address, for
	// the audit log; "" uses the connection's address.
	IPHeader string
}

// Route is one endpoint.
type Route struct {
	Pattern string // a net/http ServeMux pattern with method
	Handler httpx.Handler
}

// Routes lists the endpoints.
func (h *Handlers) Routes() []Route {
	const org = "/api/organizations/{orgId}"
	return []Route{
		{"GET " + org + "/policies", h.list},
		{"GET " + org + "/policies/{type}", h.get},
		{"PUT " + org + "/policies/{type}", h.put},
		{"PUT " + org + "/policies/{type}/vnext", h.put},
		{"PUT " + org + "/users/{userId}/reset-password-enrollment", h.enroll},
		{"GET " + org + "/users/{id}/reset-password-details", h.details},
		{"PUT " + org + "/users/{id}/reset-password", h.recover},
	}
}

// pathID returns a path value as a lower-case canonical GUID; anything else names nothing (404).
func pathID(r *http.Request, name string) (string, error) {
	id := strings.ToLower(r.PathValue(name))
	if !accounts.IsGUID(id) {
		return "", notFound()
	}
	return id, nil
}

// orgAndCaller reads the caller and the {orgId} of the route.
func orgAndCaller(r *http.Request) (string, string, error) {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return "", "", err
	}
	orgID, err := pathID(r, "orgId")
	return p.UserID, orgID, err
}

// pathType reads {type}: an official policy type number, else 404.
func pathType(r *http.Request) (Type, error) {
	n, err := strconv.Atoi(r.PathValue("type"))
	if err != nil || !Type(n).Valid() {
		return 0, notFound()
	}
	return Type(n), nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	resp, err := h.Service.List(r.Context(), userID, orgID)
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	t, err := pathType(r)
	if err != nil {
		return err
	}
	resp, err := h.Service.Get(r.Context(), userID, orgID, t)
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) put(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	t, err := pathType(r)
	if err != nil {
		return err
	}
	var req PutRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	resp, err := h.Service.Put(r.Context(), userID, orgID, t, req, orgs.RequestMeta(r, h.IPHeader))
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) enroll(w http.ResponseWriter, r *http.Request) error {
	callerID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	userID, err := pathID(r, "userId")
	if err != nil {
		return err
	}
	var req EnrollmentRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.Enroll(r.Context(), callerID, orgID, userID, req, orgs.RequestMeta(r, h.IPHeader)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handlers) details(w http.ResponseWriter, r *http.Request) error {
	callerID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	resp, err := h.Service.Details(r.Context(), callerID, orgID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) recover(w http.ResponseWriter, r *http.Request) error {
	callerID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req RecoveryRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.Recover(r.Context(), callerID, orgID, id, req, orgs.RequestMeta(r, h.IPHeader)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
