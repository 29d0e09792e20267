package accounts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
)

// ErrInvalidCredentials means an e-mail address and master password hash, or an API key, do not
// match an account. It never says which part was wrong.
var ErrInvalidCredentials = errors.New("invalid credentials")

// Config holds the instance settings accounts follow.
type Config struct {
	// RegistrationClosed refuses new accounts (CASTELLAN_REGISTRATION=closed).
	RegistrationClosed bool
	// RegistrationDomains, when not empty, limits new accounts to these e-mail domains (lower-case).
	RegistrationDomains []string
	// PublicURL is the origin clients use, without a trailing slash.
	PublicURL string
	// PasswordIterations overrides the cost of new server-side hashes; 0 means PasswordIterations.
	// Only tests lower it.
	PasswordIterations int
	// VerifyEmail makes new accounts prove their address: the registration token goes out only by
	// mail (Options.Mailer) and register/finish requires it, unless an invitation proves the address.
	VerifyEmail bool
}

// VerificationMailer delivers the link that verifies a new account's address (register.go).
type VerificationMailer interface {
	SendRegistrationVerification(ctx context.Context, email string, token secret.String,
		expires time.Time) error
}

// Options are the dependencies of a Service.
type Options struct {
	Store    Store
	Settings settings.Store
	Config   Config
	Clock    clock.Clock
	Rand     io.Reader
	Logger   *slog.Logger
	// Mailer sends the verification links; required with Config.VerifyEmail.
	Mailer VerificationMailer
}

// Service holds the account rules: registration, prelogin, credential checks, the profile and the
// API key. HTTP handlers (http.go) and the identity concern call it.
type Service struct {
	store     Store
	settings  settings.Store
	cfg       Config
	clock     clock.Clock
	rand      io.Reader
	log       *slog.Logger
	mailer    VerificationMailer
	dummyHash string

	// ProfileOrganizations lists the organization memberships shown in the profile and in sync
	// (Profile.Organizations). Organizations arrive with issue 4; until its mount sets this hook the
	// list is empty.
	ProfileOrganizations func(ctx context.Context, userID string) ([]any, error)

	// InviteTokens validates an organization invitation token for a membership and returns the
	// invited address, or an error whose text is the official "Invalid token." or "Expired token."
	// The organizations mount sets it; without it, registration ignores invitations.
	InviteTokens func(ctx context.Context, memberID, token string) (email string, err error)

	// DomainBlock refuses registrations on domains that an organization claims and closes to
	// accounts created outside its single sign-on (domain_block.go). The claimed-domain mount sets
	// it; without it, no domain is blocked.
	DomainBlock DomainBlocker

	// ClientAddress and VerificationMailLimit limit the verification mails of
	// register/send-verification-email (the identity server sets them, counting in the database
	// shared by every process): the limit counts one mail to the address from the client address and
	// returns how long to wait when a bucket is over its maximum. Without them nothing is limited.
	ClientAddress         func(r *http.Request) string
	VerificationMailLimit func(ctx context.Context, normalizedEmail, clientAddr string) (time.Duration, error)
}

// NewService builds the account service.
func NewService(o Options) (*Service, error) {
	if o.Config.PasswordIterations == 0 {
		o.Config.PasswordIterations = PasswordIterations
	}
	if o.Config.VerifyEmail && o.Mailer == nil {
		return nil, errors.New("accounts: e-mail verification needs a mailer")
	}
	s := &Service{store: o.Store, settings: o.Settings, cfg: o.Config, clock: o.Clock, rand: o.Rand,
		log: o.Logger.With("component", "accounts"), mailer: o.Mailer}
	// Unknown e-mail addresses are checked against this hash, so that they take as long as known ones.
	dummy, err := HashPassword(o.Rand, "castellan-unknown-user", o.Config.PasswordIterations)
	if err != nil {
		return nil, err
	}
	s.dummyHash = dummy
	return s, nil
}

