package orgs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
)

// DefaultInviteExpiry is how long an invitation token stays valid unless configured (the official
// OrganizationInviteExpirationHours default).
const DefaultInviteExpiry = 120 * time.Hour

// Config holds the instance settings of organizations.
type Config struct {
	// PublicURL is the origin clients use, for the links in invitations.
	PublicURL string
	// InviteExpiry is the lifetime of invitation tokens; zero means DefaultInviteExpiry.
	InviteExpiry time.Duration
	// DefaultSeats is the seat limit of new organizations; nil means unlimited. The instance
	// administrator changes one organization's limit with `castellan orgs set-seats`.
	DefaultSeats *int
}

// Mailer sends the messages of the membership flow. The service calls it after the change it
// reports has been committed; a failure is logged and does not undo the change.
type Mailer interface {
	SendInvite(ctx context.Context, inv Invitation) error
	SendConfirmed(ctx context.Context, organizationName, email string) error
}

// Invitation is what an invitation message needs.
type Invitation struct {
	OrganizationID   string
	OrganizationName string
	MemberID         string
	Email            string
	Token            secret.String
	ExpiresAt        time.Time
	// UserExists tells the client to offer a login rather than a registration.
	UserExists bool
	SSO        SSOState
}

// SSOState is an organization's single sign-on, as far as membership cares.
type SSOState struct {
	// Enabled: the organization has an enabled SSO configuration; invitations then carry the
	// "Finish account setup" link into its SSO login.
	Enabled bool
	// Required: the Require SSO policy is on; the Join link then carries orgSsoIdentifier.
	Required   bool
	Identifier string
	// MemberDecryptionType is 0 master password, 1 Key Connector, 2 trusted devices.
	MemberDecryptionType int
}

// SSOStates tells the SSO state of organizations. The SSO concern (issue 5) implements it; until
// then the service runs without one and every organization is without SSO.
type SSOStates interface {
	SSOState(ctx context.Context, orgID string) (SSOState, error)
}

// PasswordVerifier checks the master password hash a logged-in user sends to confirm a sensitive
// action (deleting an organization). A mismatch is an *httpx.Error with status 400.
type PasswordVerifier interface {
	VerifyMasterPassword(ctx context.Context, userID, clientHash string) error
}

// Options are the dependencies of a Service. Mailer and SSO may be nil.
type Options struct {
	Store     Store
	Settings  settings.Store
	Passwords PasswordVerifier
	Mailer    Mailer
	SSO       SSOStates
	Config    Config
	Clock     clock.Clock
	Rand      io.Reader
	Logger    *slog.Logger
}

// Service holds the rules of organizations and memberships. HTTP handlers (http*.go), the profile
// and sync, and later the SSO and SCIM concerns call it.
type Service struct {
	store     Store
	passwords PasswordVerifier
	mailer    Mailer
	sso       SSOStates
	policies  PolicyEnforcer // set by SetPolicies; nil means no policy applies
	claims    DomainClaims   // set by SetDomainClaims; nil means no account is claimed
	cfg       Config
	clock     clock.Clock
	rand      io.Reader
	log       *slog.Logger
	tokens    *tokenSealer
}

// NewService builds the service. It reads the invitation token key from the settings, making it
// the first time.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.Config.InviteExpiry == 0 {
		o.Config.InviteExpiry = DefaultInviteExpiry
	}
	tokens, err := loadTokenSealer(ctx, o.Settings, o.Clock.Now(), o.Rand)
	if err != nil {
		return nil, err
	}
	return &Service{store: o.Store, passwords: o.Passwords, mailer: o.Mailer, sso: o.SSO, cfg: o.Config,
		clock: o.Clock, rand: o.Rand, log: o.Logger.With("component", "orgs"), tokens: tokens}, nil
}

// Store returns the service's store, for concerns that read organizations directly.
func (s *Service) Store() Store { return s.store }

// Meta is where a change came from, for the audit log.
type Meta struct {
	DeviceType *int
	IP         string
}

func (s *Service) newID() string { return uuid.Must(uuid.NewRandomFromReader(s.rand)).String() }

