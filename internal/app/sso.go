package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/oidcrp"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/sso"
)

// SSOSettings are the instance's single sign-on settings. The zero value takes the sso package's
// defaults.
type SSOSettings struct {
	// TokenLifetime is the lifetime of prevalidation tokens (CASTELLAN_SSO_TOKEN_LIFETIME).
	TokenLifetime time.Duration
	// ProviderTimeout bounds each request to an identity provider; 0 means 10 seconds.
	ProviderTimeout time.Duration
}

// SSOSettingsFrom takes the single sign-on settings from the server configuration.
func SSOSettingsFrom(c config.Server) SSOSettings {
	return SSOSettings{TokenLifetime: c.SSOTokenLifetime}
}

// mountSSO builds single sign-on, sets App.SSO, lets the identity server redeem its authorization
// codes and organizations read its state, and mounts its routes and castellan's own pages. It
// needs App.Accounts, App.Identity and App.Verifier (mountIdentity) and App.Orgs (mountOrgs).
func (a *App) mountSSO(ctx context.Context) error {
	d := a.deps
	rp := oidcrp.New(oidcrp.Options{Timeout: d.SSO.ProviderTimeout, Clock: d.Clock, Rand: rand.Reader,
		Logger: d.Logger})
	svc, err := sso.NewService(ctx, sso.Options{
		DB: d.DB, Accounts: a.Accounts, Settings: settings.SQLStore{DB: d.DB}, RP: rp,
		Domains: domains.SQLStore{DB: d.DB}, PublicURL: d.PublicURL, TokenLifetime: d.SSO.TokenLifetime,
		Clock: d.Clock, Rand: rand.Reader, Logger: d.Logger,
	})
	if err != nil {
		return fmt.Errorf("build single sign-on: %w", err)
	}
	a.SSO = svc
	a.Identity.Codes = svc
	if a.Orgs != nil {
		a.Orgs.SetSSOStates(svc)
	}
	for _, r := range svc.Routes() {
		if r.Authed {
			a.mux.Handle(r.Pattern, a.authed(r.Handler))
		} else {
			a.mux.Handle(r.Pattern, a.public(r.Handler))
		}
	}
	for _, r := range svc.PageRoutes() {
		if d.WebVaultDir != "" && slices.Contains(sso.WebVaultPages, r.Pattern) {
			continue // the web vault's own files answer there
		}
		a.mux.Handle(r.Pattern, r.Handler)
	}
	return nil
}
