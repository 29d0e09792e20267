package accounts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"time"
)

// The API key is the client secret of client_id "user.<id>" (`bw login --apikey`). It is stored as
// issued, not hashed: the clients show it again on request (POST /api/accounts/api-key), so it must
// be recoverable, and encrypting it under a key the same server holds would not keep it from anyone
// who can read both. What it unlocks is no more than the database itself holds: an API-key login
// leaves the vault locked, and the vault is client-encrypted. It is compared in constant time.

const (
	apiKeyLen      = 30
	apiKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// newAPIKey returns 30 random letters and digits (about 178 bits).
func newAPIKey(rand io.Reader) string {
	out := make([]byte, 0, apiKeyLen)
	var b [64]byte
	for len(out) < apiKeyLen {
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			panic("accounts: random source failed: " + err.Error())
		}
		for _, c := range b {
			// 62*4 = 248: bytes at or above it are dropped so every character is equally likely.
			if c < 248 && len(out) < apiKeyLen {
				out = append(out, apiKeyAlphabet[int(c)%len(apiKeyAlphabet)])
			}
		}
	}
	return string(out)
}

// constantTimeEqual compares two secrets without leaking where they differ, or their lengths.
func constantTimeEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// APIKey returns the user's API key after checking the master password hash they sent.
func (s *Service) APIKey(ctx context.Context, userID, clientHash string) (*User, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.verifyOwnPassword(u, clientHash); err != nil {
		return nil, err
	}
	return u, nil
}

// RotateAPIKey replaces the user's API key after checking the master password hash they sent. The
// old key stops working at once; access tokens already issued with it run out within their hour.
func (s *Service) RotateAPIKey(ctx context.Context, userID, clientHash string) (*User, error) {
	u, err := s.APIKey(ctx, userID, clientHash)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	key := newAPIKey(s.rand)
	if err := s.store.SetAPIKey(ctx, userID, key, now); err != nil {
		return nil, err
	}
	u.APIKey, u.RevisionDate = key, now
	s.log.InfoContext(ctx, "api key rotated", "user_id", userID)
	return u, nil
}

// apiKeyResponse is the body of /api/accounts/api-key and rotate-api-key.
type apiKeyResponse struct {
	APIKey       string    `json:"apiKey"`
	RevisionDate time.Time `json:"revisionDate"`
	Object       string    `json:"object"`
}
