package orgs

import (
	"context"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// bulkChange applies change to each of ids in one transaction: a single request (bulk false)
// fails as a whole on the first refusal; a bulk one records each refusal in its result and commits
// the rest. Failures that are not refusals (storage errors) always fail the whole request.
func (s *Service) bulkChange(ctx context.Context, userID, orgID string, ids []string, bulk bool,
	change func(q Queries, o Organization, a actor, m Member) error) ([]BulkResult, error) {
	if len(ids) == 0 {
		return nil, httpx.Invalid("Ids", "The Ids field is required.")
	}
	var results []BulkResult
	err := s.store.InTx(ctx, func(q Queries) error {
		o, a, err := s.lockForMembers(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		for _, id := range dedupe(ids) {
			ms, err := q.Members(ctx, orgID, []string{id})
			if err != nil {
				return err
			}
			if len(ms) == 0 {
				err = httpx.NotFound(msgUserNotFound)
			} else {
				err = change(q, o, a, ms[0])
			}
			if err != nil && (!bulk || !isClientError(err)) {
				return err
			}
			results = append(results, bulkResult(id, err))
		}
		return nil
	})
	return results, err
}

// Revoke suspends memberships: each keeps its status in StatusBeforeRevoke and becomes Revoked,
// which takes away the organization's items and frees its seat. Nobody revokes themselves; only
// owners revoke owners; custom members do not revoke admins; a confirmed owner always remains.
func (s *Service) Revoke(ctx context.Context, userID, orgID string, ids []string, bulk bool,
	meta Meta) ([]BulkResult, error) {
	return s.bulkChange(ctx, userID, orgID, ids, bulk, func(q Queries, o Organization, a actor,
		m Member) error {
		if m.Type == RoleOwner && m.Status == StatusConfirmed {
			if err := lastOwner(ctx, q, orgID, m.ID); err != nil {
				return err
			}
		}
		switch {
		case m.UserID != "" && m.UserID == a.userID:
			return httpx.BadRequest(msgNoSelfRevoke)
		case m.Type == RoleOwner && !a.owner():
			return httpx.BadRequest(msgOwnersRevokeOwner)
		case m.Type == RoleAdmin && !a.admin():
			return httpx.BadRequest(msgCustomNoAdmins)
		case m.Status == StatusRevoked:
			return httpx.BadRequest(msgAlreadyRevoked)
		}
		now := s.clock.Now()
		before, reason := m.Status, RevokedManual
		m.Status, m.StatusBeforeRevoke, m.RevocationReason = StatusRevoked, &before, &reason
		m.RevisionDate = now
		return s.saveMemberChange(ctx, q, m, EventMemberRevoked, a.userID, meta)
	})
}

// Restore brings revoked memberships back to the status they had (or, for rows revoked without a
// record of it, the status their data implies). A restored membership takes a seat again.
func (s *Service) Restore(ctx context.Context, userID, orgID string, ids []string, bulk bool,
	meta Meta) ([]BulkResult, error) {
	return s.bulkChange(ctx, userID, orgID, ids, bulk, func(q Queries, o Organization, a actor,
		m Member) error {
		switch {
		case m.UserID != "" && m.UserID == a.userID:
			return httpx.BadRequest(msgNoSelfRestore)
		case m.Type == RoleOwner && !a.owner():
			return httpx.BadRequest(msgOnlyOwnersOwners)
		case m.Type == RoleAdmin && !a.admin():
			return httpx.BadRequest(msgCustomNoAdmins)
		case m.Status != StatusRevoked:
			return httpx.BadRequest(msgAlreadyActive)
		}
		if m.UserID != "" {
			err := s.checkPolicies(ctx, q, MembershipChange{Kind: ChangeRestore, Member: m, UserID: m.UserID})
			if err != nil {
				return err
			}
		}
		next := restoredStatus(m)
		if next.HoldsSeat() {
			if err := checkSeats(ctx, q, o, 1); err != nil {
				return err
			}
		}
		now := s.clock.Now()
		m.Status, m.StatusBeforeRevoke, m.RevocationReason, m.RevisionDate = next, nil, nil, now
		return s.saveMemberChange(ctx, q, m, EventMemberRestored, a.userID, meta)
	})
}

// restoredStatus is the status a revoked membership returns to: the one recorded at revocation,
// else Confirmed with a key, Accepted when bound to an account, Invited otherwise.
func restoredStatus(m Member) Status {
	switch {
	case m.StatusBeforeRevoke != nil && *m.StatusBeforeRevoke != StatusRevoked:
		return *m.StatusBeforeRevoke
	case m.UserID != "" && m.Key != "":
		return StatusConfirmed
	case m.UserID != "" && m.Email == "":
		return StatusAccepted
	}
	return StatusInvited
}

// saveMemberChange stores m (dated by its revision date), writes its audit event and makes the
// member's clients sync again.
func (s *Service) saveMemberChange(ctx context.Context, q Queries, m Member, typ EventType, actorID string,
	meta Meta) error {
	if err := q.UpdateMember(ctx, m); err != nil {
		return err
	}
	ev := s.memberEvent(typ, m, actorID, meta, m.RevisionDate)
	if err := q.AddEvents(ctx, []Event{ev}); err != nil {
		return err
	}
	return q.BumpMemberRevisions(ctx, m.OrganizationID, []string{m.ID}, m.RevisionDate)
}

// Remove deletes memberships with their collection and group links. Nobody removes themselves
// (they leave instead); only owners remove owners; custom members do not remove admins; a confirmed
// owner always remains; a member whose account the organization claims is revoked, not removed.
func (s *Service) Remove(ctx context.Context, userID, orgID string, ids []string, bulk bool,
	meta Meta) ([]BulkResult, error) {
	return s.bulkChange(ctx, userID, orgID, ids, bulk, func(q Queries, o Organization, a actor,
		m Member) error {
		if m.Type == RoleOwner && m.Status == StatusConfirmed {
			if err := lastOwner(ctx, q, orgID, m.ID); err != nil {
				return err
			}
		}
		switch {
		case m.UserID != "" && m.UserID == a.userID:
			return httpx.BadRequest(msgNoSelfRemove)
		case m.Type == RoleOwner && !a.owner():
			return httpx.BadRequest(msgOwnersRemoveOwner)
		case m.Type == RoleAdmin && !a.admin():
			return httpx.BadRequest(msgCustomNoAdmins)
		}
		if err := s.refuseClaimed(ctx, q, o, m, msgClaimedRemove); err != nil {
			return err
		}
		now := s.clock.Now()
		if err := q.BumpMemberRevisions(ctx, orgID, []string{m.ID}, now); err != nil {
			return err
		}
		if err := q.DeleteMembers(ctx, orgID, []string{m.ID}); err != nil {
			return err
		}
		return q.AddEvents(ctx, []Event{s.memberEvent(EventMemberRemoved, m, a.userID, meta, now)})
	})
}

// UpdateMemberRequest is the body of PUT /api/organizations/{orgId}/users/{id}. Collections and
// Groups left out (null) keep the member's current ones.
type UpdateMemberRequest struct {
	Type                 *Role            `json:"type"`
	Permissions          *Permissions     `json:"permissions"`
	Collections          *[]AccessRequest `json:"collections"`
	Groups               *[]string        `json:"groups"`
	AccessSecretsManager bool             `json:"accessSecretsManager"`
}

// UpdateMember changes a member's type, custom permissions, collections and groups. The caller
// must be allowed to manage the member's current type and to grant the new one, and the
// organization keeps a confirmed owner.
func (s *Service) UpdateMember(ctx context.Context, userID, orgID, memberID string, r UpdateMemberRequest,
	meta Meta) error {
	if r.Type == nil {
		return httpx.Invalid("Type", "The Type field is required.")
	}
	return s.store.InTx(ctx, func(q Queries) error {
		_, a, err := s.lockForMembers(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		m, err := q.Member(ctx, orgID, memberID)
		if err != nil {
			return storeNotFound(err)
		}
		var perms Permissions
		if r.Permissions != nil {
			perms = *r.Permissions
		}
		if err := a.checkManage(m.Type); err != nil {
			return err
		}
		if err := a.checkGrant(*r.Type, perms); err != nil {
			return err
		}
		if m.Type == RoleOwner && *r.Type != RoleOwner && m.Status == StatusConfirmed {
			if err := lastOwner(ctx, q, orgID, m.ID); err != nil {
				return err
			}
		}
		return s.updateMember(ctx, q, a, m, r, perms, meta)
	})
}

func (s *Service) updateMember(ctx context.Context, q Queries, a actor, m Member, r UpdateMemberRequest,
	perms Permissions, meta Meta) error {
	var colls []AccessRequest
	var groups []string
	if r.Collections != nil {
		colls = *r.Collections
	}
	if r.Groups != nil {
		groups = *r.Groups
	}
	grants, gs, err := checkMemberLinks(ctx, q, m.OrganizationID, colls, groups)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	m.Type, m.Permissions, m.AccessSecretsManager = *r.Type, Permissions{}, r.AccessSecretsManager
	m.RevisionDate = now
	if m.Type == RoleCustom {
		m.Permissions = perms
	}
	if r.Collections != nil {
		if err := q.SetMemberCollections(ctx, m.ID, grants); err != nil {
			return err
		}
	}
	events := []Event{s.memberEvent(EventMemberUpdated, m, a.userID, meta, now)}
	if r.Groups != nil {
		if err := q.SetMemberGroups(ctx, m.ID, gs); err != nil {
			return err
		}
		events = append(events, s.memberEvent(EventMemberUpdatedGroups, m, a.userID, meta, now))
	}
	if err := q.UpdateMember(ctx, m); err != nil {
		return err
	}
	if err := q.AddEvents(ctx, events); err != nil {
		return err
	}
	return q.BumpMemberRevisions(ctx, m.OrganizationID, []string{m.ID}, now)
}

// UpdateMemberGroups replaces a member's groups (PUT .../users/{id}/groups).
func (s *Service) UpdateMemberGroups(ctx context.Context, userID, orgID, memberID string, groups []string,
	meta Meta) error {
	return s.store.InTx(ctx, func(q Queries) error {
		_, a, err := s.lockForMembers(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		m, err := q.Member(ctx, orgID, memberID)
		if err != nil {
			return storeNotFound(err)
		}
		if err := a.checkManage(m.Type); err != nil {
			return err
		}
		_, gs, err := checkMemberLinks(ctx, q, orgID, nil, groups)
		if err != nil {
			return err
		}
		if err := q.SetMemberGroups(ctx, m.ID, gs); err != nil {
			return err
		}
		now := s.clock.Now()
		ev := s.memberEvent(EventMemberUpdatedGroups, m, a.userID, meta, now)
		if err := q.AddEvents(ctx, []Event{ev}); err != nil {
			return err
		}
		return q.BumpMemberRevisions(ctx, orgID, []string{m.ID}, now)
	})
}

// ListMembers returns the organization's members to those who manage users, with collections and
// groups when asked.
func (s *Service) ListMembers(ctx context.Context, userID, orgID string, withCollections,
	withGroups bool) ([]MemberResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return nil, err
	}
	if !a.can(rightManageUsers) && !a.can(rightManageGroups) && !a.can(rightSeeAllColls) &&
		!a.can(rightCreateColl) {
		return nil, notFound()
	}
	list, err := s.store.ListMembers(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var colls map[string][]Access
	var groups map[string][]string
	if withCollections {
		if colls, err = s.store.MemberCollections(ctx, orgID, ""); err != nil {
			return nil, err
		}
	}
	if withGroups {
		if groups, err = s.store.MemberGroups(ctx, orgID, ""); err != nil {
			return nil, err
		}
	}
	out := make([]MemberResponse, len(list))
	for i, d := range list {
		out[i] = newMemberResponse(d, colls[d.ID], groups[d.ID], "organizationUserUserDetails")
	}
	return out, s.markClaimed(ctx, orgID, list, out)
}

// MemberDetails returns one member with collections and groups, to those who manage users.
func (s *Service) MemberDetails(ctx context.Context, userID, orgID,
	memberID string) (MemberResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return MemberResponse{}, err
	}
	if err := a.require(rightManageUsers); err != nil {
		return MemberResponse{}, err
	}
	d, err := s.store.MemberDetails(ctx, orgID, memberID)
	if err != nil {
		return MemberResponse{}, storeNotFound(err)
	}
	colls, err := s.store.MemberCollections(ctx, orgID, memberID)
	if err != nil {
		return MemberResponse{}, err
	}
	groups, err := s.store.MemberGroups(ctx, orgID, memberID)
	if err != nil {
		return MemberResponse{}, err
	}
	out := []MemberResponse{newMemberResponse(d, colls[d.ID], groups[d.ID],
		"organizationUserDetails")}
	return out[0], s.markClaimed(ctx, orgID, []MemberDetails{d}, out)
}
