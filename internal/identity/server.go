package identity

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/clock"
)

// Token lifetimes. The CLI refreshes once less than five minutes are left, so an hour leaves it room;
// a refresh token lives 30 days from its last use (each use issues a new one).
const (
	DefaultAccessTokenTTL  = time.Hour
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
)

// Limits bound failed logins. Each bucket counts failures in a fixed window; a bucket at its maximum
// refuses logins with 429 until its window ends.
type Limits struct {
	PerAccount int           // failures per e-mail address or API key client id in one window
	PerAddress int           // failures per client address in one window
	Window     time.Duration // the window's length

	// Verification mails (LimitVerificationMail): per recipient and per client address in one
	// MailWindow; zero means the Default* constants of ratelimit.go.
	MailsPerRecipient int
	MailsPerClient    int
	MailWindow        time.Duration
}

// DefaultLimits are 10 failures per account and 100 per address in 15 minutes.
func DefaultLimits() Limits { return Limits{PerAccount: 10, PerAddress: 100, Window: 15 * time.Minute} }

// CodeExchanger redeems an authorization code for the authorization_code grant (SSO, issue 5): it
// checks the code, its PKCE verifier, redirect URI and client, consumes the code, and returns who
// signed in. Until one is set, the grant is answered unsupported_grant_type.
type CodeExchanger interface {
	Exchange(ctx context.Context, req CodeRequest) (CodeGrant, error)
}

// CodeRequest is what the client sends with the authorization_code grant.
type CodeRequest struct {
	Code, CodeVerifier, RedirectURI, ClientID string
}

// CodeGrant is a redeemed authorization code: the user, and the organization whose provider signed
// them in.
type CodeGrant struct {
	User  *accounts.User
	OrgID string
}

// LoginPolicies lets the organization policies refuse a password login that must go through
// single sign-on instead (Require SSO, issue 7). SSORequired reports whether userID is bound, and
// the SSO identifier of the one organization that binds them ("" when none is known or several do).
type LoginPolicies interface {
	SSORequired(ctx context.Context, userID string) (required bool, identifier string, err error)
}

// Options are the dependencies of a Server.
type Options struct {
	Accounts  *accounts.Service
	Store     Store
	Keys      *KeyRing
	Clock     clock.Clock
	Rand      io.Reader
	Logger    *slog.Logger
	PublicURL string // origin without a trailing slash; the issuer is PublicURL + "/identity"
	Limits    Limits // zero fields take DefaultLimits
	// ClientIPHeader names a header set by a trusted reverse proxy with the client's address (e.g.
	// X-Forwarded-For, whose last entry is used); empty means the connection's address.
	ClientIPHeader  string
	AccessTokenTTL  time.Duration // 0 means DefaultAccessTokenTTL
	RefreshTokenTTL time.Duration // 0 means DefaultRefreshTokenTTL
}

// Server is castellan's identity server: the token endpoint, the access-token Verifier, and the
// published keys.
type Server struct {
	accounts   *accounts.Service
	store      Store
	keys       *KeyRing
	clock      clock.Clock
	rand       io.Reader
	log        *slog.Logger
	publicURL  string
	issuer     string
	limits     Limits
	ipHeader   string
	accessTTL  time.Duration
	refreshTTL time.Duration

	// Codes redeems authorization codes; nil until SSO exists (issue 5).
	Codes CodeExchanger
	// Policies refuses password logins that the Require SSO policy forbids; nil refuses none.
	Policies LoginPolicies
}

// NewServer builds the identity server.
func NewServer(o Options) *Server {
	def := DefaultLimits()
	if o.Limits.PerAccount == 0 {
		o.Limits.PerAccount = def.PerAccount
	}
	if o.Limits.PerAddress == 0 {
		o.Limits.PerAddress = def.PerAddress
	}
	if o.Limits.Window == 0 {
		o.Limits.Window = def.Window
	}
	if o.Limits.MailsPerRecipient == 0 {
		o.Limits.MailsPerRecipient = DefaultMailsPerRecipient
	}
	if o.Limits.MailsPerClient == 0 {
		o.Limits.MailsPerClient = DefaultMailsPerClient
	}
	if o.Limits.MailWindow == 0 {
		o.Limits.MailWindow = DefaultMailWindow
	}
	s := &Server{
		accounts: o.Accounts, store: o.Store, keys: o.Keys, clock: o.Clock, rand: o.Rand,
		log: o.Logger.With("component", "identity"), publicURL: o.PublicURL,
		issuer: o.PublicURL + "/identity", limits: o.Limits, ipHeader: o.ClientIPHeader,
		accessTTL: o.AccessTokenTTL, refreshTTL: o.RefreshTokenTTL,
	}
	if s.accessTTL == 0 {
		s.accessTTL = DefaultAccessTokenTTL
	}
	if s.refreshTTL == 0 {
		s.refreshTTL = DefaultRefreshTokenTTL
	}
	return s
}

// Keys returns the signing key ring (for rotation by admin tooling).
func (s *Server) Keys() *KeyRing { return s.keys }
