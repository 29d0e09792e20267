package policies

import (
	"context"

	"github.com/castellan-vault/castellan/internal/orgs"
)

// List returns the organization's policies to a caller who may manage them (others get 404).
func (s *Service) List(ctx context.Context, userID, orgID string) (ListResponse, error) {
	if err := orgs.RequireManagePolicies(ctx, orgs.QueriesOn(s.db), orgID, userID); err != nil {
		return ListResponse{}, err
	}
	ps, err := s.store.List(ctx, orgID)
	if err != nil {
		return ListResponse{}, err
	}
	out := make([]Response, len(ps))
	for i := range ps {
		out[i] = newResponse(orgID, ps[i].Type, &ps[i], nil)
	}
	return newList(out), nil
}

// Get returns the organization's policy of type t (turned off and without an id if never set) to a
// caller who may manage policies, with whether it may be toggled now.
func (s *Service) Get(ctx context.Context, userID, orgID string, t Type) (Response, error) {
	if !t.Valid() {
		return Response{}, notFound()
	}
	if err := orgs.RequireManagePolicies(ctx, orgs.QueriesOn(s.db), orgID, userID); err != nil {
		return Response{}, err
	}
	p, err := found(s.store.Get(ctx, orgID, t))
	if err != nil {
		return Response{}, err
	}
	canToggle := true
	if t == TypeSingleOrg && p != nil && p.Enabled && s.domains != nil {
		claimed, err := s.domains.HasClaimedDomain(ctx, orgID)
		if err != nil {
			return Response{}, err
		}
		canToggle = !claimed
	}
	return newResponse(orgID, t, p, &canToggle), nil
}

// SyncPolicies returns the policies of /api/sync: those of every enabled organization where userID
// is a confirmed member, enabled or not, as the clients read them.
func (s *Service) SyncPolicies(ctx context.Context, userID string) ([]Response, error) {
	ps, err := s.store.OfConfirmedMember(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Response, len(ps))
	for i := range ps {
		out[i] = newResponse(ps[i].OrganizationID, ps[i].Type, &ps[i], nil)
	}
	return out, nil
}
