// Package policies owns the organization policies (the official PolicyType numbers, 0 to 22), what
// castellan enforces of them, and account recovery (policy 8).
//
// Every policy is stored and synced: an administrator (owner, admin, or custom member with
// managePolicies) reads and sets them through /api/organizations/{orgId}/policies, and /api/sync
// hands each confirmed member the policies of their organizations for the clients to apply. The
// server itself enforces these:
//
//   - Single organization (3). Accepting, confirming and restoring a membership is refused while
//     the account is in another organization, and the other way round, an Accepted or Confirmed
//     member who is neither owner nor admin of an organization with the policy cannot join
//     another one. Turning it on revokes, in the same transaction, the members who do not comply
//     (revocation reason 4, status kept for a later restore). The checks run inside the
//     organizations' own transactions through the orgs.PolicyEnforcer seam (membership.go).
//   - Require SSO (4). The token endpoint refuses the password grant of Accepted and Confirmed
//     members who are not exempt (owners and admins are, unless Config.EnforceSSOForAll) with the
//     official invalid_grant answer carrying SsoOrganizationIdentifier, so that the official
//     client starts that organization's sign-in. SSO itself and the personal API key pass
//     (login.go; identity.LoginPolicies is the seam).
//   - Account recovery administration (8), data {autoEnrollEnabled}. With automatic enrollment an
//     acceptance must bring the recovery key. Members enroll or withdraw; an administrator reads a
//     member's recovery details and sets a new master password, which ends the member's sessions
//     (recovery.go).
//
// Guards tie the policies together and to the SSO and domain settings (guards.go): Require SSO and
// account recovery need Single organization on; Single organization stays on while they are, while
// the organization has a claimed domain, and while its SSO uses Key Connector; Require SSO stays on
// while SSO decrypts with Key Connector or trusted devices; automatic enrollment stays on under
// trusted devices. Each refusal is a 400 that says what to change first, and changes nothing.
//
// Every change runs in one transaction that locks the organization row first (the order the
// organizations use), writes the policy and its Policy_Updated (1700) event, moves the members'
// revision dates so that their clients sync, and applies the side effects. [Service.EnableAsSystem]
// lets another concern turn a policy on inside its own transaction (a claimed domain forces Single
// organization on).
//
// Files:
//   - model.go: [Type], [Policy], [ResetPasswordData], [MemberPolicy].
//   - store.go: [Store] on migration 00007, with the lookups across organizations.
//   - service.go: [Service], its options and seams ([ClaimedDomains]), and small reads.
//   - put.go: setting a policy, data normalisation, Single organization's revocations.
//   - data.go: the check of each type's settings (the official models' types and ranges, the
//     generator, vault timeout and URI match bounds the clients apply) before anything is stored.
//   - guards.go: the dependencies between policies and settings.
//   - read.go: the list, one policy, and the policies of /api/sync.
//   - membership.go: the checks before a membership becomes active.
//   - login.go: Require SSO for the token endpoint.
//   - recovery.go: enrollment, recovery details and the administrator's password reset.
//   - invitation.go: the enabled policies an invitation's holder reads before accepting
//     (GET .../policies/token, no access token).
//   - response.go, http.go: the wire shapes and the routes.
package policies
