package orgs

import (
	"context"
	"net/http"

	"github.com/castellan-vault/castellan/internal/storage"
)

// This file holds what the organization policies (internal/policies, issue 7) need from
// organizations: the seam through which they check a membership that is about to become active,
// the rights that guard their routes, the caller's membership for role rules, and their event types.

// Audit event types written by the policies (official numbers).
const (
	EventMemberResetPasswordEnroll   EventType = 1506
	EventMemberResetPasswordWithdraw EventType = 1507
	EventMemberAdminResetPassword    EventType = 1508
	EventPolicyUpdated               EventType = 1700
)

// ChangeKind names the membership changes that make a membership active.
type ChangeKind int

// The changes a [PolicyEnforcer] is asked about.
const (
	ChangeAccept ChangeKind = iota + 1
	ChangeConfirm
	ChangeRestore
)

// MembershipChange is a membership about to become active, as the policies see it.
type MembershipChange struct {
	Kind ChangeKind
	// Member is the membership as stored before the change. For an acceptance it is still Invited.
	Member Member
	// UserID is the account the membership is (or, for an acceptance, becomes) bound to.
	UserID string
	// ResetPasswordKey is the account-recovery key an acceptance brings, or "".
	ResetPasswordKey string
}

// PolicyEnforcer applies the organization policies to membership changes. The policy concern
// implements it; without one, no policy applies. CheckMembership runs inside the change's
// transaction, after the organization is locked and the change's own rules passed; a refusal is an
// *httpx.Error with status 400, and the change is then not made.
type PolicyEnforcer interface {
	CheckMembership(ctx context.Context, q Queries, c MembershipChange) error
}

// SetPolicies makes the service ask p before a membership is accepted, confirmed or restored. It is
// called once, while the application is being wired, before the service serves requests.
func (s *Service) SetPolicies(p PolicyEnforcer) { s.policies = p }

// checkPolicies asks the policy concern, if there is one, whether c may happen.
func (s *Service) checkPolicies(ctx context.Context, q Queries, c MembershipChange) error {
	if s.policies == nil {
		return nil
	}
	return s.policies.CheckMembership(ctx, q, c)
}

var (
	rightManagePolicies      = func(p Permissions) bool { return p.ManagePolicies }
	rightManageResetPassword = func(p Permissions) bool { return p.ManageResetPassword }
)

// RequireManagePolicies checks that userID may read and change the organization's policies: a
// confirmed owner or admin, or a confirmed custom member with managePolicies. Anyone else gets the
// 404 that hides the organization, as on the official server.
func RequireManagePolicies(ctx context.Context, q Queries, orgID, userID string) error {
	a, err := actorIn(ctx, q, orgID, userID)
	if err != nil {
		return err
	}
	return a.require(rightManagePolicies)
}

// RequireManageResetPassword checks that userID may recover members' accounts (a confirmed owner,
// admin, or custom member with manageResetPassword; others get 404) and returns the caller's
// membership, for the role rules of the recovery.
func RequireManageResetPassword(ctx context.Context, q Queries, orgID, userID string) (Member, error) {
	a, err := actorIn(ctx, q, orgID, userID)
	if err != nil {
		return Member{}, err
	}
	if err := a.require(rightManageResetPassword); err != nil {
		return Member{}, err
	}
	return a.m, nil
}

// RequestMeta reads where a request came from, for the audit log, as the organization routes do;
// ipHeader is the trusted proxy's client-address header, or "".
func RequestMeta(r *http.Request, ipHeader string) Meta {
	return (&Handlers{IPHeader: ipHeader}).meta(r)
}

// Querier is the database handle q runs on (a transaction inside InTx), so that another concern's
// store can join the same transaction; nil for Queries this package did not make.
func Querier(q Queries) storage.Querier {
	if qs, ok := q.(queries); ok {
		return qs.q
	}
	return nil
}
