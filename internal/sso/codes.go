package sso

import (
	"context"
	"errors"

	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/storage"
)

// maxCodeLen bounds what a client may present as a code (castellan's are 43 characters).
const maxCodeLen = 256

// Errors of Exchange; the token endpoint answers every one with the same invalid_grant.
var (
	errCodeUnknown  = errors.New("authorization code unknown or already used")
	errCodeExpired  = errors.New("authorization code expired")
	errCodeClient   = errors.New("authorization code issued to another client")
	errCodeRedirect = errors.New("redirect uri differs from the authorization request's")
	errCodeVerifier = errors.New("code verifier missing or does not match the challenge")
)

// Exchange implements identity.CodeExchanger: it redeems an authorization code for the
// authorization_code grant. The code is taken out of the database first, so it is spent by the
// first presentation whatever follows (a wrong verifier cannot be retried); then it must be
// unexpired and presented by the client it was issued to, with the same redirect URI and the PKCE
// verifier of its challenge (RFC 7636 §4.6).
func (s *Service) Exchange(ctx context.Context, req identity.CodeRequest) (identity.CodeGrant, error) {
	if req.Code == "" || len(req.Code) > maxCodeLen {
		return identity.CodeGrant{}, errCodeUnknown
	}
	c, err := s.store.TakeCode(ctx, hashHex(req.Code))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, ErrConsumed) {
			return identity.CodeGrant{}, errCodeUnknown
		}
		return identity.CodeGrant{}, err
	}
	switch {
	case !s.clock.Now().Before(c.ExpiresAt):
		return identity.CodeGrant{}, errCodeExpired
	case !secret.Equal(c.ClientID, req.ClientID):
		return identity.CodeGrant{}, errCodeClient
	case !secret.Equal(c.RedirectURI, req.RedirectURI):
		return identity.CodeGrant{}, errCodeRedirect
	case !verifierMatches(req.CodeVerifier, c.CodeChallenge):
		return identity.CodeGrant{}, errCodeVerifier
	}
	u, err := s.accounts.User(ctx, c.UserID)
	if err != nil {
		return identity.CodeGrant{}, err
	}
	return identity.CodeGrant{User: u, OrgID: c.OrgID}, nil
}
