package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/oidcrp"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/policies"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Defaults of Options.
const (
	// DefaultTokenLifetime is how long a prevalidation token stays valid: long enough for a slow
	// browser and a redirect chain (the official default of five seconds is not), short enough that
	// a leaked one is of little use. It only lets a browser start a sign-in.
	DefaultTokenLifetime = 5 * time.Minute
	// DefaultCodeLifetime is how long an authorization code waits for its client (the official
	// value); a client redeems it within seconds.
	DefaultCodeLifetime = 5 * time.Minute
	// cleanupEvery spaces the sweeps of expired flows, codes and replay records.
	cleanupEvery = time.Minute
)

// DomainClaims tells which organization holds the claim on a domain (internal/domains).
type DomainClaims interface {
	FindClaimed(ctx context.Context, name string) (domains.Domain, error)
}

// Options are the dependencies of a Service. Domains may be nil (no claimed domains).
type Options struct {
	DB       *storage.DB
	Accounts *accounts.Service
	Settings settings.Store
	RP       *oidcrp.RP
	Domains  DomainClaims
	// PublicURL is castellan's origin without a trailing slash; every URL the flow writes derives
	// from it.
	PublicURL     string
	TokenLifetime time.Duration // 0 means DefaultTokenLifetime
	CodeLifetime  time.Duration // 0 means DefaultCodeLifetime
	Clock         clock.Clock
	Rand          io.Reader
	Logger        *slog.Logger
}

// Service runs single sign-on: the configuration API, the flow from prevalidation to the
// authorization code, provisioning, and the steps after a first sign-in (set-password,
// auto-enroll status).
type Service struct {
	db        *storage.DB
	store     Store
	accounts  *accounts.Service
	rp        *oidcrp.RP
	domains   DomainClaims
	blocked   DomainBlocker // domain_block.go; nil blocks nothing
	seal      *sealer
	publicURL string
	issuer    string
	tokenTTL  time.Duration
	codeTTL   time.Duration
	clock     clock.Clock
	rand      io.Reader
	log       *slog.Logger

	cleanupMu   sync.Mutex
	lastCleanup time.Time

	saml samlState // saml.go
}

// NewService builds the service; it reads (or makes) the instance's SSO key.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = DefaultTokenLifetime
	}
	if o.CodeLifetime <= 0 {
		o.CodeLifetime = DefaultCodeLifetime
	}
	seal, err := loadSealer(ctx, o.Settings, o.Clock.Now(), o.Rand)
	if err != nil {
		return nil, err
	}
	return &Service{
		db: o.DB, store: NewStore(o.DB), accounts: o.Accounts, rp: o.RP, domains: o.Domains, seal: seal,
		publicURL: o.PublicURL, issuer: o.PublicURL + "/identity", tokenTTL: o.TokenLifetime,
		codeTTL: o.CodeLifetime, clock: o.Clock, rand: o.Rand, log: o.Logger.With("component", "sso"),
	}, nil
}

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// CallbackURL is the one OIDC redirect URI of every organization, which administrators register
// at their provider; the flow row says which organization a callback belongs to.
func (s *Service) CallbackURL() string { return s.publicURL + CallbackPath }

func (s *Service) newID() string { return uuid.Must(uuid.NewRandomFromReader(s.rand)).String() }

// config returns the organization's configuration with its client secret opened, or
// storage.ErrNotFound.
func (s *Service) config(ctx context.Context, st Store, orgID string) (*Config, error) {
	c, sealed, err := st.Config(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if sealed != "" {
		plain, err := s.seal.open(purposeClientSecret+orgID, sealed)
		if err != nil {
			return nil, fmt.Errorf("open client secret: %w", err)
		}
		c.ClientSecret = secret.String(plain)
	}
	return c, nil
}

// SSOState implements orgs.SSOStates: whether the organization signs its members in through SSO,
// with its identifier and decryption type, for invitations and profiles.
func (s *Service) SSOState(ctx context.Context, orgID string) (orgs.SSOState, error) {
	c, _, err := s.store.Config(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		return orgs.SSOState{}, nil
	}
	if err != nil {
		return orgs.SSOState{}, err
	}
	o, err := orgs.QueriesOn(s.db).Organization(ctx, orgID)
	if err != nil {
		return orgs.SSOState{}, err
	}
	required, err := policies.Enabled(ctx, s.db, orgID, policies.TypeRequireSSO)
	if err != nil {
		return orgs.SSOState{}, err
	}
	return orgs.SSOState{Enabled: c.Enabled && o.Identifier != "", Required: required, Identifier: o.Identifier,
		MemberDecryptionType: c.Data.MemberDecryptionType}, nil
}

// cleanup sweeps expired flows, codes and replay records at most once a minute per process; any
// process may do it, and a sweep that fails is only logged.
func (s *Service) cleanup(ctx context.Context) {
	now := s.clock.Now()
	s.cleanupMu.Lock()
	due := now.Sub(s.lastCleanup) >= cleanupEvery
	if due {
		s.lastCleanup = now
	}
	s.cleanupMu.Unlock()
	if !due {
		return
	}
	if err := s.store.DeleteExpired(ctx, now); err != nil {
		s.log.WarnContext(ctx, "sweep of expired sso state failed", "err", err)
	}
}
