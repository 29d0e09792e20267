package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/settings"
)

// OrgSettings are the instance's organization settings. The zero value means invitations valid
// for orgs.DefaultInviteExpiry and unlimited seats.
type OrgSettings struct {
	InviteExpiry time.Duration
	// DefaultSeats is the seat limit of new organizations; nil means unlimited.
	DefaultSeats *int
}

// OrgSettingsFrom takes the organization settings from the server configuration.
func OrgSettingsFrom(c config.Server) OrgSettings {
	s := OrgSettings{InviteExpiry: c.InviteExpiry}
	if c.DefaultSeats > 0 {
		n := c.DefaultSeats
		s.DefaultSeats = &n
	}
	return s
}

// mountOrgs builds the organization service, sets App.Orgs, gives the account profile its
// organizations and registration the invitation check, and mounts the organization, member, group,
// collection and event routes. It needs App.Accounts and App.Verifier from mountIdentity.
func (a *App) mountOrgs(ctx context.Context) error {
	d := a.deps
	var mailer orgs.Mailer
	if d.Mail != nil {
		mailer = orgMailer{sender: d.Mail, publicURL: d.PublicURL}
	}
	svc, err := orgs.NewService(ctx, orgs.Options{
		Store: orgs.NewSQLStore(d.DB), Settings: settings.SQLStore{DB: d.DB}, Passwords: a.Accounts,
		Mailer: mailer, Config: orgs.Config{PublicURL: d.PublicURL, InviteExpiry: d.Orgs.InviteExpiry,
			DefaultSeats: d.Orgs.DefaultSeats},
		Clock: d.Clock, Rand: rand.Reader, Logger: d.Logger,
	})
	if err != nil {
		return fmt.Errorf("build organizations: %w", err)
	}
	a.Orgs = svc
	a.Accounts.ProfileOrganizations = func(ctx context.Context, userID string) ([]any, error) {
		list, err := svc.ProfileOrganizations(ctx, userID)
		out := make([]any, len(list))
		for i := range list {
			out[i] = list[i]
		}
		return out, err
	}
	a.Accounts.InviteTokens = svc.ValidateInviteToken
	h := &orgs.Handlers{Service: svc, Logger: d.Logger.With("component", "orgs"),
		IPHeader: d.Accounts.ClientIPHeader}
	for _, r := range h.Routes() {
		a.mux.Handle(r.Pattern, a.authed(r.Handler))
	}
	return nil
}

// orgMailer renders the membership messages with the mail package and sends them.
type orgMailer struct {
	sender    mail.Sender
	publicURL string
}

func (m orgMailer) SendInvite(ctx context.Context, inv orgs.Invitation) error {
	msg, err := mail.InviteMessage(mail.InviteData{
		PublicURL: m.publicURL, OrganizationID: inv.OrganizationID, OrganizationUserID: inv.MemberID,
		OrganizationName: inv.OrganizationName, Email: inv.Email, Token: inv.Token,
		UserExists: inv.UserExists,
		UsesSSO:    inv.SSO.Enabled, RequireSSO: inv.SSO.Required, SSOIdentifier: inv.SSO.Identifier,
		ExpiresAt: inv.ExpiresAt,
	})
	if err != nil {
		return fmt.Errorf("compose invitation: %w", err)
	}
	return m.sender.Send(ctx, msg)
}

func (m orgMailer) SendConfirmed(ctx context.Context, organizationName, email string) error {
	msg, err := mail.ConfirmedMessage(mail.ConfirmedData{PublicURL: m.publicURL,
		OrganizationName: organizationName, Email: email})
	if err != nil {
		return fmt.Errorf("compose confirmation notice: %w", err)
	}
	return m.sender.Send(ctx, msg)
}

// vaultOrgs gives the vault what it needs of organizations (vault.Organizations).
type vaultOrgs struct {
	svc      *orgs.Service
	ipHeader string
}

func (v vaultOrgs) CheckNewCipher(ctx context.Context, userID, orgID string,
	collectionIDs []string) error {
	return v.svc.CheckNewCipher(ctx, userID, orgID, collectionIDs)
}

func (v vaultOrgs) SyncCollections(ctx context.Context, userID string) (any, error) {
	return v.svc.UserCollections(ctx, userID)
}

func (v vaultOrgs) ExportCollections(ctx context.Context, userID, orgID string) (any, error) {
	return v.svc.ExportCollections(ctx, userID, orgID)
}

func (v vaultOrgs) PlanImport(r *http.Request, userID, orgID string,
	cols []orgs.ImportCollection) (orgs.ImportPlan, error) {
	return v.svc.PlanImport(r.Context(), userID, orgID, cols, orgs.MetaFrom(r, v.ipHeader))
}

func (v vaultOrgs) RecordClientEvents(r *http.Request, userID string,
	events []orgs.ClientEvent) error {
	_, err := v.svc.RecordClientEvents(r.Context(), userID, events, orgs.MetaFrom(r, v.ipHeader))
	return err
}
