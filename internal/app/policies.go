package app

import (
	"context"
	"crypto/rand"

	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/policies"
)

// PolicySettings are the instance's policy settings. The zero value exempts owners and admins from
// Require SSO, as the official server does by default.
type PolicySettings struct {
	// EnforceSSOForAll binds owners and admins to Require SSO too.
	EnforceSSOForAll bool
}

// PolicySettingsFrom takes the policy settings from the server configuration.
func PolicySettingsFrom(c config.Server) PolicySettings {
	return PolicySettings{EnforceSSOForAll: c.SSOEnforceForAllUsers}
}

// mountPolicies builds the policy service, sets App.Policies, makes the organizations ask it before
// a membership becomes active and the token endpoint ask it before a password login, and mounts the
// policy and account recovery routes, and the policies an invitation's holder may read. It needs App.Accounts, App.Identity, App.Orgs and App.SSO.
func (a *App) mountPolicies(context.Context) error {
	d := a.deps
	svc := policies.NewService(policies.Options{
		DB: d.DB, Accounts: a.Accounts, SSO: a.SSO, Domains: claimedDomains{domains.SQLStore{DB: d.DB}},
		Config: policies.Config{EnforceSSOForAll: d.Policies.EnforceSSOForAll},
		Clock:  d.Clock, Rand: rand.Reader, Logger: d.Logger,
	})
	a.Policies = svc
	a.Orgs.SetPolicies(svc)
	a.Identity.Policies = svc
	h := &policies.Handlers{Service: svc, Logger: d.Logger.With("component", "policies"),
		IPHeader: d.Accounts.ClientIPHeader}
	for _, r := range h.Routes() {
		a.mux.Handle(r.Pattern, a.authed(r.Handler))
	}
	a.mux.Handle("GET /api/organizations/{orgId}/policies/token",
		a.public(h.InvitationHandler(a.Orgs.ValidateInviteToken)))
	return nil
}

// claimedDomains tells the policies whether an organization has claimed a domain.
type claimedDomains struct{ store domains.Store }

func (c claimedDomains) HasClaimedDomain(ctx context.Context, orgID string) (bool, error) {
	list, err := c.store.List(ctx, orgID)
	if err != nil {
		return false, err
	}
	for _, d := range list {
		if d.State.Claimed() {
			return true, nil
		}
	}
	return false, nil
}

// syncPolicies gives the vault the policies of /api/sync.
type syncPolicies struct{ svc *policies.Service }

func (s syncPolicies) SyncPolicies(ctx context.Context, userID string) (any, error) {
	return s.svc.SyncPolicies(ctx, userID)
}
