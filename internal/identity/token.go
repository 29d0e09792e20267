package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Claims are the access token's claims. The official clients read sub, email, name,
// email_verified, premium, client_id (sent back on refresh), amr ("external" marks SSO), sstamp and
// exp; castellan's Verifier reads sub, sstamp, client_id, device, scope and amr.
type Claims struct {
	jwt.Claims
	Email         string   `json:"email"`
	Name          string   `json:"name"`
	EmailVerified bool     `json:"email_verified"`
	Premium       bool     `json:"premium"`
	ClientID      string   `json:"client_id"`
	AMR           []string `json:"amr"`
	SStamp        string   `json:"sstamp"`
	Device        string   `json:"device,omitempty"`
	Scope         []string `json:"scope"`
	// OrgID is the organization whose identity provider signed an SSO user in (issue 5).
	OrgID string `json:"org_id,omitempty"`
}

// clockLeeway tolerates clocks of several castellan processes that disagree a little.
const clockLeeway = 30 * time.Second

// sign signs claims with the current key, in the ring's algorithm.
func (s *Server) sign(c Claims) (string, error) {
	kid, alg, key := s.keys.signer()
	if key == nil {
		return "", errors.New("sign access token: no signing key")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return tok, nil
}

// Verify implements auth.Verifier: the signature with a key from the database, the issuer, the
// validity window, and that the user still exists with the security stamp the token carries, so
// that a credential change ends every session at once. Every failure wraps auth.ErrInvalidToken.
func (s *Server) Verify(ctx context.Context, token string) (auth.Principal, error) {
	c, err := s.parse(ctx, token)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("%w: %w", auth.ErrInvalidToken, err)
	}
	u, err := s.accounts.User(ctx, c.Subject)
	if errors.Is(err, storage.ErrNotFound) {
		return auth.Principal{}, fmt.Errorf("%w: user is gone", auth.ErrInvalidToken)
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("verify access token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(u.SecurityStamp), []byte(c.SStamp)) != 1 {
		return auth.Principal{}, fmt.Errorf("%w: security stamp changed", auth.ErrInvalidToken)
	}
	return auth.Principal{
		UserID: u.ID, Email: u.Email, SecurityStamp: u.SecurityStamp, ClientID: c.ClientID,
		DeviceID: c.Device, Scopes: c.Scope, SSO: slices.Contains(c.AMR, amrExternal), OrgID: c.OrgID,
	}, nil
}

func (s *Server) parse(ctx context.Context, token string) (*Claims, error) {
	if len(token) > maxTokenLen {
		return nil, errors.New("token too long")
	}
	tok, err := jwt.ParseSigned(token, supportedAlgs)
	if err != nil {
		return nil, err
	}
	if len(tok.Headers) != 1 {
		return nil, errors.New("want one signature")
	}
	// The key the kid names decides the algorithm: a token is never checked with an algorithm other
	// than that of a key castellan holds (no RS256 key used as an HMAC secret, no alg swapping).
	alg, pub, err := s.keys.verificationKey(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	if tok.Headers[0].Algorithm != string(alg) {
		return nil, fmt.Errorf("token alg %q does not match its key's %s", tok.Headers[0].Algorithm, alg)
	}
	var c Claims
	if err := tok.Claims(pub, &c); err != nil {
		return nil, err
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: s.issuer, Time: s.clock.Now()}, clockLeeway); err != nil {
		return nil, err
	}
	if c.Expiry == nil || !accounts.IsGUID(c.Subject) {
		return nil, errors.New("token lacks exp or a GUID sub")
	}
	return &c, nil
}

// supportedAlgs are the algorithms the parser lets through to the key lookup, which then
// requires the one of the key the token names.
var supportedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// maxTokenLen bounds the work an attacker can make the parser do.
const maxTokenLen = 8192
