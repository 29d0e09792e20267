package orgs

import (
	"context"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// This file holds what claimed domains (internal/domains, issue 7) need from organizations, and
// what a claim means to them. An organization that has verified an email domain claims the
// accounts of its members on that domain (behaviour reference §6.4): an administrator may revoke
// such a member or delete the account, but not remove the member, and the member cannot leave.

// DomainClaims tells which addresses an organization claims through its verified domains. The
// domains concern implements it; without one, no account is claimed.
type DomainClaims interface {
	// ClaimedEmails returns those of emails whose domain the organization claims.
	ClaimedEmails(ctx context.Context, orgID string, emails []string) (map[string]bool, error)
}

// SetDomainClaims makes the service apply the claimed-account rules with c. It is called once,
// while the application is being wired, before the service serves requests.
func (s *Service) SetDomainClaims(c DomainClaims) { s.claims = c }

// Refusals of the claimed-account rules.
const (
	msgClaimedRemove = "This member's account is claimed by the organization through its verified " +
		"domain, so the member cannot be removed. Revoke the member, or delete the account instead."
	msgClaimedLeave = "This organization claims your account through its verified domain, so you " +
		"cannot leave it. Contact an administrator of the organization."
)

// RequireDomainRights checks that userID may manage the organization's claimed domains (manage:
// add, verify, delete, read one), or list them: a confirmed owner or admin, or a confirmed custom
// member with manageSso, and for listing also one with managePolicies, as on the official server.
// Anyone else gets the 404 that hides the organization.
func RequireDomainRights(ctx context.Context, q Queries, orgID, userID string, manage bool) error {
	a, err := actorIn(ctx, q, orgID, userID)
	if err != nil {
		return err
	}
	if a.can(rightManageSso) || !manage && a.can(func(p Permissions) bool { return p.ManagePolicies }) {
		return nil
	}
	return notFound()
}

// DomainAdmins returns the organization's name and the addresses of those to warn about its
// domains: confirmed owners and admins, and confirmed custom members with manageSso.
func DomainAdmins(ctx context.Context, q Queries, orgID string) (string, []string, error) {
	o, err := q.Organization(ctx, orgID)
	if err != nil {
		return "", nil, err
	}
	list, err := q.ListMembers(ctx, orgID)
	if err != nil {
		return "", nil, err
	}
	var emails []string
	for _, d := range list {
		a := actor{userID: d.UserID, m: d.Member}
		if d.Status == StatusConfirmed && d.User != nil && d.User.Email != "" && a.can(rightManageSso) {
			emails = append(emails, d.User.Email)
		}
	}
	return o.Name, emails, nil
}

// claimedMember reports whether the organization claims m's account: the organization is enabled,
// m is bound to an account and Accepted, Confirmed or Revoked, and the account's address is on a
// domain the organization claims (the official rule; an Invited membership, such as a provisioned
// member who has not set a password yet, is not claimed).
func (s *Service) claimedMember(ctx context.Context, q Queries, o Organization, m Member) (bool, error) {
	if s.claims == nil || !o.Enabled || m.UserID == "" ||
		m.Status != StatusAccepted && m.Status != StatusConfirmed && m.Status != StatusRevoked {
		return false, nil
	}
	d, err := q.MemberDetails(ctx, o.ID, m.ID)
	if err != nil || d.User == nil {
		return false, err
	}
	got, err := s.claims.ClaimedEmails(ctx, o.ID, []string{d.User.Email})
	return got[d.User.Email], err
}

// refuseClaimed fails with msg when the organization claims m's account.
func (s *Service) refuseClaimed(ctx context.Context, q Queries, o Organization, m Member, msg string) error {
	claimed, err := s.claimedMember(ctx, q, o, m)
	if err != nil {
		return err
	}
	if claimed {
		return httpx.BadRequest(msg)
	}
	return nil
}

// markClaimed sets ClaimedByOrganization on the member list entries whose account's address is on
// a domain the organization claims, whatever the membership's status (the member list's looser
// reading, as on the official server).
func (s *Service) markClaimed(ctx context.Context, orgID string, list []MemberDetails, out []MemberResponse) error {
	if s.claims == nil {
		return nil
	}
	var emails []string
	for _, d := range list {
		if d.User != nil && d.User.Email != "" {
			emails = append(emails, d.User.Email)
		}
	}
	claimed, err := s.claims.ClaimedEmails(ctx, orgID, emails)
	if err != nil {
		return err
	}
	for i, d := range list {
		out[i].ClaimedByOrganization = d.User != nil && claimed[d.User.Email]
	}
	return nil
}
