package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Store keeps users and their devices. Lookups of missing rows return storage.ErrNotFound; writes
// that collide with a unique key (an e-mail address taken) return storage.ErrConflict.
type Store interface {
	// CreateUser inserts u. Its e-mail address must already be normalised.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns the user with that id.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail returns the user with that normalised e-mail address.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateProfile sets the name, hint and culture and bumps the revision date.
	UpdateProfile(ctx context.Context, id, name, hint, culture string, now time.Time) error
	// SetPasswordHash replaces the server-side hash, e.g. to raise its cost after a login. It
	// changes nothing else: the client's credentials are the same.
	SetPasswordHash(ctx context.Context, id, hash string) error
	// SetAPIKey replaces the API key and bumps the revision date.
	SetAPIKey(ctx context.Context, id, apiKey string, now time.Time) error
	// SetSecurityStamp replaces the security stamp, which ends every session of the user.
	SetSecurityStamp(ctx context.Context, id, stamp string, now time.Time) error
	// TouchDevice records a login from a device: it creates the device the first time and updates
	// its type, name and last-seen time afterwards. It returns the stored device.
	TouchDevice(ctx context.Context, d Device) (*Device, error)
	// DeviceByID returns a device by its server-side id.
	DeviceByID(ctx context.Context, id string) (*Device, error)
	// DevicesByUser lists a user's devices, oldest first.
	DevicesByUser(ctx context.Context, userID string) ([]Device, error)
}

// SQLStore implements Store on a castellan database.
type SQLStore struct{ DB *storage.DB }

const userColumns = `id, email, name, email_verified, master_password_hash, master_password_hint,
	kdf, kdf_iterations, kdf_memory, kdf_parallelism, akey, public_key, private_key, security_stamp,
	api_key, culture, avatar_color, premium, force_password_reset, created_at, revision_date,
	account_revision_date`

// CreateUser inserts u.
func (s SQLStore) CreateUser(ctx context.Context, u *User) error { return InsertUser(ctx, s.DB, u) }

// UserByID returns the user with that id.
func (s SQLStore) UserByID(ctx context.Context, id string) (*User, error) {
	return s.userWhere(ctx, `id = ?`, id)
}

// UserByEmail returns the user with that normalised e-mail address.
func (s SQLStore) UserByEmail(ctx context.Context, email string) (*User, error) {
	return s.userWhere(ctx, `email = ?`, email)
}

func (s SQLStore) userWhere(ctx context.Context, where string, arg any) (*User, error) {
	row := s.DB.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg)
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("read user: %w", storage.MapError(err))
	}
	return u, nil
}

func scanUser(row *sql.Row) (*User, error) {
	var (
		u                                        User
		name, hash, hint, key, pub, priv, avatar sql.NullString
		kind                                     int
		mem, par                                 sql.NullInt64
		created, revision, accountRevision       int64
	)
	err := row.Scan(&u.ID, &u.Email, &name, &u.EmailVerified, &hash, &hint, &kind, &u.KDF.Iterations,
		&mem, &par, &key, &pub, &priv, &u.SecurityStamp, &u.APIKey, &u.Culture, &avatar, &u.Premium,
		&u.ForcePasswordReset, &created, &revision, &accountRevision)
	if err != nil {
		return nil, err
	}
	u.Name, u.PasswordHash, u.Hint = name.String, hash.String, hint.String
	u.Key, u.PublicKey, u.PrivateKey, u.AvatarColor = key.String, pub.String, priv.String, avatar.String
	u.KDF.Kind = bwcrypto.KDFKind(kind)
	u.KDF.MemoryMiB, u.KDF.Parallelism = int(mem.Int64), int(par.Int64)
	u.CreatedAt = storage.FromMillis(created)
	u.RevisionDate = storage.FromMillis(revision)
	u.AccountRevisionDate = storage.FromMillis(accountRevision)
	return &u, nil
}

// UpdateProfile sets the name, hint and culture.
func (s SQLStore) UpdateProfile(ctx context.Context, id, name, hint, culture string, now time.Time) error {
	return s.updateUser(ctx, "update profile",
		`UPDATE users SET name = ?, master_password_hint = ?, culture = ?, revision_date = ? WHERE id = ?`,
		nullString(name), nullString(hint), culture, storage.Millis(now), id)
}

// SetPasswordHash replaces the server-side hash.
func (s SQLStore) SetPasswordHash(ctx context.Context, id, hash string) error {
	return s.updateUser(ctx, "set password hash",
		`UPDATE users SET master_password_hash = ? WHERE id = ?`, nullString(hash), id)
}