// Store returns the service's store, for concerns that read users directly.
func (s *Service) Store() Store { return s.store }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// User returns the user with that id, or an error wrapping storage.ErrNotFound.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	return s.store.UserByID(ctx, id)
}

// CheckPassword returns the user whose e-mail address and master password hash match, or
// ErrInvalidCredentials. Unknown addresses and users without a master password cost the same hash
// as a wrong password. A match whose stored hash is cheaper than today's cost is re-hashed.
func (s *Service) CheckPassword(ctx context.Context, email, clientHash string) (*User, error) {
	email = NormalizeEmail(email)
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	stored := s.dummyHash
	if u != nil && u.HasMasterPassword() {
		stored = u.PasswordHash
	}
	tooLong := len(clientHash) > maxClientHashLen
	if tooLong {
		clientHash = clientHash[:maxClientHashLen] // still hashed: the reply takes the usual time
	}
	ok, outdated, err := VerifyPassword(stored, clientHash)
	if err != nil {
		return nil, fmt.Errorf("check password: %w", err)
	}
	if !ok || tooLong || u == nil || !u.HasMasterPassword() {
		return nil, ErrInvalidCredentials
	}
	if outdated {
		s.upgradeHash(ctx, u, clientHash)
	}
	return u, nil
}

// upgradeHash stores a hash at today's cost. A failure is logged, not returned: the login is fine.
func (s *Service) upgradeHash(ctx context.Context, u *User, clientHash string) {
	h, err := HashPassword(s.rand, clientHash, s.cfg.PasswordIterations)
	if err == nil {
		err = s.store.SetPasswordHash(ctx, u.ID, h)
	}
	if err != nil {
		s.log.WarnContext(ctx, "could not upgrade a password hash", "user_id", u.ID, "err", err)
	}
}

// CheckAPIKey returns the user whose API key (client_secret of client_id "user.<id>") matches, or
// ErrInvalidCredentials. The comparison takes constant time.
func (s *Service) CheckAPIKey(ctx context.Context, userID, secret string) (*User, error) {
	if !IsGUID(userID) {
		return nil, ErrInvalidCredentials
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if !constantTimeEqual(u.APIKey, secret) {
		return nil, ErrInvalidCredentials
	}
	return u, nil
}

// verifyOwnPassword checks the master password hash a logged-in user sends to confirm a sensitive
// action. A mismatch is a 400 with a validation message, as the official server answers.
func (s *Service) verifyOwnPassword(u *User, clientHash string) error {
	if !u.HasMasterPassword() || clientHash == "" || len(clientHash) > maxClientHashLen {
		return httpx.Invalid("MasterPasswordHash", "Invalid password.")
	}
	ok, _, err := VerifyPassword(u.PasswordHash, clientHash)
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	if !ok {
		return httpx.Invalid("MasterPasswordHash", "Invalid password.")
	}
	return nil
}

// RecordDevice creates or refreshes the device a user logged in from.
func (s *Service) RecordDevice(ctx context.Context, userID, identifier string, typ int, name string) (*Device, error) {
	now := s.clock.Now()
	return s.store.TouchDevice(ctx, Device{
		ID: s.newID(), UserID: userID, Identifier: identifier, Type: typ, Name: name,
		CreatedAt: now, LastSeenAt: now,
	})
}

// RotateSecurityStamp gives the user a new security stamp, which ends every session: access tokens
// carrying the old stamp stop verifying and refresh tokens issued under it are refused.
func (s *Service) RotateSecurityStamp(ctx context.Context, userID string) error {
	return s.store.SetSecurityStamp(ctx, userID, s.newID(), s.clock.Now())
}

func (s *Service) newID() string { return uuid.Must(uuid.NewRandomFromReader(s.rand)).String() }

// NormalizeEmail trims an e-mail address and lower-cases it, as the clients do for the KDF salt.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// IsGUID reports whether s is a lower-case canonical GUID (8-4-4-4-12 hex), the only form castellan
// writes and accepts as an id.
func IsGUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && len(s) == 36 && u.String() == s
}
