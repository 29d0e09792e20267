package orgs

import (
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

func (h *Handlers) groupRoutes() []Route {
	const groups = "/api/organizations/{orgId}/groups"
	return []Route{
		{"GET " + groups, h.listGroups},
		{"GET " + groups + "/details", h.listGroups},
		{"GET " + groups + "/{id}", h.getGroup},
		{"GET " + groups + "/{id}/details", h.getGroup},
		{"GET " + groups + "/{id}/users", h.groupUsers},
		{"PUT " + groups + "/{id}/users", h.setGroupUsers},
		{"POST " + groups, h.saveGroup},
		{"PUT " + groups + "/{id}", h.saveGroup},
		{"POST " + groups + "/{id}", h.saveGroup},
		{"DELETE " + groups + "/{id}", h.deleteGroup},
		{"POST " + groups + "/{id}/delete", h.deleteGroup},
		{"DELETE " + groups, h.deleteGroups},
		{"POST " + groups + "/delete", h.deleteGroups},
		{"DELETE " + groups + "/{id}/user/{memberId}", h.removeGroupUser},
		{"POST " + groups + "/{id}/delete-user/{memberId}", h.removeGroupUser},
	}
}

// details reports whether the route is a .../details one.
func details(r *http.Request) bool {
	p := r.URL.Path
	return len(p) >= 8 && p[len(p)-8:] == "/details"
}

func (h *Handlers) listGroups(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	list, err := h.Service.Groups(r.Context(), userID, orgID, details(r))
	if err != nil {
		return err
	}
	return writeJSON(w, newList(list, ""))
}

func (h *Handlers) getGroup(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	g, err := h.Service.Group(r.Context(), userID, orgID, id, details(r))
	if err != nil {
		return err
	}
	return writeJSON(w, g)
}

func (h *Handlers) groupUsers(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	ids, err := h.Service.GroupMemberIDs(r.Context(), userID, orgID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, ids)
}

func (h *Handlers) setGroupUsers(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	var ids []string
	if err := httpx.DecodeJSON(r, &ids); err != nil {
		return err
	}
	if err := h.Service.SetGroupMembers(r.Context(), userID, orgID, id, lowerIDs(ids),
		h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) saveGroup(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	id := ""
	if r.PathValue("id") != "" {
		if id, err = pathID(r, "id"); err != nil {
			return err
		}
	}
	var req GroupRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Collections != nil {
		lowerAccess(*req.Collections)
	}
	if req.Users != nil {
		*req.Users = lowerIDs(*req.Users)
	}
	g, err := h.Service.SaveGroup(r.Context(), userID, orgID, id, req, h.meta(r))
	if err != nil {
		return err
	}
	return writeJSON(w, g)
}

func (h *Handlers) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	if err := h.Service.DeleteGroups(r.Context(), userID, orgID, []string{id},
		h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) deleteGroups(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	ids, err := decodeIDs(r)
	if err != nil {
		return err
	}
	if err := h.Service.DeleteGroups(r.Context(), userID, orgID, ids, h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) removeGroupUser(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	memberID, err := pathID(r, "memberId")
	if err != nil {
		return err
	}
	if err := h.Service.RemoveGroupMember(r.Context(), userID, orgID, id, memberID,
		h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) collectionRoutes() []Route {
	const colls = "/api/organizations/{orgId}/collections"
	return []Route{
		{"GET /api/collections", h.myCollections},
		{"GET " + colls, h.listCollections},
		{"GET " + colls + "/details", h.listCollections},
		{"GET " + colls + "/{id}", h.getCollection},
		{"GET " + colls + "/{id}/details", h.getCollection},
		{"GET " + colls + "/{id}/users", h.collectionUsers},
		{"PUT " + colls + "/{id}/users", h.setCollectionUsers},
		{"POST " + colls, h.saveCollection},
		{"PUT " + colls + "/{id}", h.saveCollection},
		{"POST " + colls + "/{id}", h.saveCollection},
		{"DELETE " + colls + "/{id}", h.deleteCollection},
		{"POST " + colls + "/{id}/delete", h.deleteCollection},
		{"DELETE " + colls, h.deleteCollections},
		{"POST " + colls + "/delete", h.deleteCollections},
	}
}

func (h *Handlers) myCollections(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	list, err := h.Service.UserCollections(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	return writeJSON(w, newList(list, ""))
}

func (h *Handlers) listCollections(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	list, err := h.Service.Collections(r.Context(), userID, orgID, details(r))
	if err != nil {
		return err
	}
	return writeJSON(w, newList(list, ""))
}

func (h *Handlers) getCollection(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	c, err := h.Service.Collection(r.Context(), userID, orgID, id, details(r))
	if err != nil {
		return err
	}
	return writeJSON(w, c)
}

func (h *Handlers) collectionUsers(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	users, err := h.Service.CollectionUsers(r.Context(), userID, orgID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, users)
}

func (h *Handlers) setCollectionUsers(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	var users []AccessRequest
	if err := httpx.DecodeJSON(r, &users); err != nil {
		return err
	}
	if err := h.Service.SetCollectionUsers(r.Context(), userID, orgID, id, lowerAccess(users),
		h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) saveCollection(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	id := ""
	if r.PathValue("id") != "" {
		if id, err = pathID(r, "id"); err != nil {
			return err
		}
	}
	var req CollectionRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Users != nil {
		lowerAccess(*req.Users)
	}
	if req.Groups != nil {
		lowerAccess(*req.Groups)
	}
	c, err := h.Service.SaveCollection(r.Context(), userID, orgID, id, req, h.meta(r))
	if err != nil {
		return err
	}
	return writeJSON(w, c)
}

func (h *Handlers) deleteCollection(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	if err := h.Service.DeleteCollections(r.Context(), userID, orgID, []string{id},
		h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) deleteCollections(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	ids, err := decodeIDs(r)
	if err != nil {
		return err
	}
	if err := h.Service.DeleteCollections(r.Context(), userID, orgID, ids, h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}
