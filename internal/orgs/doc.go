// Package orgs owns organizations and their membership: creation with the client's keys, the
// member lifecycle (invite, accept, confirm, revoke, restore, remove, leave), groups, collections
// and their grants, the audit log, and what the profile and /api/sync show of all this.
//
// The flow of a member, with the official numbers kept on the wire: an administrator invites an
// address (Invited, 0; the row names the email only). castellan mails a Join link whose token is
// sealed with a key kept in the settings table and bound to the membership and the address
// (token.go). The invitee logs in or registers and accepts with the token (Accepted, 1; the row is
// bound to the account and forgets the address). The administrator's client reads the member's
// public key, encrypts the organization key to it and confirms (Confirmed, 2; the row holds that
// key). Only then does the member's sync carry the key, the collections and the organization's
// items. Revocation (-1) keeps the status it replaced and hides everything of the organization;
// restore brings the status back. Roles are Owner 0, Admin 1, User 2 and Custom 4 (with
// permissions).
//
// Rules live in the service, not the handlers. Every change runs in one transaction that first
// locks the organization row (LockOrganization), then loads the caller's confirmed membership,
// checks the rules (rules.go: only owners manage owners, custom members grant only what they
// have, a confirmed owner always remains, seats are checked before anything is written), writes
// the change and its audit events, and moves the account revision date of every member it affects
// so that their clients sync again. A refusal is an *httpx.Error with status 400, or 404 where the
// caller may not know the resource exists; never 401 or 403, which log an official client out.
// Email goes out after the commit, so a delivery failure never undoes a change (it is logged, and
// the invitation can be sent again).
//
// Seams for later concerns: [SSOStates] (issue 5) tells whether an organization uses SSO, which
// adds the "Finish account setup" link to invitations and fills the SSO fields of the profile;
// [Store] offers the lookups SSO provisioning needs (OrganizationByIdentifier, MemberByUser,
// MemberByEmail, InsertMembers and UpdateMember inside InTx, OccupiedSeats), and
// [Service.ValidateInviteToken] lets registration accept an invitation token. [DomainClaims]
// (issue 7, set with SetDomainClaims) tells which members' addresses are on domains the
// organization claims: such members are revoked, not removed, cannot leave, and show as claimed
// in the member lists and the profile (domains_support.go); an administrator may delete their
// whole account (claimed_delete.go).
//
// Files:
//   - model.go: [Organization], [Member], [Group], [Collection], [Event] and the official enums.
//   - store.go: the [Store] contract; sqlstore*.go its SQL implementation (migration 00004), with
//     [UserAccessQuery], the subquery of the collections a user reaches, for the vault.
//   - service.go: [Service], its options and seams, messages and the seat check.
//   - rules.go: the caller ([actor]), rights, role rules, email and grant validation.
//   - token.go: invitation tokens.
//   - organizations.go: create, read, update, delete, leave, and Profile.Organizations.
//   - invite.go: invite, reinvite and the invitation mail; accept.go: accept, confirm, public keys.
//   - members.go: revoke, restore, remove, update, and the member lists.
//   - claimed_delete.go: deleting the accounts of claimed members (delete-account).
//   - groups.go, collections.go: groups and collections with their grants.
//   - events.go: the audit log listing and the events clients report.
//   - response.go: the wire shapes; http*.go: the handlers and the route table.
package orgs
