// Package settings keeps small instance-wide values in the database: the instance identifier and
// whatever later concerns need to persist once per installation.
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

// SQLStore implements Store on a castellan database.
type SQLStore struct{ DB *storage.DB }

// Get returns the value of name, or storage.ErrNotFound.
func (s SQLStore) Get(ctx context.Context, name string) (string, error) {
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, storage.MapError(err))
	}
	return v, nil
}

// Put sets name to value.
func (s SQLStore) Put(ctx context.Context, name, value string, now time.Time) error {
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
	_, err := s.DB.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`,
		name, value, storage.Millis(now))
	if err = storage.MapError(err); err != nil && !errors.Is(err, storage.ErrConflict) {
		return "", fmt.Errorf("insert setting %s: %w", name, err)
	}
	return s.Get(ctx, name)
}
