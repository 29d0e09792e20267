package policies

import (
	"context"
	"errors"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// exemptRole reports whether a membership type is exempt from the Single organization policy (and,
// unless the instance says otherwise, from Require SSO): owners and admins, as on the official
// server. Custom members are bound.
func exemptRole(r orgs.Role) bool { return r == orgs.RoleOwner || r == orgs.RoleAdmin }

// active reports whether a status binds a member to the policies that follow an account across
// organizations (Require SSO, and Single organization as seen from the other organizations).
func active(st orgs.Status) bool { return st == orgs.StatusAccepted || st == orgs.StatusConfirmed }

// CheckMembership implements orgs.PolicyEnforcer. Before a membership is accepted, confirmed or
// restored (behavior notes §3.2, §3.3, §3.5, §7.3, §7.4):
//   - Single organization of the joining organization: the account may hold no membership of
//     another organization, unless it joins as an owner or admin;
//   - Single organization of another organization: where the account is an Accepted or Confirmed
//     member who is neither owner nor admin, it may join no other organization;
//   - account recovery with automatic enrollment: an acceptance must bring the recovery key.
//
// Refusals are 400s that name the address when an administrator acts on someone else.
func (s *Service) CheckMembership(ctx context.Context, q orgs.Queries, c orgs.MembershipChange) error {
	tx := orgs.Querier(q)
	if tx == nil {
		return errors.New("check policies: queries without a database handle")
	}
	st := s.store.On(tx)
	orgID := c.Member.OrganizationID
	target, err := found(st.Get(ctx, orgID, TypeSingleOrg))
	if err != nil {
		return err
	}
	if target != nil && target.Enabled && !exemptRole(c.Member.Type) {
		ms, err := q.MembershipsOfUser(ctx, c.UserID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.OrganizationID != orgID {
				return s.singleOrgRefusal(ctx, tx, c, false)
			}
		}
	}
	others, err := st.EnabledForUser(ctx, c.UserID, TypeSingleOrg)
	if err != nil {
		return err
	}
	for _, mp := range others {
		if mp.OrganizationID != orgID && active(mp.Status) && !exemptRole(mp.Role) {
			return s.singleOrgRefusal(ctx, tx, c, true)
		}
	}
	if c.Kind == orgs.ChangeAccept && c.ResetPasswordKey == "" {
		p, err := found(st.Get(ctx, orgID, TypeResetPassword))
		if err != nil {
			return err
		}
		if p.autoEnroll() {
			return httpx.BadRequest("This organization enrolls its members in account recovery automatically: " +
				"the account recovery key (resetPasswordKey) is required to join.")
		}
	}
	return nil
}

// singleOrgRefusal words the Single organization refusal for the change: to the joining person
// for an acceptance, naming the member's address for an administrator's confirmation or restore.
// otherForbids tells whether another organization's policy refuses, rather than this one's.
func (s *Service) singleOrgRefusal(ctx context.Context, q storage.Querier, c orgs.MembershipChange,
	otherForbids bool) error {
	if c.Kind == orgs.ChangeAccept {
		if otherForbids {
			return httpx.BadRequest("You cannot join this organization: you are a member of another " +
				"organization whose Single organization policy does not allow it.")
		}
		return httpx.BadRequest("You cannot join this organization until you leave all other organizations: " +
			"it has the Single organization policy.")
	}
	u, err := accounts.UserByIDIn(ctx, q, c.UserID)
	if err != nil {
		return err
	}
	verb := "confirmed"
	if c.Kind == orgs.ChangeRestore {
		verb = "restored"
	}
	if otherForbids {
		return httpx.BadRequest(u.Email + " cannot be " + verb + ": they are a member of another organization " +
			"whose Single organization policy does not allow it.")
	}
	return httpx.BadRequest(u.Email + " cannot be " + verb + " until they leave all other organizations: " +
		"this organization has the Single organization policy.")
}