// SetAPIKey replaces the API key.
func (s SQLStore) SetAPIKey(ctx context.Context, id, apiKey string, now time.Time) error {
	return s.updateUser(ctx, "set api key", `UPDATE users SET api_key = ?, revision_date = ? WHERE id = ?`,
		apiKey, storage.Millis(now), id)
}

// SetSecurityStamp replaces the security stamp.
func (s SQLStore) SetSecurityStamp(ctx context.Context, id, stamp string, now time.Time) error {
	return s.updateUser(ctx, "set security stamp",
		`UPDATE users SET security_stamp = ?, revision_date = ? WHERE id = ?`, stamp, storage.Millis(now), id)
}

// updateUser runs an UPDATE of one user row; no such row is ErrNotFound. MySQL counts only rows
// whose values changed, so a zero count is checked against the row's existence.
func (s SQLStore) updateUser(ctx context.Context, what, q string, args ...any) error {
	res, err := s.DB.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, storage.MapError(err))
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var one int
	err = s.DB.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, args[len(args)-1]).Scan(&one)
	if err != nil {
		return fmt.Errorf("%s: %w", what, storage.MapError(err))
	}
	return nil
}

// BumpAccountRevision records that something in the user's vault changed, so that clients polling
// /api/accounts/revision-date sync again. Other concerns call it with their own transaction, in the
// same transaction as the change itself.
func BumpAccountRevision(ctx context.Context, q storage.Querier, userID string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET account_revision_date = ? WHERE id = ?`,
		storage.Millis(now), userID)
	if err != nil {
		return fmt.Errorf("bump account revision: %w", storage.MapError(err))
	}
	return nil
}

// TouchDevice creates or refreshes a device row. Each step is atomic on its own: a concurrent first
// login from the same device makes one insert lose on the unique key, and the loser reads the winner.
func (s SQLStore) TouchDevice(ctx context.Context, d Device) (*Device, error) {
	_, err := s.DB.ExecContext(ctx, `UPDATE devices SET type = ?, name = ?, last_seen_at = ?
		WHERE user_id = ? AND identifier = ?`, d.Type, d.Name, storage.Millis(d.LastSeenAt), d.UserID, d.Identifier)
	if err != nil {
		return nil, fmt.Errorf("update device: %w", storage.MapError(err))
	}
	out, err := deviceWhere(ctx, s.DB, d.UserID, d.Identifier)
	if !errors.Is(err, storage.ErrNotFound) {
		return out, err
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO devices (id, user_id, identifier, type, name, created_at,
		last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, d.ID, d.UserID, d.Identifier, d.Type, d.Name,
		storage.Millis(d.CreatedAt), storage.Millis(d.LastSeenAt))
	switch err = storage.MapError(err); {
	case err == nil:
		return &d, nil
	case errors.Is(err, storage.ErrConflict):
		return deviceWhere(ctx, s.DB, d.UserID, d.Identifier)
	}
	return nil, fmt.Errorf("insert device: %w", err)
}

func deviceWhere(ctx context.Context, q storage.Querier, userID, identifier string) (*Device, error) {
	return scanDevice(q.QueryRowContext(ctx, `SELECT id, user_id, identifier, type, name, created_at, last_seen_at
		FROM devices WHERE user_id = ? AND identifier = ?`, userID, identifier))
}

// DeviceByID returns a device by its server-side id.
func (s SQLStore) DeviceByID(ctx context.Context, id string) (*Device, error) {
	return scanDevice(s.DB.QueryRowContext(ctx, `SELECT id, user_id, identifier, type, name, created_at,
		last_seen_at FROM devices WHERE id = ?`, id))
}

func scanDevice(row *sql.Row) (*Device, error) {
	var d Device
	var created, seen int64
	err := row.Scan(&d.ID, &d.UserID, &d.Identifier, &d.Type, &d.Name, &created, &seen)
	if err != nil {
		return nil, fmt.Errorf("read device: %w", storage.MapError(err))
	}
	d.CreatedAt, d.LastSeenAt = storage.FromMillis(created), storage.FromMillis(seen)
	return &d, nil
}

// DevicesByUser lists a user's devices, oldest first.
func (s SQLStore) DevicesByUser(ctx context.Context, userID string) ([]Device, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, user_id, identifier, type, name, created_at, last_seen_at
		FROM devices WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var d Device
		var created, seen int64
		if err := rows.Scan(&d.ID, &d.UserID, &d.Identifier, &d.Type, &d.Name, &created, &seen); err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		d.CreatedAt, d.LastSeenAt = storage.FromMillis(created), storage.FromMillis(seen)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nullInt(n int) sql.NullInt64 { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }
