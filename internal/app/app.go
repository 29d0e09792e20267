// Package app wires castellan together: it builds every concern's service from the shared
// dependencies and mounts their routes on one origin, with the self-hosted Bitwarden path layout.
//
//	/identity/...      prelogin, registration, the token endpoint, SSO prevalidation and authorize
//	/api/...           accounts, sync, ciphers, organizations, members, policies, SSO configuration,
//	                   claimed domains
//	/sso/...           per-organization OIDC callbacks, SAML metadata and assertion consumer service
//	/scim/v2/...       SCIM 2.0
//	/events/...        event intake
//	/notifications/... live-sync hub
//	/                  castellan's own pages, or an official web vault (CASTELLAN_WEB_VAULT_DIR)
//
// This is the one place where dependencies are chosen; packages take theirs as constructor arguments.
// Background jobs (the re-verification of claimed domains) are registered by the mounts and run by
// StartJobs (jobs.go), which `castellan serve` calls.
package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/policies"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/sso"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/webvault"
)

// Deps are what every part of castellan may depend on.
type Deps struct {
	Logger       *slog.Logger
	Clock        clock.Clock
	DB           *storage.DB
	PublicURL    string // origin without a trailing slash, e.g. https://vault.example.com
	MaxBodyBytes int64
	DataDir      string
	// Accounts holds the registration and login settings (identity.go).
	Accounts AccountSettings
	// Orgs holds the organization settings (orgs.go).
	Orgs OrgSettings
	// Mail delivers invitations and notices; nil sends none (tests).
	Mail mail.Sender
	// SSO holds the single sign-on settings (sso.go).
	SSO SSOSettings
	// Policies holds the policy settings (policies.go).
	Policies PolicySettings
	// Domains holds the claimed-domain settings (domains.go).
	Domains DomainSettings
	// WebVaultDir, when set, is a folder with an official web vault build that castellan serves at /
	// (internal/webvault); its pages then replace castellan's own at /.
	WebVaultDir string
}

// App is a wired castellan. Each concern is wired in its own file of this package (identity.go,
// vault.go, ...) by a mount function listed in New; services that other concerns need are fields here.
type App struct {
	deps Deps
	mux  *http.ServeMux
	// InstanceID identifies this installation; it is made once and kept in the database.
	InstanceID string
	// Verifier checks access tokens for routes that need a caller (set by the identity mount).
	Verifier auth.Verifier
	// Accounts is the account service (set by the identity mount); the vault uses its SyncProfile.
	Accounts *accounts.Service
	// Identity is the identity server (set by the identity mount).
	Identity *identity.Server
	// Orgs is the organization service (set by the organization mount).
	Orgs *orgs.Service
	// SSO is single sign-on (set by the SSO mount); it also serves castellan's own pages at /.
	SSO *sso.Service
	// Policies is the policy service (set by the policy mount).
	Policies *policies.Service
	// Domains is the claimed-domain service (set by the domain mount).
	Domains *domains.Service

	// jobs are the background jobs the mounts registered; StartJobs (jobs.go) runs them.
	jobs []func(ctx context.Context)
}

// New builds the application.
func New(ctx context.Context, d Deps) (*App, error) {
	a := &App{deps: d, mux: http.NewServeMux()}
	if err := a.routes(); err != nil {
		return nil, err
	}
	id, err := settings.SQLStore{DB: d.DB}.PutIfAbsent(ctx, "instance_id",
		uuid.Must(uuid.NewRandomFromReader(rand.Reader)).String(), d.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("read instance id: %w", err)
	}
	a.InstanceID = id
	// Concern mounts, in dependency order: a mount may use what earlier ones set on App.
	mounts := []func(ctx context.Context) error{a.mountIdentity, a.mountAccounts, a.mountOrgs, a.mountSSO,
		a.mountPolicies, a.mountDomains, a.mountVault}
	for _, mount := range mounts {
		if err := mount(ctx); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// authed wraps h so that it runs only for a valid access token.
func (a *App) authed(h httpx.Handler) http.Handler {
	return auth.Require(a.Verifier, httpx.Handle(a.deps.Logger, h))
}

// public wraps h for routes that need no caller.
func (a *App) public(h httpx.Handler) http.Handler {
	return httpx.Handle(a.deps.Logger, h)
}

// Handler returns the root handler with the middleware chain.
func (a *App) Handler() http.Handler {
	log := a.deps.Logger.With("component", "http")
	return httpx.Chain(a.mux,
		httpx.RequestID(),
		httpx.AccessLog(log, a.deps.Clock.Now),
		httpx.Recover(log),
		tokenBodyLimit(a.deps.MaxBodyBytes),
		httpx.LimitBody(a.deps.MaxBodyBytes),
		securityHeaders,
	)
}

func (a *App) routes() error {
	alive := httpx.Handle(a.deps.Logger, a.alive)
	for _, p := range []string{"GET /alive", "GET /api/alive", "GET /identity/alive"} {
		a.mux.Handle(p, alive)
	}
	notFound := httpx.Handle(a.deps.Logger, func(http.ResponseWriter, *http.Request) error {
		return httpx.NotFound("Resource not found.")
	})
	for _, p := range []string{"/identity/", "/api/", "/sso/", "/scim/v2/", "/events/", "/notifications/"} {
		a.mux.Handle(p, notFound)
	}
	// The token endpoint answers POST (mountIdentity); any other method gets the OAuth shape too.
	a.mux.HandleFunc(tokenPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		identity.WriteRequestError(w, http.StatusMethodNotAllowed, "The token endpoint accepts POST only.")
	})
	if a.deps.WebVaultDir == "" {
		a.mux.Handle("/", notFound)
		return nil
	}
	vault, err := webvault.New(a.deps.WebVaultDir, notFound)
	if err != nil {
		return err
	}
	a.mux.Handle("/", vault)
	a.deps.Logger.Info("serving the web vault", "dir", a.deps.WebVaultDir)
	return nil
}

// tokenPath is the token endpoint, whose errors the clients read in the OAuth shape.
const tokenPath = "/identity/connect/token"

// tokenBodyLimit refuses a token request whose declared body is over the server's limit with the
// OAuth error the clients parse there, before httpx.LimitBody would answer in the API's shape. A
// body without a declared length is cut by the endpoint's own smaller limit, in the same shape.
func tokenBodyLimit(n int64) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == tokenPath && r.ContentLength > n {
				identity.WriteRequestError(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// alive answers health checks with the server time, as the official server does.
func (a *App) alive(w http.ResponseWriter, _ *http.Request) error {
	httpx.WriteJSON(w, http.StatusOK, a.deps.Clock.Now().UTC().Format(time.RFC3339Nano))
	return nil
}

// securityHeaders sets headers that every response should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