// event makes an audit event of the organization, by actorID, with the request's origin.
func (s *Service) event(typ EventType, orgID, actorID string, meta Meta, now time.Time) Event {
	return Event{ID: s.newID(), Type: typ, OrganizationID: orgID, ActingUserID: actorID,
		DeviceType: meta.DeviceType, IPAddress: meta.IP, Date: now}
}

// memberEvent makes an audit event about membership m.
func (s *Service) memberEvent(typ EventType, m Member, actorID string,
	meta Meta, now time.Time) Event {
	e := s.event(typ, m.OrganizationID, actorID, meta, now)
	e.MemberID, e.UserID = m.ID, m.UserID
	return e
}

// ssoState returns the organization's SSO state, or the zero state without an SSO concern.
func (s *Service) ssoState(ctx context.Context, orgID string) (SSOState, error) {
	if s.sso == nil {
		return SSOState{}, nil
	}
	st, err := s.sso.SSOState(ctx, orgID)
	if err != nil {
		return SSOState{}, fmt.Errorf("read sso state: %w", err)
	}
	return st, nil
}

// Public messages. Where the official server has words for a case, these keep its meaning.
const (
	msgNotFound         = "Resource not found."
	msgUserNotFound     = "User not found."
	msgNeedOwner        = "Organization must have at least one confirmed owner."
	msgOnlyOwnersOwners = "Only an Owner can configure another Owner's account."
	msgCustomNoAdmins   = "Custom users can not manage Admins or Owners."
	msgCustomOwnPerms   = "Custom users can only grant the same custom permissions that they have."
	msgAlreadyInvited   = "This user has already been invited."
	msgUserInvalid      = "User invalid."
	msgUserNotValid     = "User not valid."
	msgInvalidToken     = "Invalid token."
	msgExpiredToken     = "Expired token."
	msgManageExclusive  = "The Manage property is mutually exclusive and cannot be true while the " +
		"ReadOnly or HidePasswords properties are also true."
	msgAlreadyRevoked  = "Already revoked."
	msgAlreadyActive   = "Already active."
	msgEmailMismatch   = "User email does not match invite."
	msgAccessRevoked   = "Your access to this organization has been revoked."
	msgAlreadyMember   = "You are already part of this organization."
	msgAlreadyAccepted = "Invitation already accepted. You will receive an email when your " +
		"organization membership is confirmed."
	msgInviteUsed        = "This invitation has already been accepted."
	msgNoSelfRevoke      = "You cannot revoke yourself."
	msgNoSelfRestore     = "You cannot restore yourself."
	msgNoSelfRemove      = "You cannot remove yourself."
	msgOwnersRevokeOwner = "Only owners can revoke other owners."
	msgOwnersRemoveOwner = "Only owners can delete other owners."
)

// notFound is the answer to a caller who may not know whether a resource exists.
func notFound() error { return httpx.NotFound(msgNotFound) }

// storeNotFound turns a missing row into a 404 and passes other errors through.
func storeNotFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return &httpx.Error{Status: 404, Message: msgNotFound, Cause: err}
	}
	return err
}

// seatsError is the refusal when a change needs more seats than the organization has.
func seatsError(seats, needed int) error {
	return httpx.BadRequest(fmt.Sprintf("This organization has %d seats and %d are needed. "+
		"The instance administrator can raise the limit (castellan orgs set-seats).", seats, needed))
}

// checkSeats refuses a change that would make the occupied seats exceed the organization's limit.
// It runs before anything of the change is written.
func checkSeats(ctx context.Context, q Queries, org Organization, adding int) error {
	if org.Seats == nil || adding <= 0 {
		return nil
	}
	used, err := q.OccupiedSeats(ctx, org.ID)
	if err != nil {
		return err
	}
	if used+adding > *org.Seats {
		return seatsError(*org.Seats, used+adding)
	}
	return nil
}

// publicMessage is the client-safe text of an error: the message of an *httpx.Error, else a
// generic one (the cause goes only to the log).
func publicMessage(err error) string {
	var he *httpx.Error
	if errors.As(err, &he) {
		return he.Message
	}
	return "An error has occurred."
}

// isClientError reports whether err is a refusal to show the client, as opposed to a failure.
func isClientError(err error) bool {
	var he *httpx.Error
	return errors.As(err, &he) && he.Status < 500
}
