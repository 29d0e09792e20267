package sso

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/settings"
)

// sealKeySetting names the settings row holding the instance's SSO key (base64 of 32 bytes). Every
// castellan process on the database reads the same key, so a value sealed by one opens in another.
const sealKeySetting = "sso.seal_key"

// Purposes of sealed values; each is the additional data of its seal, so a value sealed for one
// purpose never opens as another.
const (
	purposeSSOToken     = "sso-token"
	purposeClientSecret = "client-secret:"
	purposeFlow         = "flow:"
)

// errUnsealed means a sealed value is not authentic: altered, truncated, or sealed under another key
// or for another purpose.
var errUnsealed = errors.New("sealed value does not open")

// sealer seals small values with AES-256-GCM under the instance's SSO key.
type sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// loadSealer reads the SSO key from the settings, making it the first time. Concurrent first starts
// agree on one key through PutIfAbsent.
func loadSealer(ctx context.Context, st settings.Store, now time.Time, random io.Reader) (*sealer, error) {
	fresh := make([]byte, 32)
	if _, err := io.ReadFull(random, fresh); err != nil {
		return nil, fmt.Errorf("make sso key: %w", err)
	}
	stored, err := st.PutIfAbsent(ctx, sealKeySetting, base64.StdEncoding.EncodeToString(fresh), now)
	if err != nil {
		return nil, fmt.Errorf("load sso key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(key) != 32 {
		return nil, errors.New("load sso key: the stored key is not 32 bytes of base64")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("load sso key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("load sso key: %w", err)
	}
	return &sealer{aead: aead, rand: random}, nil
}

// seal returns base64url(nonce ‖ ciphertext) of plain, bound to purpose.
func (s *sealer) seal(purpose string, plain []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(purpose))), nil
}

// open reverses seal for the same purpose, or fails with errUnsealed.
func (s *sealer) open(purpose, sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n+s.aead.Overhead() {
		return nil, errUnsealed
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return nil, errUnsealed
	}
	return plain, nil
}

// SSOTokenPrefix starts every prevalidation token, as on the official server (sic).
const SSOTokenPrefix = "BWUserPrefix_"

// maxSSOTokenLen bounds the work an attacker can make the token check do.
const maxSSOTokenLen = 1024

// ssoToken is the sealed content of a prevalidation token: the organization, its identifier as
// prevalidated (lower-case) and the expiry.
type ssoToken struct {
	OrgID      string `json:"o"`
	Identifier string `json:"i"`
	Expires    int64  `json:"x"` // Unix seconds
}

// sealSSOToken makes the token prevalidate returns.
func (s *sealer) sealSSOToken(orgID, identifier string, expires time.Time) (string, error) {
	doc, err := json.Marshal(ssoToken{OrgID: orgID, Identifier: strings.ToLower(identifier), Expires: expires.Unix()})
	if err != nil {
		return "", fmt.Errorf("seal sso token: %w", err)
	}
	body, err := s.seal(purposeSSOToken, doc)
	if err != nil {
		return "", err
	}
	return SSOTokenPrefix + body, nil
}

// Errors of checkSSOToken.
var (
	errSSOTokenInvalid = errors.New("sso token invalid")
	errSSOTokenExpired = errors.New("sso token expired")
)

// checkSSOToken accepts a token sealed by this instance for the organization orgID prevalidated
// under identifier (compared without regard to case), before its expiry.
func (s *sealer) checkSSOToken(token, orgID, identifier string, now time.Time) error {
	body, ok := strings.CutPrefix(token, SSOTokenPrefix)
	if !ok || len(token) > maxSSOTokenLen {
		return errSSOTokenInvalid
	}
	doc, err := s.open(purposeSSOToken, body)
	if err != nil {
		return errSSOTokenInvalid
	}
	var t ssoToken
	if json.Unmarshal(doc, &t) != nil || !secret.Equal(t.OrgID, orgID) ||
		!secret.Equal(t.Identifier, strings.ToLower(identifier)) {
		return errSSOTokenInvalid
	}
	if !now.Before(time.Unix(t.Expires, 0)) {
		return errSSOTokenExpired
	}
	return nil
}

// hashHex is the SHA-256 of s in hex: how flows, codes, binding cookies and replayed message ids
// are keyed, so the database never holds a value that could be presented.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// randomToken returns 32 random bytes, base64url.
func randomToken(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
