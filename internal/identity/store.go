package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// ErrTokenUsed means a refresh token was already exchanged (or its family revoked): a replay.
var ErrTokenUsed = errors.New("refresh token already used")

// SigningKey is a key that signs access tokens. PrivateKey is PEM (PKCS#8).
type SigningKey struct {
	KID        string
	Alg        string
	PrivateKey string
	CreatedAt  time.Time
}

// RefreshToken is a stored refresh token. Only the SHA-256 of the token is kept (Hash, hex).
type RefreshToken struct {
	Hash          string
	FamilyID      string // every token rotated from one login shares it
	UserID        string
	DeviceID      string // the device row, or "" when the client sent no device
	ClientID      string
	Scope         string // space-separated
	AMR           string // "Application" for password logins, "external" for SSO
	SecurityStamp string // the user's stamp when the family began
	CreatedAt     time.Time
	ExpiresAt     time.Time
	RotatedAt     time.Time // zero until exchanged
	Revoked       bool
}

// Store keeps what the identity server must share between castellan processes: signing keys,
// refresh tokens and failed-login counters.
type Store interface {
	// SigningKeys lists the keys that are not retired, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores a new key.
	AddSigningKey(ctx context.Context, k SigningKey) error
	// RetireSigningKey stops a key from signing and verifying.
	RetireSigningKey(ctx context.Context, kid string, now time.Time) error

	// CreateRefreshToken stores a new refresh token (the first of a family).
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RefreshToken returns the token with that hash, or storage.ErrNotFound.
	RefreshToken(ctx context.Context, hash string) (*RefreshToken, error)
	// RotateRefreshToken marks the token oldHash as exchanged and stores next, in one transaction.
	// If oldHash was already exchanged or revoked it stores nothing and returns ErrTokenUsed; the
	// caller then revokes the family.
	RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, now time.Time) error
	// RevokeFamily revokes every token of a family.
	RevokeFamily(ctx context.Context, familyID string) error
	// DeleteExpiredRefreshTokens removes tokens that expired before now and returns how many.
	DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error)

	// LoginFailures returns the failure count of a bucket in the window that started at or after
	// since (0 when the bucket is empty or its window began before since).
	LoginFailures(ctx context.Context, bucket string, since time.Time) (count int, windowStart time.Time, err error)
	// RecordLoginFailure adds one failure to a bucket, starting a new window at now when the
	// bucket's window began at or before since.
	RecordLoginFailure(ctx context.Context, bucket string, now, since time.Time) error
	// ClearLoginFailures empties a bucket.
	ClearLoginFailures(ctx context.Context, bucket string) error
}

// SQLStore implements Store on a castellan database.
type SQLStore struct{ DB *storage.DB }

// SigningKeys lists the keys that are not retired, oldest first.
func (s SQLStore) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT kid, alg, private_key, created_at FROM signing_keys
		WHERE retired_at IS NULL ORDER BY created_at, kid`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	var out []SigningKey
	for rows.Next() {
		var k SigningKey
		var created int64
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivateKey, &created); err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		k.CreatedAt = storage.FromMillis(created)
		if k.PrivateKey, err = s.DB.Sealer().Open(signingKeyPurpose(k.KID), k.PrivateKey); err != nil {
			return nil, fmt.Errorf("open signing key %s: %w", k.KID, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// AddSigningKey stores a new key, its private key sealed when a seal key is configured.
func (s SQLStore) AddSigningKey(ctx context.Context, k SigningKey) error {
	priv, err := s.DB.Sealer().Seal(signingKeyPurpose(k.KID), k.PrivateKey)
	if err != nil {
		return fmt.Errorf("seal signing key: %w", err)
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO signing_keys (kid, alg, private_key, created_at)
		VALUES (?, ?, ?, ?)`, k.KID, k.Alg, priv, storage.Millis(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("add signing key: %w", storage.MapError(err))
	}
	return nil
}

// RetireSigningKey stops a key from signing and verifying.
func (s SQLStore) RetireSigningKey(ctx context.Context, kid string, now time.Time) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL`,
		storage.Millis(now), kid)
	if err != nil {
		return fmt.Errorf("retire signing key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("retire signing key: %w", storage.ErrNotFound)
	}
	return nil
}

const refreshColumns = `token_hash, family_id, user_id, device_id, client_id, scope, amr, security_stamp,
	created_at, expires_at, rotated_at, revoked`

func insertRefresh(ctx context.Context, q storage.Querier, t RefreshToken) error {
	var device sql.NullString
	if t.DeviceID != "" {
		device = sql.NullString{String: t.DeviceID, Valid: true}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`, t.Hash, t.FamilyID, t.UserID, device, t.ClientID,
		t.Scope, t.AMR, t.SecurityStamp, storage.Millis(t.CreatedAt), storage.Millis(t.ExpiresAt), false)
	if err != nil {
		return fmt.Errorf("insert refresh token: %w", storage.MapError(err))
	}
	return nil
}

