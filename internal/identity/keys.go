package identity

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/castellan-vault/castellan/internal/clock"
)

// algRS256 is the only signing algorithm castellan issues and accepts today. The alg column of
// signing_keys leaves room for others (ES256) without a migration.
const algRS256 = "RS256"

// reloadEvery bounds how often a token with an unknown kid may make the key ring re-read the
// database, so that forged kids cannot turn into a query per request.
const reloadEvery = 30 * time.Second

// KeyRing holds the keys that sign and verify access tokens. They live in the database so that
// every castellan process signs with the same key and verifies the others' tokens. The newest key
// that is not retired signs; all keys that are not retired verify and appear in the JWKS.
type KeyRing struct {
	store Store
	clock clock.Clock
	rand  io.Reader

	mu       sync.RWMutex
	keys     map[string]*rsa.PrivateKey
	public   []jose.JSONWebKey
	current  string
	newestAt time.Time
	loadedAt time.Time
}

// NewKeyRing loads the signing keys, making the first one if the database has none.
func NewKeyRing(ctx context.Context, store Store, clk clock.Clock, rand io.Reader) (*KeyRing, error) {
	kr := &KeyRing{store: store, clock: clk, rand: rand}
	if err := kr.reload(ctx); err != nil {
		return nil, err
	}
	if kr.current == "" {
		if err := kr.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

// Rotate makes a new key, which signs from now on. Older keys keep verifying until retired, so
// tokens already issued stay valid. Every process picks up the new key at its next reload.
func (kr *KeyRing) Rotate(ctx context.Context) error {
	priv, err := rsa.GenerateKey(kr.rand, 2048)
	if err != nil {
		return fmt.Errorf("make signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	kid, err := thumbprint(priv)
	if err != nil {
		return err
	}
	// The newest key signs; a key made in the same millisecond as the last one must still sort after it.
	created := kr.clock.Now()
	if last := kr.newest(); !created.After(last) {
		created = last.Add(time.Millisecond)
	}
	k := SigningKey{KID: kid, Alg: algRS256, CreatedAt: created,
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	if err := kr.store.AddSigningKey(ctx, k); err != nil {
		return err
	}
	return kr.reload(ctx)
}

// thumbprint names a key by its RFC 7638 JWK thumbprint, so that a kid says which key it is.
func thumbprint(priv *rsa.PrivateKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("signing key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func (kr *KeyRing) reload(ctx context.Context) error {
	list, err := kr.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	keys := map[string]*rsa.PrivateKey{}
	var public []jose.JSONWebKey
	current, newestAt := "", time.Time{}
	for _, k := range list {
		priv, err := parseSigningKey(k)
		if err != nil {
			return err
		}
		keys[k.KID] = priv
		public = append(public, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: k.KID, Algorithm: k.Alg, Use: "sig"})
		current, newestAt = k.KID, k.CreatedAt // oldest first: the last is the newest
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.keys, kr.public, kr.current, kr.loadedAt = keys, public, current, kr.clock.Now()
	kr.newestAt = newestAt
	return nil
}

// newest returns the creation time of the newest key, or the zero time.
func (kr *KeyRing) newest() time.Time {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.newestAt
}

func parseSigningKey(k SigningKey) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil || k.Alg != algRS256 {
		return nil, fmt.Errorf("signing key %s: not an RS256 PEM key", k.KID)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an RSA key", k.KID)
	}
	return priv, nil
}

// signer returns the current key and its kid.
func (kr *KeyRing) signer() (string, *rsa.PrivateKey) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.current, kr.keys[kr.current]
}

// verificationKey returns the public key for kid, re-reading the database (at most every
// reloadEvery) when the kid is unknown, e.g. after another process rotated.
func (kr *KeyRing) verificationKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	kr.mu.RLock()
	priv, ok := kr.keys[kid]
	stale := kr.clock.Now().Sub(kr.loadedAt) >= reloadEvery
	kr.mu.RUnlock()
	if ok {
		return &priv.PublicKey, nil
	}
	if !stale {
		return nil, errUnknownKey
	}
	if err := kr.reload(ctx); err != nil {
		return nil, err
	}
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	if priv, ok = kr.keys[kid]; !ok {
		return nil, errUnknownKey
	}
	return &priv.PublicKey, nil
}

var errUnknownKey = errors.New("unknown signing key")

// JWKS returns the public keys as a JSON Web Key Set.
func (kr *KeyRing) JWKS() jose.JSONWebKeySet {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), kr.public...)}
}
