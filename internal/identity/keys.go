package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/castellan-vault/castellan/internal/clock"
)

// The algorithms castellan can sign access tokens with (CASTELLAN_TOKEN_SIGNING_ALG). The alg
// column of signing_keys says which one each stored key is for.
const (
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys
	AlgES256 = "ES256" // ECDSA on P-256 with SHA-256
	AlgEdDSA = "EdDSA" // Ed25519 (RFC 8037)
)

// DefaultAlgorithm signs access tokens unless configured otherwise.
//
// EdDSA, because signing dominates the cryptography of a login and the official clients never
// look at the signature: they decode the token's payload for sub, email, exp and the like and
// leave verification to the server (decodeJwtTokenToJson in bitwarden/clients, the same in the
// mobile apps). A token is signed at every login, at every hourly refresh, and at every full sync
// (the clients refresh first). Measured on one core (internal/sso BenchmarkCryptoCeiling,
// internal/identity BenchmarkVerify and BenchmarkRefresh): signing costs about 1.1 ms with RS256
// against 50 to 70 µs with ES256 or EdDSA; checking a token, which every API request does (there
// is no cache of verified tokens), costs about 40 to 70 µs with RS256, 85 to 125 µs with ES256 and
// 60 to 105 µs with EdDSA. So EdDSA saves about 1 ms per signed token and costs some 20 to 35 µs
// more per request than RS256: it pays back unless one token serves more than thirty to fifty
// requests, and SSO logins end to end go from about 5.4 to 3.6 ms on SQLite. ES256 saves as much
// per login but costs more per request. RS256 stays available for tooling that only knows RSA.
const DefaultAlgorithm = AlgEdDSA

// Algorithms lists the supported signing algorithms.
func Algorithms() []string { return []string{AlgRS256, AlgES256, AlgEdDSA} }

// reloadEvery bounds how often a token with an unknown kid may make the key ring re-read the
// database, so that forged kids cannot turn into a query per request.
const reloadEvery = 30 * time.Second

// KeyRing holds the keys that sign and verify access tokens. They live in the database so that
// every castellan process signs with the same key and verifies the others' tokens.
//
// The ring signs with the newest unretired key of its configured algorithm. Every unretired key,
// whatever its algorithm, verifies and appears in the JWKS, so that changing the algorithm (or a
// rotation) never invalidates tokens already issued: they stay valid until they expire. A token is
// accepted only with the algorithm of the stored key its kid names.
type KeyRing struct {
	store Store
	clock clock.Clock
	rand  io.Reader
	alg   string // the algorithm new tokens are signed with

	mu       sync.RWMutex
	keys     map[string]ringKey
	public   []jose.JSONWebKey
	current  string // kid of the newest key of alg, or ""
	newestAt time.Time
	loadedAt time.Time
}

// ringKey is one stored key, parsed.
type ringKey struct {
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
	pub  crypto.PublicKey
}

