package sso

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/provision"
	"github.com/castellan-vault/castellan/internal/storage"
)

// signIn is the result of provisioning: the decision and, unless it refused, the authorization
// code issued for the client.
type signIn struct {
	decision provision.Decision
	code     string
}

// provision runs one sign-in's provisioning in a single transaction: it locks the organization
// (so seats and memberships hold still), re-reads the configuration, gathers the records
// provision.Decide looks at, decides, performs the writes the decision names (account, membership,
// link), records its audit events, and issues the authorization code. A refusal commits only its
// events. A unique-key collision with a concurrent sign-in of the same person is retried once,
// against the records that sign-in wrote.
func (s *Service) provision(ctx context.Context, f *Flow, id provision.Identity) (signIn, error) {
	var out signIn
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		err = s.db.InTx(ctx, func(tx *storage.Tx) error {
			var txErr error
			out, txErr = s.provisionTx(ctx, tx, f, id)
			return txErr
		})
		if !errors.Is(err, storage.ErrConflict) {
			break
		}
	}
	if err != nil {
		return signIn{}, fmt.Errorf("provision: %w", err)
	}
	return out, nil
}

func (s *Service) provisionTx(ctx context.Context, tx *storage.Tx, f *Flow, id provision.Identity) (signIn, error) {
	oq, st := orgs.QueriesOn(tx), s.store.On(tx)
	o, err := oq.LockOrganization(ctx, f.OrgID)
	if err != nil {
		return signIn{}, err
	}
	c, _, err := st.Config(ctx, f.OrgID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return signIn{}, err
	}
	in := provision.Input{Identity: id, Org: provision.Org{ID: o.ID, Enabled: o.Enabled,
		SSOEnabled: c != nil && c.Enabled, Seats: o.Seats}}
	if c != nil {
		in.Org.RelinkChangedSubject = c.Data.RelinkChangedSubject
	}
	if err := s.gather(ctx, tx, oq, st, &in); err != nil {
		return signIn{}, err
	}
	d := provision.Decide(in)
	now := s.clock.Now()
	if d.Outcome == provision.Refuse {
		return signIn{decision: d}, s.recordEvents(ctx, oq, o.ID, d.Events, "", "", now)
	}
	if d.Outcome == provision.CreateUser || d.Outcome == provision.AdoptInvite {
		if err := s.refuseBlockedDomain(ctx, o.ID, id.Email); err != nil {
			return signIn{}, err
		}
	}
	userID, memberID, err := s.apply(ctx, tx, oq, st, o.ID, d, id, now)
	if err != nil {
		return signIn{}, err
	}
	if err := s.recordEvents(ctx, oq, o.ID, d.Events, userID, memberID, now); err != nil {
		return signIn{}, err
	}
	if f.ClientID == "" { // an IdP-initiated SAML sign-in: no client to issue a code to (saml.go)
		return signIn{decision: d}, nil
	}
	code, err := s.issueCode(ctx, st, f, userID, now)
	if err != nil {
		return signIn{}, err
	}
	return signIn{decision: d, code: code}, nil
}

// gather fills the records of in in the order provision.Input documents. Accounts and memberships
// are only looked up for a verified email, so that an unverified address learns nothing.
func (s *Service) gather(ctx context.Context, tx *storage.Tx, oq orgs.Queries, st Store, in *provision.Input) error {
	orgID, id := in.Org.ID, in.Identity
	if id.ExternalID == "" {
		return nil
	}
	link, err := found(st.LinkByExternalID(ctx, orgID, id.ExternalID))
	if err != nil {
		return err
	}
	if link != nil {
		in.LinkByExternalID = &provision.Link{UserID: link.UserID, ExternalID: link.ExternalID}
		in.MemberOfLinkedUser, err = member(oq.MemberByUser(ctx, orgID, link.UserID))
		return err
	}
	if id.Email == "" || !id.EmailVerified {
		return nil
	}
	u, err := found(accounts.UserByEmailIn(ctx, tx, id.Email))
	if err != nil {
		return err
	}
	if u != nil {
		in.UserByEmail = &provision.User{ID: u.ID, EmailVerified: u.EmailVerified,
			HasMasterPassword: u.HasMasterPassword()}
		l, err := found(st.LinkOfUser(ctx, orgID, u.ID))
		if err != nil {
			return err
		}
		if l != nil {
			in.LinkByUser = &provision.Link{UserID: l.UserID, ExternalID: l.ExternalID}
		}
		if in.MemberByUser, err = member(oq.MemberByUser(ctx, orgID, u.ID)); err != nil {
			return err
		}
	}
	if in.MemberByEmail, err = member(oq.MemberByEmail(ctx, orgID, id.Email)); err != nil {
		return err
	}
	if u == nil && in.MemberByEmail == nil && in.Org.Seats != nil {
		in.Org.OccupiedSeats, err = oq.OccupiedSeats(ctx, orgID)
	}
	return err
}

