package orgs

import (
	"context"
	"sync"
	"time"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// InviteRequest is the body of POST /api/organizations/{orgId}/users/invite.
type InviteRequest struct {
	Emails               []string        `json:"emails"`
	Type                 *Role           `json:"type"`
	Permissions          *Permissions    `json:"permissions"`
	Collections          []AccessRequest `json:"collections"`
	Groups               []string        `json:"groups"`
	AccessSecretsManager bool            `json:"accessSecretsManager"`
}

// pendingInvite is an invitation to mail once its transaction has committed.
type pendingInvite struct {
	m          Member
	userExists bool
}

// Invite invites every address of r that is not yet in the organization, in one transaction: each
// gets an Invited membership of the requested type with the collections and groups, and an audit
// event; then each gets an email with a token bound to its membership. Addresses already present
// (as an invitation or as a member's account, whatever the status) are skipped; when the request
// names a single address and it is present, the request fails. Seats are checked before anything
// is written.
func (s *Service) Invite(ctx context.Context, userID, orgID string,
	r InviteRequest, meta Meta) error {
	emails, err := normalizeEmails(r.Emails)
	if err != nil {
		return err
	}
	if r.Type == nil {
		return httpx.Invalid("Type", "The Type field is required.")
	}
	var org Organization
	var pending []pendingInvite
	err = s.store.InTx(ctx, func(q Queries) error {
		o, a, err := s.lockForMembers(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		org = o
		pending, err = s.invite(ctx, q, a, o, emails, r, meta)
		return err
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "members invited", "org_id", orgID, "user_id", userID,
		"count", len(pending), "skipped", len(emails)-len(pending))
	s.sendInvites(ctx, org, pending)
	return nil
}

// lockForMembers locks the organization and loads the caller, who must be allowed to manage users.
func (s *Service) lockForMembers(ctx context.Context, q Queries, orgID,
	userID string) (Organization, actor, error) {
	o, err := q.LockOrganization(ctx, orgID)
	if err != nil {
		return Organization{}, actor{}, storeNotFound(err)
	}
	a, err := actorIn(ctx, q, orgID, userID)
	if err != nil {
		return Organization{}, actor{}, err
	}
	if err := a.require(rightManageUsers); err != nil {
		return Organization{}, actor{}, err
	}
	return o, a, nil
}

// invite writes the invitations of a request (inside its transaction) and returns them.
func (s *Service) invite(ctx context.Context, q Queries, a actor, o Organization, emails []string,
	r InviteRequest, meta Meta) ([]pendingInvite, error) {
	var perms Permissions
	if r.Permissions != nil && *r.Type == RoleCustom {
		perms = *r.Permissions
	}
	if err := a.checkGrant(*r.Type, perms); err != nil {
		return nil, err
	}
	grants, groups, err := checkMemberLinks(ctx, q, o.ID, r.Collections, r.Groups)
	if err != nil {
		return nil, err
	}
	fresh, err := freshEmails(ctx, q, o, emails)
	if err != nil || len(fresh) == 0 {
		return nil, err
	}
	now := s.clock.Now()
	ms := make([]Member, len(fresh))
	ids := make([]string, len(fresh))
	events := make([]Event, len(fresh))
	for i, e := range fresh {
		ms[i] = Member{ID: s.newID(), OrganizationID: o.ID, Email: e, Status: StatusInvited, Type: *r.Type,
			Permissions: perms, AccessSecretsManager: r.AccessSecretsManager, CreatedAt: now, RevisionDate: now}
		ids[i] = ms[i].ID
		events[i] = s.memberEvent(EventMemberInvited, ms[i], a.userID, meta, now)
	}
	if err := q.InsertMembers(ctx, ms); err != nil {
		return nil, err
	}
	if err := q.AddMemberLinks(ctx, ids, grants, groups); err != nil {
		return nil, err
	}
	if err := q.AddEvents(ctx, events); err != nil {
		return nil, err
	}
	return pendingFor(ctx, q, ms)
}

// freshEmails returns those of emails that the organization does not have yet, after checking
// that they fit in its seats. A single address that is already present is refused.
func freshEmails(ctx context.Context, q Queries, o Organization, emails []string) ([]string, error) {
	present, err := q.PresentEmails(ctx, o.ID, emails)
	if err != nil {
		return nil, err
	}
	fresh := make([]string, 0, len(emails))
	for _, e := range emails {
		if !present[e] {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 && len(emails) == 1 {
		return nil, httpx.BadRequest(msgAlreadyInvited)
	}
	return fresh, checkSeats(ctx, q, o, len(fresh))
}

// pendingFor makes the invitations to mail for new memberships, noting which addresses already
// have an account.
func pendingFor(ctx context.Context, q Queries, ms []Member) ([]pendingInvite, error) {
	emails := make([]string, len(ms))
	for i, m := range ms {
		emails[i] = m.Email
	}
	exists, err := q.PresentUsers(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := make([]pendingInvite, len(ms))
	for i, m := range ms {
		out[i] = pendingInvite{m: m, userExists: exists[m.Email]}
	}
	return out, nil
}

// checkMemberLinks validates the collections and groups a membership is given.
func checkMemberLinks(ctx context.Context, q Queries, orgID string, colls []AccessRequest,
	groups []string) ([]Access, []string, error) {
	var grants []Access
	if len(colls) > 0 {
		known, err := collectionIDs(ctx, q, orgID)
		if err != nil {
			return nil, nil, err
		}
		if grants, err = checkAccess("Collections", colls, known); err != nil {
			return nil, nil, err
		}
	}
	var gs []string
	if len(groups) > 0 {
		known, err := groupIDs(ctx, q, orgID)
		if err != nil {
			return nil, nil, err
		}
		if gs, err = checkIDs("Groups", groups, known); err != nil {
			return nil, nil, err
		}
	}
	return grants, gs, nil
}

// Reinvite sends the invitation of Invited memberships again, with fresh tokens; earlier tokens
// stay valid until their own expiry. One id that cannot be reinvited fails a single request; in a
// bulk request (bulk true) each id gets its own result.
func (s *Service) Reinvite(ctx context.Context, userID, orgID string, ids []string,
	bulk bool) ([]BulkResult, error) {
	var org Organization
	var results []BulkResult
	var pending []pendingInvite
	err := s.store.InTx(ctx, func(q Queries) error {
		o, _, err := s.lockForMembers(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		org = o
		results, pending, err = reinvitable(ctx, q, orgID, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !bulk && (len(results) != 1 || results[0].Error != "") {
		return nil, httpx.BadRequest(msgUserInvalid)
	}
	s.sendInvites(ctx, org, pending)
	return results, nil
}

// reinvitable sorts ids into the Invited memberships to mail again and the others, with a result
// per id. A membership made by SSO provisioning has no invited address: its account's is used.
func reinvitable(ctx context.Context, q Queries, orgID string, ids []string) ([]BulkResult,
	[]pendingInvite, error) {
	ms, err := q.Members(ctx, orgID, ids)
	if err != nil {
		return nil, nil, err
	}
	found := map[string]Member{}
	for _, m := range ms {
		found[m.ID] = m
	}
	var results []BulkResult
	var again []Member
	for _, id := range ids {
		m, ok := found[id]
		if ok && m.Status == StatusInvited && m.Email == "" {
			d, err := q.MemberDetails(ctx, orgID, m.ID)
			if err == nil && d.User != nil {
				m.Email = d.User.Email
			}
		}
		if !ok || m.Status != StatusInvited || m.Email == "" {
			results = append(results, bulkResult(id, httpx.BadRequest(msgUserInvalid)))
			continue
		}
		results = append(results, bulkResult(id, nil))
		again = append(again, m)
	}
	pending, err := pendingFor(ctx, q, again)
	return results, pending, err
}

// mailWorkers bounds the invitations sent at once.
const mailWorkers = 4

// mailTimeout bounds the mailing of one request's invitations, which continues when the client
// goes away: the memberships exist already and their invitations should leave.
const mailTimeout = 5 * time.Minute

// sendInvites mails each pending invitation with a fresh token. Failures are logged without the
// address; an administrator can send the invitation again.
func (s *Service) sendInvites(ctx context.Context, o Organization, pending []pendingInvite) {
	if s.mailer == nil || len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	defer cancel()
	sso, err := s.ssoState(ctx, o.ID)
	if err != nil {
		s.log.WarnContext(ctx, "invitations not sent: sso state unknown",
			"org_id", o.ID, "err", err)
		return
	}
	work := make(chan pendingInvite)
	var wg sync.WaitGroup
	for range min(mailWorkers, len(pending)) {
		wg.Go(func() {
			for p := range work {
				if err := s.sendInvite(ctx, o, p, sso); err != nil {
					s.log.WarnContext(ctx, "invitation not sent", "org_id", o.ID, "member_id",
						p.m.ID, "err", err)
				}
			}
		})
	}
	for _, p := range pending {
		work <- p
	}
	close(work)
	wg.Wait()
}

func (s *Service) sendInvite(ctx context.Context, o Organization,
	p pendingInvite, sso SSOState) error {
	expires := s.clock.Now().Add(s.cfg.InviteExpiry)
	token, err := s.tokens.seal(p.m.ID, p.m.Email, expires)
	if err != nil {
		return err
	}
	return s.mailer.SendInvite(ctx, Invitation{OrganizationID: o.ID, OrganizationName: o.Name,
		MemberID: p.m.ID, Email: p.m.Email, Token: token, ExpiresAt: expires, UserExists: p.userExists,
		SSO: sso})
}
