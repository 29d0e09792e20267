package orgs

import (
	"context"
	"errors"
	"strings"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// AcceptRequest is the body of POST /api/organizations/{orgId}/users/{id}/accept.
type AcceptRequest struct {
	Token            string `json:"token"`
	ResetPasswordKey string `json:"resetPasswordKey"`
}

// Accept binds an invited membership to the caller's account: the token must be authentic, bound
// to this membership and its address, and unexpired; the membership must still be Invited; the
// caller's address must be the invited one; and the caller must not already belong to the
// organization. The membership becomes Accepted, its address is cleared (the account's is used
// from now on), and the account's address counts as verified, since the invitation reached it.
func (s *Service) Accept(ctx context.Context, userID, userEmail, orgID, memberID string,
	r AcceptRequest) error {
	if r.ResetPasswordKey != "" {
		if err := checkEnc("ResetPasswordKey", r.ResetPasswordKey, rsaTypes...); err != nil {
			return err
		}
	}
	return s.store.InTx(ctx, func(q Queries) error {
		if _, err := q.LockOrganization(ctx, orgID); err != nil {
			return storeNotFound(err)
		}
		m, err := q.Member(ctx, orgID, memberID)
		if err != nil {
			return storeNotFound(err)
		}
		if err := s.checkAccept(ctx, q, m, userID, userEmail, r.Token); err != nil {
			return err
		}
		err = s.checkPolicies(ctx, q, MembershipChange{Kind: ChangeAccept, Member: m, UserID: userID,
			ResetPasswordKey: r.ResetPasswordKey})
		if err != nil {
			return err
		}
		now := s.clock.Now()
		m.Status, m.UserID, m.Email, m.RevisionDate = StatusAccepted, userID, "", now
		if r.ResetPasswordKey != "" {
			m.ResetPasswordKey = r.ResetPasswordKey
		}
		if err := q.UpdateMember(ctx, m); err != nil {
			return err
		}
		if r.ResetPasswordKey != "" {
			ev := s.memberEvent(EventMemberResetPasswordEnroll, m, userID, Meta{}, now)
			if err := q.AddEvents(ctx, []Event{ev}); err != nil {
				return err
			}
		}
		if err := q.MarkEmailVerified(ctx, userID, now); err != nil {
			return err
		}
		return q.BumpMemberRevisions(ctx, orgID, []string{m.ID}, now)
	})
}

// checkAccept applies the acceptance rules in the official order, so that the clients see the
// same message for the same situation.
func (s *Service) checkAccept(ctx context.Context, q Queries, m Member, userID, userEmail,
	token string) error {
	invited, err := s.tokens.check(token, m.ID, m.Email, s.clock.Now())
	if err != nil {
		return &httpx.Error{Status: 400, Message: err.Error()}
	}
	mine, err := q.MemberByUser(ctx, m.OrganizationID, userID)
	switch {
	case err == nil && mine.ID == m.ID && m.Status == StatusAccepted:
		return httpx.BadRequest(msgAlreadyAccepted)
	case err == nil:
		return httpx.BadRequest(msgAlreadyMember)
	case !errors.Is(err, storage.ErrNotFound):
		return err
	}
	switch {
	case m.Status == StatusRevoked:
		return httpx.BadRequest(msgAccessRevoked)
	case m.Status != StatusInvited || m.UserID != "":
		return httpx.BadRequest(msgInviteUsed)
	case m.Email == "" || !strings.EqualFold(invited, userEmail) ||
		!strings.EqualFold(m.Email, userEmail):
		return httpx.BadRequest(msgEmailMismatch)
	}
	return nil
}

// ConfirmKey is one membership to confirm in a bulk confirmation.
type ConfirmKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// Confirm gives Accepted memberships the organization key, encrypted to each member's public key
// by the administrator's client, which makes them Confirmed. Only Accepted memberships bound to an
// account qualify. A single confirmation (bulk false) fails as a whole; a bulk one answers per id and
// commits the confirmations that passed. The member is told by email after the commit.
func (s *Service) Confirm(ctx context.Context, userID, orgID string, keys []ConfirmKey, bulk bool,
	meta Meta) ([]BulkResult, error) {
	if len(keys) == 0 {
		return nil, httpx.Invalid("Keys", "The Keys field is required.")
	}
	for _, k := range keys {
		if err := checkEnc("Key", k.Key, rsaTypes...); err != nil {
			return nil, err
		}
	}
	var org Organization
	var results []BulkResult
	var confirmed []string
	err := s.store.InTx(ctx, func(q Queries) error {
		o, a, err := s.lockForMembers(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		org = o
		results, confirmed, err = s.confirm(ctx, q, a, orgID, keys, meta)
		if err == nil && !bulk && results[0].Error != "" {
			return httpx.BadRequest(results[0].Error)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "members confirmed", "org_id", orgID, "user_id", userID,
		"count", len(confirmed))
	s.sendConfirmed(ctx, org, confirmed)
	return results, nil
}

func (s *Service) confirm(ctx context.Context, q Queries, a actor, orgID string, keys []ConfirmKey,
	meta Meta) ([]BulkResult, []string, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	ms, err := q.Members(ctx, orgID, ids)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]Member{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	now := s.clock.Now()
	var results []BulkResult
	var done, users []string
	for _, k := range keys {
		m, ok := byID[k.ID]
		if !ok || m.Status != StatusAccepted || m.UserID == "" {
			results = append(results, bulkResult(k.ID, httpx.BadRequest(msgUserNotValid)))
			continue
		}
		err := s.checkPolicies(ctx, q, MembershipChange{Kind: ChangeConfirm, Member: m, UserID: m.UserID})
		if isClientError(err) {
			results = append(results, bulkResult(k.ID, err))
			continue
		} else if err != nil {
			return nil, nil, err
		}
		m.Status, m.Key, m.Email, m.RevisionDate = StatusConfirmed, k.Key, "", now
		if err := q.UpdateMember(ctx, m); err != nil {
			return nil, nil, err
		}
		byID[m.ID] = m // a repeated id is then no longer Accepted
		ev := s.memberEvent(EventMemberConfirmed, m, a.userID, meta, now)
		if err := q.AddEvents(ctx, []Event{ev}); err != nil {
			return nil, nil, err
		}
		results = append(results, bulkResult(k.ID, nil))
		done = append(done, m.ID)
		users = append(users, m.UserID)
	}
	if err := q.BumpMemberRevisions(ctx, orgID, done, now); err != nil {
		return nil, nil, err
	}
	return results, users, nil
}

// sendConfirmed tells confirmed members by email; failures are only logged.
func (s *Service) sendConfirmed(ctx context.Context, o Organization, userIDs []string) {
	if s.mailer == nil || len(userIDs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	defer cancel()
	for _, uid := range userIDs {
		m, err := s.store.MemberByUser(ctx, o.ID, uid)
		if err == nil {
			var d MemberDetails
			if d, err = s.store.MemberDetails(ctx, o.ID, m.ID); err == nil && d.User != nil {
				err = s.mailer.SendConfirmed(ctx, o.Name, d.User.Email)
			}
		}
		if err != nil {
			s.log.WarnContext(ctx, "confirmation notice not sent", "org_id", o.ID,
				"user_id", uid, "err", err)
		}
	}
}

// PublicKeys returns the public keys of the accounts bound to memberships among ids, for the
// administrator's client to encrypt the organization key to.
func (s *Service) PublicKeys(ctx context.Context, userID, orgID string,
	ids []string) ([]MemberPublicKey, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return nil, err
	}
	if err := a.require(rightManageUsers); err != nil {
		return nil, err
	}
	out := []MemberPublicKey{}
	for _, id := range dedupe(ids) {
		d, err := s.store.MemberDetails(ctx, orgID, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if d.User == nil || d.User.PublicKey == "" {
			continue
		}
		if _, err := bwcrypto.ParsePublicKey(d.User.PublicKey); err != nil {
			continue
		}
		out = append(out, MemberPublicKey{ID: d.ID, UserID: d.UserID, Key: d.User.PublicKey,
			Object: "organizationUserPublicKeyResponseModel"})
	}
	return out, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
