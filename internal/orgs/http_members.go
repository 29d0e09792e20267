package orgs

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// queryTime parses an optional ISO 8601 date of the query string.
func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, httpx.Invalid(field, "The value is not a valid date.")
}

// memberAndCaller reads the caller, {orgId} and {id}.
func memberAndCaller(r *http.Request) (userID, orgID, id string, err error) {
	if userID, orgID, err = orgAndCaller(r); err != nil {
		return "", "", "", err
	}
	id, err = pathID(r, "id")
	return userID, orgID, id, err
}

func (h *Handlers) listMembers(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	colls, _ := strconv.ParseBool(q.Get("includeCollections"))
	groups, _ := strconv.ParseBool(q.Get("includeGroups"))
	list, err := h.Service.ListMembers(r.Context(), userID, orgID, colls, groups)
	if err != nil {
		return err
	}
	return writeJSON(w, newList(list, ""))
}

func (h *Handlers) getMember(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	resp, err := h.Service.MemberDetails(r.Context(), userID, orgID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, resp)
}

func (h *Handlers) invite(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	var req InviteRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	req.Collections = lowerAccess(req.Collections)
	req.Groups = lowerIDs(req.Groups)
	if err := h.Service.Invite(r.Context(), userID, orgID, req, h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func lowerAccess(list []AccessRequest) []AccessRequest {
	for i := range list {
		list[i].ID = strings.ToLower(strings.TrimSpace(list[i].ID))
	}
	return list
}

func (h *Handlers) reinvite(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	if _, err := h.Service.Reinvite(r.Context(), userID, orgID, []string{id}, false); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) reinviteBulk(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	ids, err := decodeIDs(r)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return httpx.Invalid("Ids", "The Ids field is required.")
	}
	res, err := h.Service.Reinvite(r.Context(), userID, orgID, ids, true)
	if err != nil {
		return err
	}
	return writeJSON(w, newList(res, ""))
}

func (h *Handlers) accept(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	orgID, err := pathID(r, "orgId")
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req AcceptRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.Accept(r.Context(), p.UserID, p.Email, orgID, id, req); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) publicKeys(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	ids, err := decodeIDs(r)
	if err != nil {
		return err
	}
	list, err := h.Service.PublicKeys(r.Context(), userID, orgID, ids)
	if err != nil {
		return err
	}
	return writeJSON(w, newList(list, ""))
}

func (h *Handlers) confirm(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	var req struct {
		Key                       string `json:"key"`
		DefaultUserCollectionName string `json:"defaultUserCollectionName"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	// TODO(policies): with the organization data ownership policy (issue 7), a default "My Items"
	// collection named defaultUserCollectionName is made for the member.
	_, err = h.Service.Confirm(r.Context(), userID, orgID, []ConfirmKey{{ID: id, Key: req.Key}},
		false, h.meta(r))
	if err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) confirmBulk(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	var req struct {
		Keys []ConfirmKey `json:"keys"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	for i := range req.Keys {
		req.Keys[i].ID = strings.ToLower(strings.TrimSpace(req.Keys[i].ID))
	}
	res, err := h.Service.Confirm(r.Context(), userID, orgID, req.Keys, true, h.meta(r))
	if err != nil {
		return err
	}
	return writeJSON(w, newList(res, ""))
}

func (h *Handlers) updateMember(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	var req UpdateMemberRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Collections != nil {
		lowerAccess(*req.Collections)
	}
	if req.Groups != nil {
		*req.Groups = lowerIDs(*req.Groups)
	}
	if err := h.Service.UpdateMember(r.Context(), userID, orgID, id, req, h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handlers) updateMemberGroups(w http.ResponseWriter, r *http.Request) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	var req struct {
		GroupIDs []string `json:"groupIds"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Service.UpdateMemberGroups(r.Context(), userID, orgID, id, lowerIDs(req.GroupIDs),
		h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

// memberChange is Service.Revoke, Restore or Remove.
type memberChange func(ctx context.Context, userID, orgID string, ids []string, bulk bool,
	meta Meta) ([]BulkResult, error)

// single runs a member change on the {id} of the route.
func (h *Handlers) single(w http.ResponseWriter, r *http.Request, change memberChange) error {
	userID, orgID, id, err := memberAndCaller(r)
	if err != nil {
		return err
	}
	if _, err := change(r.Context(), userID, orgID, []string{id}, false, h.meta(r)); err != nil {
		return err
	}
	return ok(w)
}

// bulk runs a member change on the ids of the body and answers the per-id results.
func (h *Handlers) bulk(w http.ResponseWriter, r *http.Request, change memberChange) error {
	userID, orgID, err := orgAndCaller(r)
	if err != nil {
		return err
	}
	ids, err := decodeIDs(r)
	if err != nil {
		return err
	}
	res, err := change(r.Context(), userID, orgID, ids, true, h.meta(r))
	if err != nil {
		return err
	}
	return writeJSON(w, newList(res, ""))
}

func (h *Handlers) revoke(w http.ResponseWriter, r *http.Request) error {
	return h.single(w, r, h.Service.Revoke)
}

func (h *Handlers) revokeBulk(w http.ResponseWriter, r *http.Request) error {
	return h.bulk(w, r, h.Service.Revoke)
}

func (h *Handlers) restore(w http.ResponseWriter, r *http.Request) error {
	return h.single(w, r, h.Service.Restore)
}

func (h *Handlers) restoreBulk(w http.ResponseWriter, r *http.Request) error {
	return h.bulk(w, r, h.Service.Restore)
}

func (h *Handlers) remove(w http.ResponseWriter, r *http.Request) error {
	return h.single(w, r, h.Service.Remove)
}

func (h *Handlers) removeBulk(w http.ResponseWriter, r *http.Request) error {
	return h.bulk(w, r, h.Service.Remove)
}