// CreateRefreshToken stores a new refresh token.
func (s SQLStore) CreateRefreshToken(ctx context.Context, t RefreshToken) error {
	return insertRefresh(ctx, s.DB, t)
}

// RefreshToken returns the token with that hash.
func (s SQLStore) RefreshToken(ctx context.Context, hash string) (*RefreshToken, error) {
	var (
		t                RefreshToken
		device           sql.NullString
		created, expires int64
		rotated          sql.NullInt64
	)
	err := s.DB.QueryRowContext(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE token_hash = ?`, hash).
		Scan(&t.Hash, &t.FamilyID, &t.UserID, &device, &t.ClientID, &t.Scope, &t.AMR, &t.SecurityStamp,
			&created, &expires, &rotated, &t.Revoked)
	if err != nil {
		return nil, fmt.Errorf("read refresh token: %w", storage.MapError(err))
	}
	t.DeviceID = device.String
	t.CreatedAt, t.ExpiresAt = storage.FromMillis(created), storage.FromMillis(expires)
	if rotated.Valid {
		t.RotatedAt = storage.FromMillis(rotated.Int64)
	}
	return &t, nil
}

// RotateRefreshToken marks oldHash exchanged and stores next. The conditional UPDATE is what makes
// two concurrent exchanges of one token safe: only one of them changes the row.
func (s SQLStore) RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, now time.Time) error {
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET rotated_at = ?
			WHERE token_hash = ? AND rotated_at IS NULL AND revoked = ?`, storage.Millis(now), oldHash, false)
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrTokenUsed
		}
		return insertRefresh(ctx, tx, next)
	})
}

// RevokeFamily revokes every token of a family.
func (s SQLStore) RevokeFamily(ctx context.Context, familyID string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE refresh_tokens SET revoked = ? WHERE family_id = ?`, true, familyID)
	if err != nil {
		return fmt.Errorf("revoke refresh token family: %w", err)
	}
	return nil
}

// DeleteExpiredRefreshTokens removes tokens that expired before now.
func (s SQLStore) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at < ?`, storage.Millis(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// LoginFailures returns the failures of a bucket in a window that began after since.
func (s SQLStore) LoginFailures(ctx context.Context, bucket string, since time.Time) (int, time.Time, error) {
	var start int64
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT window_start, failures FROM login_failures WHERE bucket = ?`, bucket).
		Scan(&start, &n)
	switch err = storage.MapError(err); {
	case errors.Is(err, storage.ErrNotFound):
		return 0, time.Time{}, nil
	case err != nil:
		return 0, time.Time{}, fmt.Errorf("read login failures: %w", err)
	case start <= storage.Millis(since):
		return 0, time.Time{}, nil
	}
	return n, storage.FromMillis(start), nil
}

// RecordLoginFailure adds one failure to a bucket. The UPDATE assigns failures before window_start
// and neither expression reads a column assigned before it, so MySQL's left-to-right SET gives the
// same result as the standard's all-at-once SET of PostgreSQL and SQLite.
func (s SQLStore) RecordLoginFailure(ctx context.Context, bucket string, now, since time.Time) error {
	for range 2 {
		res, err := s.DB.ExecContext(ctx, `UPDATE login_failures
			SET failures = CASE WHEN window_start <= ? THEN 1 ELSE failures + 1 END,
			    window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END
			WHERE bucket = ?`, storage.Millis(since), storage.Millis(since), storage.Millis(now), bucket)
		if err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = s.DB.ExecContext(ctx, `INSERT INTO login_failures (bucket, window_start, failures) VALUES (?, ?, 1)`,
			bucket, storage.Millis(now))
		if err = storage.MapError(err); err == nil {
			return nil
		} else if !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("record login failure: %w", err)
		}
		// Another process inserted the bucket first: count on its row.
	}
	return fmt.Errorf("record login failure: %w", storage.ErrConflict)
}

// ClearLoginFailures empties a bucket.
func (s SQLStore) ClearLoginFailures(ctx context.Context, bucket string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM login_failures WHERE bucket = ?`, bucket); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}
