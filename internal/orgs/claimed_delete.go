package orgs

import (
	"context"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// EventMemberDeleted is the official OrganizationUser_Deleted: an administrator deleted the account
// of a member the organization claims.
const EventMemberDeleted EventType = 1515

// Refusals of deleting a claimed account.
const (
	msgNotClaimed = "Only the accounts of members whose address is on a domain the organization has " +
		"verified can be deleted here. Remove or revoke the member instead."
	msgNoSelfDelete  = "You cannot delete your own account here."
	msgInvitedDelete = "This member has not accepted the invitation yet, so there is no account of theirs " +
		"to delete. Remove the invitation instead."
	msgSoleOwnerElse = "This account is the only confirmed owner of an organization, so it cannot be " +
		"deleted until that organization has another owner."
)

// DeleteClaimedAccounts deletes the whole accounts of claimed members (DELETE
// .../users/{id}/delete-account and its bulk form), with their vaults, devices and memberships in
// every organization, as the official server lets an organization do with the accounts it claims
// (behaviour reference §3.6). Only claimed members qualify (Accepted, Confirmed or Revoked, with an
// address on a claimed domain); nobody deletes their own account this way; only owners delete
// owners; custom members do not delete admins; no organization, this one or another, is left
// without a confirmed owner.
func (s *Service) DeleteClaimedAccounts(ctx context.Context, userID, orgID string, ids []string, bulk bool,
	meta Meta) ([]BulkResult, error) {
	var deleted []string
	res, err := s.bulkChange(ctx, userID, orgID, ids, bulk, func(q Queries, o Organization, a actor,
		m Member) error {
		switch {
		case m.Status == StatusInvited || m.UserID == "":
			return httpx.BadRequest(msgInvitedDelete)
		case m.UserID == a.userID:
			return httpx.BadRequest(msgNoSelfDelete)
		case m.Type == RoleOwner && !a.owner():
			return httpx.BadRequest(msgOwnersRemoveOwner)
		case m.Type == RoleAdmin && !a.admin():
			return httpx.BadRequest(msgCustomNoAdmins)
		}
		claimed, err := s.claimedMember(ctx, q, o, m)
		if err != nil {
			return err
		}
		if !claimed {
			return httpx.BadRequest(msgNotClaimed)
		}
		if err := soleOwnerAnywhere(ctx, q, orgID, m.UserID); err != nil {
			return err
		}
		now := s.clock.Now()
		ev := s.memberEvent(EventMemberDeleted, m, a.userID, meta, now)
		if err := q.AddEvents(ctx, []Event{ev}); err != nil {
			return err
		}
		if err := q.DeleteUser(ctx, m.UserID); err != nil {
			return err
		}
		deleted = append(deleted, m.ID)
		return nil
	})
	if err == nil {
		for _, id := range deleted {
			s.log.InfoContext(ctx, "claimed account deleted", "org_id", orgID, "member_id", id, "by", userID)
		}
	}
	return res, err
}

// soleOwnerAnywhere refuses when the account is the last confirmed owner of any organization. Each
// other organization it owns is locked before its owners are counted, as every membership change
// locks its organization first, so that a concurrent change there (removing, revoking or deleting
// the other owner) cannot leave it without an owner; orgID, the caller's, is locked already.
func soleOwnerAnywhere(ctx context.Context, q Queries, orgID, userID string) error {
	ms, err := q.MembershipsOfUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Type != RoleOwner || m.Status != StatusConfirmed {
			continue
		}
		if m.OrganizationID != orgID {
			if _, err := q.LockOrganization(ctx, m.OrganizationID); err != nil {
				return err
			}
		}
		n, err := q.ConfirmedOwners(ctx, m.OrganizationID, []string{m.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return httpx.BadRequest(msgSoleOwnerElse)
		}
	}
	return nil
}

func (h *Handlers) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	return h.single(w, r, h.Service.DeleteClaimedAccounts)
}

func (h *Handlers) deleteAccountBulk(w http.ResponseWriter, r *http.Request) error {
	return h.bulk(w, r, h.Service.DeleteClaimedAccounts)
}
