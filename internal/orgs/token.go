package orgs

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/settings"
)

// Invitation tokens. A token is the official prefix followed by base64url(nonce ‖ AES-256-GCM
// ciphertext) of a small JSON document {membership id, email, expiry}, sealed with a 256-bit key
// that castellan makes once and keeps in the settings table, so that every castellan process on the
// database accepts the tokens of the others. GCM authenticates the document, with the prefix as
// additional data: a token that was altered, or sealed under another key, does not open. The
// clients treat the token as opaque; it travels in the Join link and comes back in the accept body.

// InviteTokenPrefix starts every invitation token, as on the official server.
const InviteTokenPrefix = "BwOrgUserInviteToken_"

// inviteTokenKeySetting names the settings row that holds the sealing key (base64).
const inviteTokenKeySetting = "orgs.invite_token_key"

// Errors of token validation. Their texts are the literal ones the clients key on.
var (
	ErrInvalidToken = errors.New(msgInvalidToken)
	ErrExpiredToken = errors.New(msgExpiredToken)
)

type tokenSealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// inviteClaims is the sealed content of a token.
type inviteClaims struct {
	MemberID string `json:"m"`
	Email    string `json:"e"`
	Expires  int64  `json:"x"` // Unix seconds
}

// loadTokenSealer reads the sealing key, making and storing one if there is none yet. Concurrent
// first starts agree on one key through PutIfAbsent.
func loadTokenSealer(ctx context.Context, st settings.Store, now time.Time,
	random io.Reader) (*tokenSealer, error) {
	fresh := make([]byte, 32)
	if _, err := io.ReadFull(random, fresh); err != nil {
		return nil, fmt.Errorf("make invitation token key: %w", err)
	}
	stored, err := st.PutIfAbsent(ctx, inviteTokenKeySetting,
		base64.StdEncoding.EncodeToString(fresh), now)
	if err != nil {
		return nil, fmt.Errorf("load invitation token key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(key) != 32 {
		return nil, errors.New("load invitation token key: the stored key is not 32 bytes of base64")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("load invitation token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("load invitation token key: %w", err)
	}
	return &tokenSealer{aead: aead, rand: random}, nil
}

// seal makes a token bound to a membership and an email, valid until expires.
func (t *tokenSealer) seal(memberID, email string, expires time.Time) (secret.String, error) {
	doc, err := json.Marshal(inviteClaims{MemberID: memberID, Email: strings.ToLower(email),
		Expires: expires.Unix()})
	if err != nil {
		return "", fmt.Errorf("seal invitation token: %w", err)
	}
	nonce := make([]byte, t.aead.NonceSize(), t.aead.NonceSize()+len(doc)+t.aead.Overhead())
	if _, err := io.ReadFull(t.rand, nonce); err != nil {
		return "", fmt.Errorf("seal invitation token: %w", err)
	}
	sealed := t.aead.Seal(nonce, nonce, doc, []byte(InviteTokenPrefix))
	return secret.String(InviteTokenPrefix + base64.RawURLEncoding.EncodeToString(sealed)), nil
}

// maxTokenLen bounds the work an attacker can make the token check do.
const maxTokenLen = 1024

// open returns a token's claims if it is one castellan sealed, or ErrInvalidToken. It does not
// check the binding or the expiry.
func (t *tokenSealer) open(token string) (inviteClaims, error) {
	body, ok := strings.CutPrefix(token, InviteTokenPrefix)
	if !ok || len(token) > maxTokenLen {
		return inviteClaims{}, ErrInvalidToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < t.aead.NonceSize()+t.aead.Overhead() {
		return inviteClaims{}, ErrInvalidToken
	}
	n := t.aead.NonceSize()
	doc, err := t.aead.Open(nil, raw[:n], raw[n:], []byte(InviteTokenPrefix))
	if err != nil {
		return inviteClaims{}, ErrInvalidToken
	}
	var c inviteClaims
	if err := json.Unmarshal(doc, &c); err != nil || c.MemberID == "" || c.Email == "" {
		return inviteClaims{}, ErrInvalidToken
	}
	return c, nil
}

// check validates a token for membership memberID invited as email (when email is "", the row is
// no longer bound to an address and only the membership is compared): ErrInvalidToken unless it is
// authentic and bound to them, then ErrExpiredToken if its time has passed. It returns the email
// the token was issued to.
func (t *tokenSealer) check(token, memberID, email string, now time.Time) (string, error) {
	c, err := t.open(token)
	if err != nil {
		return "", err
	}
	sameEmail := email == "" || secret.Equal(c.Email, strings.ToLower(email))
	if !secret.Equal(c.MemberID, memberID) || !sameEmail {
		return "", ErrInvalidToken
	}
	if !now.Before(time.Unix(c.Expires, 0)) {
		return "", ErrExpiredToken
	}
	return c.Email, nil
}

// ValidateInviteToken checks an invitation token for membership memberID, as the registration of
// an invited account does (organizationUserId and orgInviteToken): nil when the token is authentic,
// bound to that invited membership and unexpired; otherwise an error whose text is "Invalid token."
// or "Expired token.". It returns the invited email address.
func (s *Service) ValidateInviteToken(ctx context.Context, memberID, token string) (string, error) {
	m, err := s.store.MemberByID(ctx, memberID)
	if err != nil {
		return "", ErrInvalidToken
	}
	if m.Status != StatusInvited || m.Email == "" {
		return "", ErrInvalidToken
	}
	return s.tokens.check(token, m.ID, m.Email, s.clock.Now())
}