// found turns storage.ErrNotFound into a nil result.
func found[T any](v *T, err error) (*T, error) {
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// member converts a membership lookup into provisioning's view; a missing one is nil.
func member(m orgs.Member, err error) (*provision.Member, error) {
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &provision.Member{ID: m.ID, UserID: m.UserID, Email: m.Email, Status: provision.Status(m.Status),
		Type: provision.MemberType(m.Type)}, nil
}

// apply performs the writes of a decision that signs someone in and returns the account and the
// membership it concerns.
func (s *Service) apply(ctx context.Context, tx *storage.Tx, oq orgs.Queries, st Store, orgID string,
	d provision.Decision, id provision.Identity, now time.Time) (string, string, error) {
	switch d.Outcome {
	case provision.SignIn:
		return d.UserID, d.MemberID, nil
	case provision.LinkExisting:
		if d.ReplaceExternalID != "" {
			if err := st.DeleteLinkOfUser(ctx, orgID, d.UserID); err != nil {
				return "", "", err
			}
		}
		return d.UserID, d.MemberID, st.InsertLink(ctx, Link{OrgID: orgID, ExternalID: d.LinkExternalID,
			UserID: d.UserID, CreatedAt: now})
	case provision.CreateUser, provision.AdoptInvite:
		return s.createAccount(ctx, tx, oq, st, orgID, d, id, now)
	}
	return "", "", fmt.Errorf("unexpected outcome %s", d.Outcome)
}

// createAccount creates the account of a first sign-in, gives it its membership (a new Invited
// User membership, or the email invitation it adopts, whose role is kept) and links it. Like the
// official server, castellan counts the new account's own address as verified only when its domain
// is claimed by the organization (whether or not the provider also said it is verified): the
// provider's word is enough to create the account, not to vouch for the address elsewhere (field
// report F3).
func (s *Service) createAccount(ctx context.Context, tx *storage.Tx, oq orgs.Queries, st Store, orgID string,
	d provision.Decision, id provision.Identity, now time.Time) (string, string, error) {
	claimed := id.EmailVerifiedBy == provision.VerifiedByClaimedDomain ||
		s.claimsDomain(ctx, orgID, provision.EmailDomain(id.Email))
	u := s.accounts.NewSSOUser(id.Email, id.Name, claimed)
	if err := accounts.InsertUser(ctx, tx, u); err != nil {
		return "", "", err
	}
	var m orgs.Member
	if d.Outcome == provision.AdoptInvite {
		var err error
		if m, err = oq.Member(ctx, orgID, d.MemberID); err != nil {
			return "", "", err
		}
		m.UserID, m.Email, m.RevisionDate = u.ID, "", now
		if err := oq.UpdateMember(ctx, m); err != nil {
			return "", "", err
		}
	} else {
		m = orgs.Member{ID: s.newID(), OrganizationID: orgID, UserID: u.ID, Status: orgs.Status(d.NewMember.Status),
			Type: orgs.Role(d.NewMember.Type), CreatedAt: now, RevisionDate: now}
		if err := oq.InsertMembers(ctx, []orgs.Member{m}); err != nil {
			return "", "", err
		}
	}
	err := st.InsertLink(ctx, Link{OrgID: orgID, ExternalID: d.LinkExternalID, UserID: u.ID, CreatedAt: now})
	return u.ID, m.ID, err
}

// recordEvents writes a decision's audit events; userID and memberID fill in the ids of what the
// decision created.
func (s *Service) recordEvents(ctx context.Context, oq orgs.Queries, orgID string, evs []provision.Event,
	userID, memberID string, now time.Time) error {
	if len(evs) == 0 {
		return nil
	}
	out := make([]orgs.Event, 0, len(evs))
	for _, e := range evs {
		ev := orgs.Event{ID: s.newID(), Type: orgs.EventType(e.Type), OrganizationID: orgID,
			UserID: e.UserID, MemberID: e.MemberID, Date: now}
		if ev.UserID == "" {
			ev.UserID = userID
		}
		if ev.MemberID == "" {
			ev.MemberID = memberID
		}
		ev.ActingUserID = ev.UserID
		out = append(out, ev)
	}
	return oq.AddEvents(ctx, out)
}

// issueCode stores a new authorization code for the flow's client and returns it.
func (s *Service) issueCode(ctx context.Context, st Store, f *Flow, userID string, now time.Time) (string, error) {
	code, err := randomToken(s.rand)
	if err != nil {
		return "", err
	}
	err = st.InsertCode(ctx, Code{Hash: hashHex(code), UserID: userID, OrgID: f.OrgID, ClientID: f.ClientID,
		RedirectURI: f.RedirectURI, CodeChallenge: f.CodeChallenge, CreatedAt: now, ExpiresAt: now.Add(s.codeTTL)})
	if err != nil {
		return "", err
	}
	return code, nil
}
