// Package settings keeps small instance-wide values in the database: the instance identifier and
// whatever later concerns need to persist once per installation.
//
// A setting whose name ends in "_key" holds a key (sso.seal_key, orgs.invite_token_key,
// accounts.registration_token_key, ...). When a seal key is configured (CASTELLAN_SEAL_KEY, see
// internal/seal), such a setting is stored sealed with it, and [SealStored] seals at start the ones
// written before the key was set; other settings are stored as they are.
//
// It is the smallest example of the storage pattern every concern follows: a [Store] contract in the
// concern's package, one SQL implementation ([SQLStore]) written once for all engines, and a
// conformance suite (store_test.go) that runs the same named sub-tests on SQLite, PostgreSQL and
// MariaDB through storagetest.
package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// Store reads and writes named settings.
type Store interface {
	// Get returns the value of name, or storage.ErrNotFound.
	Get(ctx context.Context, name string) (string, error)
	// Put sets name to value, replacing any earlier value.
	Put(ctx context.Context, name, value string, now time.Time) error
	// PutIfAbsent sets name to value unless it already has one, and returns the value that is now
	// stored. Concurrent callers all see the same winner.
	PutIfAbsent(ctx context.Context, name, value string, now time.Time) (string, error)
}

// IsSecret reports whether a setting holds a key, which is stored sealed when a seal key is
// configured: by convention, its name ends in "_key".
func IsSecret(name string) bool { return strings.HasSuffix(name, "_key") }

// purpose binds a sealed setting to its row, so that it does not open as another setting.
func purpose(name string) string { return "setting:" + name }

// SQLStore implements Store on a castellan database, sealing secret settings with the database's
// sealer ([storage.DB.Sealer]).
type SQLStore struct{ DB *storage.DB }

// Get returns the value of name, or storage.ErrNotFound.
func (s SQLStore) Get(ctx context.Context, name string) (string, error) {
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, storage.MapError(err))
	}
	if IsSecret(name) {
		if v, err = s.DB.Sealer().Open(purpose(name), v); err != nil {
			return "", fmt.Errorf("open setting %s: %w", name, err)
		}
	}
	return v, nil
}

// stored is value as it goes into the table: sealed if name is a secret and a seal key is set.
func (s SQLStore) stored(name, value string) (string, error) {
	if !IsSecret(name) {
		return value, nil
	}
	v, err := s.DB.Sealer().Seal(purpose(name), value)
	if err != nil {
		return "", fmt.Errorf("seal setting %s: %w", name, err)
	}
	return v, nil
}

// Put sets name to value.
func (s SQLStore) Put(ctx context.Context, name, value string, now time.Time) error {
	value, err := s.stored(name, value)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE settings SET value = ?, updated_at = ? WHERE name = ?`,
			value, storage.Millis(now), name)
		if err != nil {
			return fmt.Errorf("update setting %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`,
			name, value, storage.Millis(now))
		if err != nil {
			return fmt.Errorf("insert setting %s: %w", name, storage.MapError(err))
		}
		return nil
	})
}

// PutIfAbsent sets name to value unless it is already set, and returns the stored value.
func (s SQLStore) PutIfAbsent(ctx context.Context, name, value string, now time.Time) (string, error) {
	value, err := s.stored(name, value)
	if err != nil {
		return "", err
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`,
		name, value, storage.Millis(now))
	if err = storage.MapError(err); err != nil && !errors.Is(err, storage.ErrConflict) {
		return "", fmt.Errorf("insert setting %s: %w", name, err)
	}
	return s.Get(ctx, name)
}
