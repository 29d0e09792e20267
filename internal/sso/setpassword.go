package sso

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/policies"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Messages of set-password.
const (
	msgPasswordExists = "The account already has a master password."
	msgNoOrganization = "No organization has this SSO identifier."
	msgNotMember      = "The account is not a member of this organization."
)

// SetPassword answers POST /api/accounts/set-password: an account that single sign-on created
// sets its first master password, its KDF, its wrapped user key and (if it has none) its key pair,
// in either of the two request shapes, naming the organization by its SSO identifier. In one
// transaction the password is stored (only if the account has none: refused otherwise, also against
// a concurrent request), the membership in that organization becomes Accepted if it was Invited,
// and User_ChangedPassword is recorded. An administrator then confirms the member.
func (s *Service) SetPassword(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var req accounts.SetPasswordRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	req.OrgIdentifier = strings.TrimSpace(req.OrgIdentifier)
	if req.OrgIdentifier == "" {
		return httpx.Invalid("OrgIdentifier", "The OrgIdentifier field is required.")
	}
	u, err := s.accounts.User(r.Context(), p.UserID)
	if err != nil {
		return notFoundOr(err)
	}
	if u.HasMasterPassword() {
		return httpx.BadRequest(msgPasswordExists)
	}
	ip, err := req.InitialPassword(u)
	if err != nil {
		return err
	}
	if ip, err = s.accounts.HashInitialPassword(ip); err != nil {
		return err
	}
	err = s.db.InTx(r.Context(), func(tx *storage.Tx) error {
		return s.setPassword(r.Context(), tx, u, req.OrgIdentifier, ip)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "initial master password set", "user_id", u.ID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) setPassword(ctx context.Context, tx *storage.Tx, u *accounts.User, identifier string,
	ip accounts.InitialPassword) error {
	oq := orgs.QueriesOn(tx)
	o, err := oq.OrganizationByIdentifier(ctx, identifier)
	if errors.Is(err, storage.ErrNotFound) {
		return httpx.BadRequest(msgNoOrganization)
	} else if err != nil {
		return err
	}
	if _, err := oq.LockOrganization(ctx, o.ID); err != nil {
		return err
	}
	m, err := oq.MemberByUser(ctx, o.ID, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return httpx.BadRequest(msgNotMember)
	} else if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := accounts.SetInitialPassword(ctx, tx, u.ID, ip, now); errors.Is(err, accounts.ErrPasswordSet) {
		return httpx.BadRequest(msgPasswordExists)
	} else if err != nil {
		return err
	}
	if m.Status == orgs.StatusInvited {
		m.Status, m.Email, m.RevisionDate = orgs.StatusAccepted, "", now
		if err := oq.UpdateMember(ctx, m); err != nil {
			return err
		}
	}
	return oq.AddEvents(ctx, []orgs.Event{{ID: s.newID(), Type: orgs.EventUserChangedPassword,
		OrganizationID: o.ID, ActingUserID: u.ID, UserID: u.ID, MemberID: m.ID, Date: now}})
}

// AutoEnrollStatus answers GET /api/organizations/{identifier}/auto-enroll-status, which the
// clients read before setting the master password: whether the member is enrolled in account
// recovery automatically. Only members (whatever their status) get an answer; others get 404.
func (s *Service) AutoEnrollStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	oq := orgs.QueriesOn(s.db)
	o, err := oq.OrganizationByIdentifier(r.Context(), r.PathValue("identifier"))
	if err != nil {
		return notFoundOr(err)
	}
	if _, err := oq.MemberByUser(r.Context(), o.ID, p.UserID); err != nil {
		return notFoundOr(err)
	}
	auto, err := policies.AutoEnroll(r.Context(), s.db, o.ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": o.ID, "resetPasswordEnabled": auto,
		"object": "organizationAutoEnrollStatus"})
	return nil
}
