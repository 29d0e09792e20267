package policies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Config holds the instance settings of policies.
type Config struct {
	// EnforceSSOForAll binds owners and admins to the Require SSO policy too (the official
	// EnforceSsoPolicyForAllUsers); by default they keep their password login, so that a broken
	// identity provider cannot lock every administrator out.
	EnforceSSOForAll bool
}

// ClaimedDomains tells whether an organization has claimed (verified) a domain: the Single
// organization policy cannot be turned off while it has (internal/domains).
type ClaimedDomains interface {
	HasClaimedDomain(ctx context.Context, orgID string) (bool, error)
}

// Options are the dependencies of a Service. SSO and Domains may be nil.
type Options struct {
	DB       *storage.DB
	Accounts *accounts.Service
	// SSO tells the organization's SSO decryption type, which some policies may not be turned off
	// under.
	SSO     orgs.SSOStates
	Domains ClaimedDomains
	Config  Config
	Clock   clock.Clock
	Rand    io.Reader
	Logger  *slog.Logger
}

// Service holds the policy rules: the policy routes, the checks the organizations and the token
// endpoint ask for, and account recovery.
type Service struct {
	db       *storage.DB
	store    Store
	accounts *accounts.Service
	sso      orgs.SSOStates
	domains  ClaimedDomains
	cfg      Config
	clock    clock.Clock
	rand     io.Reader
	log      *slog.Logger
}

// NewService builds the service.
func NewService(o Options) *Service {
	return &Service{db: o.DB, store: NewStore(o.DB), accounts: o.Accounts, sso: o.SSO, domains: o.Domains,
		cfg: o.Config, clock: o.Clock, rand: o.Rand, log: o.Logger.With("component", "policies")}
}

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

func (s *Service) newID() string { return uuid.Must(uuid.NewRandomFromReader(s.rand)).String() }

// event makes an audit event of the organization.
func (s *Service) event(typ orgs.EventType, orgID, actorID string, meta orgs.Meta) orgs.Event {
	return orgs.Event{ID: s.newID(), Type: typ, OrganizationID: orgID, ActingUserID: actorID,
		DeviceType: meta.DeviceType, IPAddress: meta.IP, Date: s.clock.Now()}
}

// memberEvent makes an audit event about a membership.
func (s *Service) memberEvent(typ orgs.EventType, m orgs.Member, actorID string, meta orgs.Meta) orgs.Event {
	e := s.event(typ, m.OrganizationID, actorID, meta)
	e.MemberID, e.UserID = m.ID, m.UserID
	return e
}

// ssoDecryption returns the organization's member decryption type (0 master password, 1 Key
// Connector, 2 trusted devices), 0 without an SSO configuration.
func (s *Service) ssoDecryption(ctx context.Context, orgID string) (int, error) {
	if s.sso == nil {
		return 0, nil
	}
	st, err := s.sso.SSOState(ctx, orgID)
	if err != nil {
		return 0, fmt.Errorf("read sso state: %w", err)
	}
	return st.MemberDecryptionType, nil
}

// Enabled reports whether the organization has policy t turned on, reading through q (a database or
// a transaction); other concerns ask it without a Service (Require SSO makes invitations carry the
// SSO identifier).
func Enabled(ctx context.Context, q storage.Querier, orgID string, t Type) (bool, error) {
	p, err := found(NewStore(q).Get(ctx, orgID, t))
	if err != nil {
		return false, err
	}
	return p != nil && p.Enabled, nil
}

// AutoEnroll reports, reading through q, whether members of the organization are enrolled in account
// recovery when they join (GET /api/organizations/{identifier}/auto-enroll-status).
func AutoEnroll(ctx context.Context, q storage.Querier, orgID string) (bool, error) {
	p, err := found(NewStore(q).Get(ctx, orgID, TypeResetPassword))
	if err != nil {
		return false, err
	}
	return p.autoEnroll(), nil
}

// found turns storage.ErrNotFound into a nil result.
func found(p Policy, err error) (*Policy, error) {
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Public messages.
const (
	msgNotFound = "Resource not found."
)

func notFound() error { return httpx.NotFound(msgNotFound) }

// storeNotFound turns a missing row into the 404 that hides it.
func storeNotFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return &httpx.Error{Status: 404, Message: msgNotFound, Cause: err}
	}
	return err
}
