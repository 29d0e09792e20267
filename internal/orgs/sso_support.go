package orgs

import (
	"context"

	"github.com/castellan-vault/castellan/internal/storage"
)

// This file holds what single sign-on (internal/sso) needs from organizations: their queries inside
// the SSO concern's own transactions (provisioning writes the account, the membership, the SSO link
// and the audit events in one), the manageSso right, and the SSO event types.

// Audit event types written by single sign-on (official numbers).
const (
	EventUserChangedPassword EventType = 1001
	EventUserFailedLogIn     EventType = 1005
	EventMemberUnlinkedSso   EventType = 1505
	EventMemberResetSsoLink  EventType = 1509
	EventMemberFirstSsoLogin EventType = 1510
	EventOrganizationSsoOn   EventType = 1604
	EventOrganizationSsoOff  EventType = 1605
)

// QueriesOn returns the organization queries run through q, a database or a transaction that
// other concerns' writes share.
func QueriesOn(q storage.Querier) Queries { return queries{q: q} }

var rightManageSso = func(p Permissions) bool { return p.ManageSso }

// RequireManageSSO checks that userID may read and change the organization's SSO configuration: a
// confirmed owner or admin, or a confirmed custom member with manageSso. Anyone else gets the 404
// that hides the organization, as on the official server.
func RequireManageSSO(ctx context.Context, q Queries, orgID, userID string) error {
	a, err := actorIn(ctx, q, orgID, userID)
	if err != nil {
		return err
	}
	return a.require(rightManageSso)
}

// SetSSOStates gives the service the SSO concern once it is built (the SSO concern is wired after
// organizations, whose queries it uses). Call it before the server starts serving.
func (s *Service) SetSSOStates(st SSOStates) { s.sso = st }
