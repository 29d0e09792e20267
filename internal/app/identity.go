package app

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/settings"
)

// AccountSettings are the instance's registration and login settings. The zero value is open
// registration with the default login limits.
type AccountSettings struct {
	RegistrationClosed  bool
	RegistrationDomains []string
	VerifyEmail         bool // new accounts prove their address with a link sent through Deps.Mail
	Limits              identity.Limits
	ClientIPHeader      string
	// TokenSigningAlg is the access tokens' signing algorithm; "" means identity.DefaultAlgorithm.
	TokenSigningAlg string
}

// AccountSettingsFrom takes the account settings from the server configuration.
func AccountSettingsFrom(c config.Server) AccountSettings {
	return AccountSettings{
		RegistrationClosed:  c.Registration == "closed",
		RegistrationDomains: c.RegistrationDomainList(),
		VerifyEmail:         c.RegistrationVerifyEmail && c.SMTPHost != "",
		Limits: identity.Limits{PerAccount: c.LoginFailuresPerAccount, PerAddress: c.LoginFailuresPerAddress,
			Window: c.LoginFailureWindow},
		ClientIPHeader: c.ClientIPHeader, TokenSigningAlg: c.TokenSigningAlg,
	}
}

// mountIdentity builds the account service and the identity server, sets App.Accounts,
// App.Identity and App.Verifier, and mounts the identity routes.
func (a *App) mountIdentity(ctx context.Context) error {
	d := a.deps
	var mailer accounts.VerificationMailer
	if d.Mail != nil {
		mailer = registrationMailer{sender: d.Mail, publicURL: d.PublicURL}
	}
	svc, err := accounts.NewService(accounts.Options{
		Store: accounts.SQLStore{DB: d.DB}, Settings: settings.SQLStore{DB: d.DB},
		Config: accounts.Config{RegistrationClosed: d.Accounts.RegistrationClosed,
			RegistrationDomains: d.Accounts.RegistrationDomains, PublicURL: d.PublicURL,
			VerifyEmail: d.Accounts.VerifyEmail},
		Clock: d.Clock, Rand: rand.Reader, Logger: d.Logger, Mailer: mailer,
	})
	if err != nil {
		return fmt.Errorf("build accounts: %w", err)
	}
	a.logRegistration()
	store := identity.SQLStore{DB: d.DB}
	keys, err := identity.NewKeyRing(ctx, store, d.Clock, rand.Reader, d.Accounts.TokenSigningAlg)
	if err != nil {
		return fmt.Errorf("load token signing keys: %w", err)
	}
	srv := identity.NewServer(identity.Options{
		Accounts: svc, Store: store, Keys: keys, Clock: d.Clock, Rand: rand.Reader, Logger: d.Logger,
		PublicURL: d.PublicURL, Limits: d.Accounts.Limits, ClientIPHeader: d.Accounts.ClientIPHeader,
	})
	a.Accounts, a.Identity, a.Verifier = svc, srv, srv
	svc.ClientAddress, svc.VerificationMailLimit = srv.ClientAddress, srv.LimitVerificationMail

	h := accounts.NewHandlers(svc, d.Logger)
	for _, p := range []string{"POST /identity/accounts/prelogin", "POST /identity/accounts/prelogin/password"} {
		a.mux.Handle(p, a.public(h.Prelogin))
	}
	a.mux.Handle("POST /identity/accounts/register/send-verification-email", a.public(h.SendVerificationEmail))
	a.mux.Handle("POST /identity/accounts/register/finish", a.public(h.RegisterFinish))
	a.mux.Handle("POST /identity/accounts/register", a.public(h.Register))
	a.mux.HandleFunc("POST /identity/connect/token", srv.Token)
	a.mux.Handle("GET /identity/.well-known/jwks", a.public(srv.JWKS))
	a.mux.Handle("GET /identity/.well-known/openid-configuration", a.public(srv.OpenIDConfiguration))
	return nil
}

// mountAccounts mounts the /api routes of accounts, which need the Verifier set by mountIdentity.
func (a *App) mountAccounts(context.Context) error {
	h := accounts.NewHandlers(a.Accounts, a.deps.Logger)
	a.mux.Handle("GET /api/config", a.public(h.Config))
	a.mux.Handle("GET /api/accounts/profile", a.authed(h.Profile))
	a.mux.Handle("PUT /api/accounts/profile", a.authed(h.UpdateProfile))
	a.mux.Handle("POST /api/accounts/profile", a.authed(h.UpdateProfile))
	a.mux.Handle("GET /api/accounts/revision-date", a.authed(h.RevisionDate))
	a.mux.Handle("POST /api/accounts/api-key", a.authed(h.APIKey))
	a.mux.Handle("POST /api/accounts/rotate-api-key", a.authed(h.RotateAPIKey))
	a.mux.Handle("GET /api/users/{id}/public-key", a.authed(h.PublicKey))
	return nil
}

// TODO(identity): sweep expired refresh tokens (identity.Store.DeleteExpiredRefreshTokens) and stale
// login-failure buckets hourly under storage.TryLock, once castellan has a background job runner.
