package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// This file holds what single sign-on (internal/sso) needs from accounts: reading and creating users
// inside the SSO concern's own transactions (provisioning writes the user, the membership, the link
// and the events in one), and the first master password of an account that SSO created.

// ErrPasswordSet means the account already has a master password, so an initial one is refused.
var ErrPasswordSet = errors.New("account already has a master password")

// InsertUser inserts u through q, a database or a transaction. Its e-mail address must already be
// normalised; a taken address is storage.ErrConflict.
func InsertUser(ctx context.Context, q storage.Querier, u *User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, nullString(u.Name), u.EmailVerified, nullString(u.PasswordHash), nullString(u.Hint),
		int(u.KDF.Kind), u.KDF.Iterations, nullInt(u.KDF.MemoryMiB), nullInt(u.KDF.Parallelism),
		nullString(u.Key), nullString(u.PublicKey), nullString(u.PrivateKey), u.SecurityStamp,
		u.APIKey, u.Culture, nullString(u.AvatarColor), u.Premium, u.ForcePasswordReset,
		storage.Millis(u.CreatedAt), storage.Millis(u.RevisionDate), storage.Millis(u.AccountRevisionDate))
	if err != nil {
		return fmt.Errorf("insert user: %w", storage.MapError(err))
	}
	return nil
}

// UserByEmailIn reads the user with that normalised address through q.
func UserByEmailIn(ctx context.Context, q storage.Querier, email string) (*User, error) {
	return userWhereIn(ctx, q, `email = ?`, email)
}

// UserByIDIn reads the user with that id through q.
func UserByIDIn(ctx context.Context, q storage.Querier, id string) (*User, error) {
	return userWhereIn(ctx, q, `id = ?`, id)
}

func userWhereIn(ctx context.Context, q storage.Querier, where string, arg any) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if err != nil {
		return nil, fmt.Errorf("read user: %w", storage.MapError(err))
	}
	return u, nil
}

// NewSSOUser makes (without storing) the account of a person whom an organization's identity
// provider signed in for the first time: no master password and no keys yet (the client sets them
// with set-password), the instance's default KDF, and a fresh id, security stamp and API key.
func (s *Service) NewSSOUser(email, name string, emailVerified bool) *User {
	now := s.clock.Now()
	name = httpx.TruncateText(name, maxNameLen)
	return &User{
		ID: s.newID(), Email: NormalizeEmail(email), Name: name, EmailVerified: emailVerified,
		KDF: bwcrypto.DefaultKDF(), SecurityStamp: s.newID(), APIKey: newAPIKey(s.rand), Culture: "en-US",
		Premium: true, CreatedAt: now, RevisionDate: now, AccountRevisionDate: now,
	}
}

// InitialPassword is the first master password of an account, as set-password sends it: the
// client's master password hash (Hash; the server hashes it again before storing, see
// Service.HashInitialPassword), the KDF, the user key wrapped by the master key, and the RSA key
// pair when the account has none yet.
type InitialPassword struct {
	Hash       string
	Hint       string
	KDF        bwcrypto.KDF
	Key        string
	PublicKey  string
	PrivateKey string
}

// SetPasswordRequest is the body of POST /api/accounts/set-password. It accepts both shapes the
// clients send: the legacy top-level fields (masterPasswordHash, key, keys, kdf...) and the
// masterPasswordAuthentication / masterPasswordUnlock / accountKeys objects.
type SetPasswordRequest struct {
	OrgIdentifier      string      `json:"orgIdentifier"`
	MasterPasswordHint string      `json:"masterPasswordHint"`
	MasterPasswordHash string      `json:"masterPasswordHash"`
	Key                string      `json:"key"`
	Keys               *keysFields `json:"keys"`
	Kdf                *int        `json:"kdf"`
	KdfIterations      *int        `json:"kdfIterations"`
	KdfMemory          *int        `json:"kdfMemory"`
	KdfParallelism     *int        `json:"kdfParallelism"`

	MasterPasswordAuthentication *struct {
		Salt                             string     `json:"salt"`
		Kdf                              *kdfFields `json:"kdf"`
		MasterPasswordAuthenticationHash string     `json:"masterPasswordAuthenticationHash"`
	} `json:"masterPasswordAuthentication"`
	MasterPasswordUnlock *struct {
		Salt                    string     `json:"salt"`
		Kdf                     *kdfFields `json:"kdf"`
		MasterKeyWrappedUserKey string     `json:"masterKeyWrappedUserKey"`
	} `json:"masterPasswordUnlock"`
	AccountKeys *struct {
		UserKeyEncryptedAccountPrivateKey string `json:"userKeyEncryptedAccountPrivateKey"`
		AccountPublicKey                  string `json:"accountPublicKey"`
		PublicKeyEncryptionKeyPair        *struct {
			WrappedPrivateKey string `json:"wrappedPrivateKey"`
			PublicKey         string `json:"publicKey"`
		} `json:"publicKeyEncryptionKeyPair"`
	} `json:"accountKeys"`
}

