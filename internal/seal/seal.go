// Package seal encrypts the secrets castellan keeps in its database with a key that is not in it
// (CASTELLAN_SEAL_KEY), so that a copy of the database alone (a backup, a dump, a stolen disk)
// does not reveal them: the keys in the settings table and the private keys that sign access
// tokens.
//
// The configured key is stretched with HKDF-SHA256 into an AES-256-GCM key and a short key id. A
// sealed value is the text
//
//	sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>
//
// and each is bound to a purpose (its additional data, e.g. the settings row it belongs to), so a
// value moved to another row does not open. The key id tells "sealed with another key" apart from
// "damaged", and leaves room for a rotation with an old and a new key.
//
// A nil *Sealer stands for "no seal key configured": it stores values as they are, and opens only
// values that are not sealed. Values that are not sealed always open as they are, so a database
// written before the key was set keeps working until its rows are sealed.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/castellan-vault/castellan/internal/secret"
)

// MinKeyLen is the shortest seal key accepted, in bytes. HKDF is no password hash: the key must
// be random (openssl rand -base64 32 gives 44 characters), and its length is the only check of that
// castellan can make.
const MinKeyLen = 32

const prefix = "sealed:v1:"

// Errors of Open. None of them carries the key or the value.
var (
	// ErrNoKey means the value is sealed and no seal key is configured.
	ErrNoKey = errors.New("the value is sealed and no seal key is configured")
	// ErrWrongKey means the value was sealed with another key.
	ErrWrongKey = errors.New("the value was sealed with another seal key")
	// ErrDamaged means the value carries this key's id but does not open: altered, truncated, or
	// moved from the row it was sealed for.
	ErrDamaged = errors.New("the sealed value does not open")
)

// Sealer seals and opens values with one seal key.
type Sealer struct {
	aead cipher.AEAD
	kid  string
	rand io.Reader
}

// New derives the sealing key from key (at least MinKeyLen bytes). random supplies nonces.
func New(key secret.String, random io.Reader) (*Sealer, error) {
	ikm := []byte(key.Reveal())
	if len(ikm) < MinKeyLen {
		return nil, fmt.Errorf("a seal key must be at least %d characters of random text "+
			"(e.g. the output of openssl rand -base64 32)", MinKeyLen)
	}
	salt := []byte("castellan seal v1")
	aesKey, err := hkdf.Key(sha256.New, ikm, salt, "castellan at-rest AES-256-GCM key", 32)
	if err != nil {
		return nil, fmt.Errorf("derive the seal key: %w", err)
	}
	id, err := hkdf.Key(sha256.New, ikm, salt, "castellan at-rest key id", 4)
	if err != nil {
		return nil, fmt.Errorf("derive the seal key id: %w", err)
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return &Sealer{aead: aead, kid: hex.EncodeToString(id), rand: random}, nil
}

// IsSealed reports whether a stored value is sealed.
func IsSealed(stored string) bool { return strings.HasPrefix(stored, prefix) }

// Seal returns plain sealed for purpose. A nil Sealer returns plain as it is.
func (s *Sealer) Seal(purpose, plain string) (string, error) {
	if s == nil {
		return plain, nil
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	body := s.aead.Seal(nonce, nonce, []byte(plain), []byte(purpose))
	return prefix + s.kid + ":" + base64.RawURLEncoding.EncodeToString(body), nil
}

// Open returns the plain value of stored, which was sealed for purpose. A value that is not sealed
// is returned as it is (it was written without a seal key).
func (s *Sealer) Open(purpose, stored string) (string, error) {
	rest, sealed := strings.CutPrefix(stored, prefix)
	if !sealed {
		return stored, nil
	}
	if s == nil {
		return "", ErrNoKey
	}
	kid, body, ok := strings.Cut(rest, ":")
	if !ok {
		return "", ErrDamaged
	}
	if kid != s.kid {
		return "", ErrWrongKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n+s.aead.Overhead() {
		return "", ErrDamaged
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return "", ErrDamaged
	}
	return string(plain), nil
}
