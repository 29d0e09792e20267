package orgs

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/httpx"
)

// Handlers serve the organization routes. Every route needs an authenticated caller.
type Handlers struct {
	Service *Service
	Logger  *slog.Logger
	// IPHeader names a header in which a trusted reverse proxy passes the client's address (its
	// last entry is used), for the audit log; "" uses the connection's address.
	IPHeader string
}

// Route is one endpoint.
type Route struct {
	Pattern string // a net/http ServeMux pattern with method
	Handler httpx.Handler
}

// Routes lists the organization endpoints. Legacy spellings that older clients still send (POST for
// PUT and DELETE, PATCH for PUT) are served too.
func (h *Handlers) Routes() []Route {
	const org, users = "/api/organizations/{orgId}", "/api/organizations/{orgId}/users"
	routes := []Route{
		{"GET /api/organizations", h.listOrganizations},
		{"POST /api/organizations", h.createOrganization},
		{"GET " + org, h.getOrganization},
		{"PUT " + org, h.updateOrganization},
		{"POST " + org, h.updateOrganization},
		{"DELETE " + org, h.deleteOrganization},
		{"POST " + org + "/delete", h.deleteOrganization},
		{"POST " + org + "/leave", h.leave},
		{"GET " + org + "/keys", h.keys},
		{"GET " + org + "/public-key", h.keys},
		{"GET " + org + "/events", h.events},

		{"GET " + users, h.listMembers},
		{"GET " + users + "/{id}", h.getMember},
		{"POST " + users + "/invite", h.invite},
		{"POST " + users + "/reinvite", h.reinviteBulk},
		{"POST " + users + "/{id}/reinvite", h.reinvite},
		{"POST " + users + "/{id}/accept", h.accept},
		{"POST " + users + "/public-keys", h.publicKeys},
		{"POST " + users + "/confirm", h.confirmBulk},
		{"POST " + users + "/{id}/confirm", h.confirm},
		{"PUT " + users + "/{id}", h.updateMember},
		{"POST " + users + "/{id}", h.updateMember},
		{"PUT " + users + "/{id}/groups", h.updateMemberGroups},
		{"POST " + users + "/{id}/groups", h.updateMemberGroups},
		{"PUT " + users + "/{id}/restore/vnext", h.restore},
	}
	for _, m := range []string{"PUT ", "PATCH "} {
		routes = append(routes,
			Route{m + users + "/{id}/revoke", h.revoke}, Route{m + users + "/revoke", h.revokeBulk},
			Route{m + users + "/{id}/restore", h.restore},
			Route{m + users + "/restore", h.restoreBulk})
	}
	routes = append(routes,
		Route{"DELETE " + users + "/{id}", h.remove},
		Route{"POST " + users + "/{id}/remove", h.remove},
		Route{"POST " + users + "/{id}/delete", h.remove},
		Route{"DELETE " + users, h.removeBulk},
		Route{"POST " + users + "/remove", h.removeBulk},
		Route{"POST " + users + "/delete", h.removeBulk},
		Route{"DELETE " + users + "/{id}/delete-account", h.deleteAccount},
		Route{"POST " + users + "/{id}/delete-account", h.deleteAccount},
		Route{"DELETE " + users + "/delete-account", h.deleteAccountBulk},
		Route{"POST " + users + "/delete-account", h.deleteAccountBulk},
	)
	return append(append(routes, h.groupRoutes()...), h.collectionRoutes()...)
}

// caller returns the authenticated user.
func caller(r *http.Request) (auth.Principal, error) { return auth.MustFromContext(r.Context()) }

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
	p, err := caller(r)
	if err != nil {
		return "", "", err
	}
	orgID, err := pathID(r, "orgId")
	return p.UserID, orgID, err
}

func (h *Handlers) meta(r *http.Request) Meta { return MetaFrom(r, h.IPHeader) }

// MetaFrom reads where a request came from, for the audit log: the Device-Type header the official
// clients send, and the client's address (from ipHeader, set by a trusted proxy, when not "").
func MetaFrom(r *http.Request, ipHeader string) Meta {
	var m Meta
	if n, err := strconv.Atoi(r.Header.Get("Device-Type")); err == nil && n >= 0 && n < 1000 {
		m.DeviceType = &n
	}
	m.IP = clientIP(r, ipHeader)
	return m
}

func clientIP(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Values(header); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return ""
}

// ok answers a change with no body; the clients take any 2xx.
func ok(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusOK)
	return nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

// idsRequest is the body of the bulk member, group and collection routes.
type idsRequest struct {
	IDs []string `json:"ids"`
}

// decodeIDs reads {ids:[...]} and lower-cases the ids.
func decodeIDs(r *http.Request) ([]string, error) {
	var req idsRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	return lowerIDs(req.IDs), nil
}

func lowerIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.ToLower(strings.TrimSpace(id))
	}
	return out
}

func (h *Handlers) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	list, err := h.Service.ProfileOrganizations(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	return writeJSON(w, newList(list, ""))
}

func (h *Handlers) createOrganization(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	var req CreateRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	resp, err := h.Service.Create(r.Context(), p.UserID, req, h.meta(r))
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) getOrganization(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	resp, err := h.Service.Get(r.Context(), userID, orgID)
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	var req UpdateRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	resp, err := h.Service.Update(r.Context(), userID, orgID, req, h.meta(r))
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	var req struct {
		MasterPasswordHash string `json:"masterPasswordHash"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.Delete(r.Context(), userID, orgID, req.MasterPasswordHash); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) leave(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	if err := h.Service.Leave(r.Context(), userID, orgID, h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) keys(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	resp, err := h.Service.Keys(r.Context(), userID, orgID)
	if err != nil {
		return err
	}
	if strings.HasSuffix(r.URL.Path, "/public-key") {
		resp.PrivateKey, resp.Object = nil, "organizationPublicKey"
	}
	return writeJSON(w, resp)
}

func (h *Handlers) events(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	start, err := queryTime(q.Get("start"), "start")
	if err != nil {
		return err
	}
	end, err := queryTime(q.Get("end"), "end")
	if err != nil {
		return err
	}
	resp, err := h.Service.Events(r.Context(), userID, orgID, start, end,
		q.Get("continuationToken"))
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}