// NewKeyRing loads the signing keys and makes a key of alg (one of [Algorithms]; "" means
// [DefaultAlgorithm]) if the database holds none.
func NewKeyRing(ctx context.Context, store Store, clk clock.Clock, rand io.Reader,
	alg string) (*KeyRing, error) {
	if alg == "" {
		alg = DefaultAlgorithm
	}
	if !slices.Contains(Algorithms(), alg) {
		return nil, fmt.Errorf("token signing algorithm %q: want one of %v", alg, Algorithms())
	}
	kr := &KeyRing{store: store, clock: clk, rand: rand, alg: alg}
	if err := kr.reload(ctx); err != nil {
		return nil, err
	}
	if kr.signingKID() == "" {
		if err := kr.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

// Algorithm returns the algorithm new tokens are signed with.
func (kr *KeyRing) Algorithm() string { return kr.alg }

// Rotate makes a new key of the ring's algorithm, which signs from now on. Older keys keep
// verifying until retired, so tokens already issued stay valid. Every process configured with the
// same algorithm picks up the new key at its next reload.
func (kr *KeyRing) Rotate(ctx context.Context) error {
	priv, err := newSigningKey(kr.alg, kr.rand)
	if err != nil {
		return fmt.Errorf("make %s signing key: %w", kr.alg, err)
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
	k := SigningKey{KID: kid, Alg: kr.alg, CreatedAt: created,
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	if err := kr.store.AddSigningKey(ctx, k); err != nil {
		return err
	}
	return kr.reload(ctx)
}

// newSigningKey makes a private key for alg.
func newSigningKey(alg string, rand io.Reader) (crypto.Signer, error) {
	switch alg {
	case AlgRS256:
		return rsa.GenerateKey(rand, 2048)
	case AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand)
	case AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}

// thumbprint names a key by its RFC 7638 JWK thumbprint, so that a kid says which key it is.
func thumbprint(priv crypto.Signer) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
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
	keys := map[string]ringKey{}
	var public []jose.JSONWebKey
	current, newestAt := "", time.Time{}
	for _, k := range list { // oldest first: the last of each algorithm is its newest
		priv, err := parseSigningKey(k)
		if err != nil {
			return err
		}
		keys[k.KID] = ringKey{alg: jose.SignatureAlgorithm(k.Alg), priv: priv, pub: priv.Public()}
		public = append(public, jose.JSONWebKey{Key: keys[k.KID].pub, KeyID: k.KID, Algorithm: k.Alg, Use: "sig"})
		if k.Alg == kr.alg {
			current = k.KID
		}
		newestAt = k.CreatedAt
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.keys, kr.public, kr.current, kr.loadedAt = keys, public, current, kr.clock.Now()
	kr.newestAt = newestAt
	return nil
}

// newest returns the creation time of the newest key of any algorithm, or the zero time.
func (kr *KeyRing) newest() time.Time {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.newestAt
}

// parseSigningKey reads a stored key and checks that it is the kind of key its alg names.
func parseSigningKey(k SigningKey) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("signing key %s: not a PEM key", k.KID)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	ok := false
	switch priv := key.(type) {
	case *rsa.PrivateKey:
		ok = k.Alg == AlgRS256 && priv.N.BitLen() >= 2048
	case *ecdsa.PrivateKey:
		ok = k.Alg == AlgES256 && priv.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		ok = k.Alg == AlgEdDSA
	}
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a key for %q", k.KID, k.Alg)
	}
	return key.(crypto.Signer), nil
}

// signingKID returns the kid of the key that signs, or "".
func (kr *KeyRing) signingKID() string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.current
}

// signer returns the current key, its kid and its algorithm.
func (kr *KeyRing) signer() (string, jose.SignatureAlgorithm, crypto.Signer) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	k := kr.keys[kr.current]
	return kr.current, k.alg, k.priv
}

// verificationKey returns the public key for kid and the one algorithm it verifies, re-reading the
// database (at most every reloadEvery) when the kid is unknown, e.g. after another process rotated
// or was configured with another algorithm.
func (kr *KeyRing) verificationKey(ctx context.Context,
	kid string) (jose.SignatureAlgorithm, crypto.PublicKey, error) {
	kr.mu.RLock()
	k, ok := kr.keys[kid]
	stale := kr.clock.Now().Sub(kr.loadedAt) >= reloadEvery
	kr.mu.RUnlock()
	if ok {
		return k.alg, k.pub, nil
	}
	if !stale {
		return "", nil, errUnknownKey
	}
	if err := kr.reload(ctx); err != nil {
		return "", nil, err
	}
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	if k, ok = kr.keys[kid]; !ok {
		return "", nil, errUnknownKey
	}
	return k.alg, k.pub, nil
}

var errUnknownKey = errors.New("unknown signing key")

// HeldAlgorithms returns the algorithms of the keys the ring holds, the signing one first.
func (kr *KeyRing) HeldAlgorithms() []string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := []string{kr.alg}
	for _, k := range kr.public {
		if !slices.Contains(out, k.Algorithm) {
			out = append(out, k.Algorithm)
		}
	}
	return out
}

// JWKS returns the public keys as a JSON Web Key Set.
func (kr *KeyRing) JWKS() jose.JSONWebKeySet {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), kr.public...)}
}
