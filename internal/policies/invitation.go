package policies

import (
	"context"
	"net/http"
	"strings"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/orgs"
)

// InviteTokens checks an organization invitation token for a membership and returns the invited
// address (orgs.Service.ValidateInviteToken).
type InviteTokens func(ctx context.Context, memberID, token string) (email string, err error)

// ByInvitation returns the organization's enabled policies to the holder of an invitation to it,
// who is not a member yet: the web vault (and castellan account accept-invite) reads them before
// accepting, to enrol in account recovery when the organization requires it and to check the
// master password against the organization's rules. The membership must be in the organization
// and the token valid for it and for email; anything else is a 404 that tells nothing, as on the
// official server.
func (s *Service) ByInvitation(ctx context.Context, orgID, memberID, email, token string,
	check InviteTokens) (ListResponse, error) {
	if !accounts.IsGUID(memberID) || token == "" || check == nil {
		return ListResponse{}, notFound()
	}
	if _, err := orgs.QueriesOn(s.db).Member(ctx, orgID, memberID); err != nil {
		return ListResponse{}, storeNotFound(err)
	}
	invited, err := check(ctx, memberID, token)
	if err != nil || !strings.EqualFold(invited, strings.TrimSpace(email)) {
		return ListResponse{}, notFound()
	}
	ps, err := s.store.List(ctx, orgID)
	if err != nil {
		return ListResponse{}, err
	}
	var out []Response
	for i := range ps {
		if ps[i].Enabled {
			out = append(out, newResponse(orgID, ps[i].Type, &ps[i], nil))
		}
	}
	return newList(out), nil
}

// InvitationHandler serves GET /api/organizations/{orgId}/policies/token?email=&token=
// &organizationUserId=, which needs no access token: the invitation's token stands in for it.
func (h *Handlers) InvitationHandler(check InviteTokens) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		orgID, err := pathID(r, "orgId")
		if err != nil {
			return err
		}
		q := r.URL.Query()
		resp, err := h.Service.ByInvitation(r.Context(), orgID, strings.ToLower(q.Get("organizationUserId")),
			q.Get("email"), q.Get("token"), check)
		if err != nil {
			return err
		}
		return writeJSON(w, resp)
	}
}