// InitialPassword checks the request for the account u and returns what to store: both shapes
// are read, and where both are given they must agree; the salt must be the account's normalised
// address; the KDF must be within the clients' limits; every key must be a well-formed EncString;
// and an account without a key pair must send one.
func (q *SetPasswordRequest) InitialPassword(u *User) (InitialPassword, error) {
	reg := registerRequest{
		Email: u.Email, MasterPasswordHash: q.MasterPasswordHash, MasterPasswordHint: q.MasterPasswordHint,
		Key: q.Key, Keys: q.Keys, Kdf: q.Kdf, KdfIterations: q.KdfIterations, KdfMemory: q.KdfMemory,
		KdfParallelism:               q.KdfParallelism,
		MasterPasswordAuthentication: q.MasterPasswordAuthentication,
		MasterPasswordUnlock:         q.MasterPasswordUnlock,
	}
	if ak := q.AccountKeys; ak != nil && q.Keys == nil {
		pub, priv := ak.AccountPublicKey, ak.UserKeyEncryptedAccountPrivateKey
		if pair := ak.PublicKeyEncryptionKeyPair; pair != nil {
			pub, priv = firstNonEmpty(pub, pair.PublicKey), firstNonEmpty(priv, pair.WrappedPrivateKey)
		}
		reg.Keys = &keysFields{PublicKey: pub, EncryptedPrivateKey: priv}
	}
	r, err := reg.registration(false)
	if err != nil {
		return InitialPassword{}, err
	}
	if u.PublicKey == "" && (r.PublicKey == "" || r.EncryptedPrivKey == "") {
		return InitialPassword{}, httpx.Invalid("Keys", "The account has no key pair yet: send keys.")
	}
	if u.PublicKey != "" && r.PublicKey != "" && r.PublicKey != u.PublicKey {
		return InitialPassword{}, httpx.Invalid("Keys", "The account already has another key pair.")
	}
	if err := checkRegistration(r); err != nil {
		return InitialPassword{}, err
	}
	return InitialPassword{Hash: r.MasterPasswordHash, Hint: r.Hint, KDF: r.KDF, Key: r.Key,
		PublicKey: r.PublicKey, PrivateKey: r.EncryptedPrivKey}, nil
}

// HashInitialPassword replaces p.Hash, the client's master password hash, with the server's hash of
// it, at the instance's cost.
func (s *Service) HashInitialPassword(p InitialPassword) (InitialPassword, error) {
	h, err := HashPassword(s.rand, p.Hash, s.cfg.PasswordIterations)
	if err != nil {
		return InitialPassword{}, err
	}
	p.Hash = h
	return p, nil
}

// SetInitialPassword stores p (whose Hash is already the server's hash) for the account userID
// through q, only if the account has no master password yet: otherwise nothing changes and the
// answer is ErrPasswordSet. The key pair is kept when p brings none.
func SetInitialPassword(ctx context.Context, q storage.Querier, userID string, p InitialPassword, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE users SET master_password_hash = ?, master_password_hint = ?,
		kdf = ?, kdf_iterations = ?, kdf_memory = ?, kdf_parallelism = ?, akey = ?,
		public_key = COALESCE(?, public_key), private_key = COALESCE(?, private_key),
		revision_date = ?, account_revision_date = ?
		WHERE id = ? AND master_password_hash IS NULL`,
		p.Hash, nullString(p.Hint), int(p.KDF.Kind), p.KDF.Iterations, nullInt(p.KDF.MemoryMiB),
		nullInt(p.KDF.Parallelism), p.Key, nullString(p.PublicKey), nullString(p.PrivateKey),
		storage.Millis(now), storage.Millis(now), userID)
	if err != nil {
		return fmt.Errorf("set initial password: %w", storage.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set initial password: %w", err)
	} else if n == 0 {
		return ErrPasswordSet
	}
	return nil
}
