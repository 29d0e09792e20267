package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TryLock takes the lease `name` for holder until now+ttl, if nobody else holds an unexpired lease.
// It reports whether the lease is now held by holder. A holder that already has the lease extends it.
// Background jobs call it before each run so that, with several castellan processes on one database,
// one of them runs the job.
func TryLock(ctx context.Context, db *DB, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	got := false
	err := db.InTx(ctx, func(tx *Tx) error {
		var cur string
		var exp int64
		err := tx.QueryRowContext(ctx,
			`SELECT holder, expires_at FROM job_locks WHERE name = ?`, name).Scan(&cur, &exp)
		switch err = MapError(err); {
		case errors.Is(err, ErrNotFound):
			_, err = tx.ExecContext(ctx, `INSERT INTO job_locks (name, holder, expires_at) VALUES (?, ?, ?)`,
				name, holder, Millis(now.Add(ttl)))
		case err != nil:
			return err
		case cur == holder || exp <= Millis(now):
			_, err = tx.ExecContext(ctx,
				`UPDATE job_locks SET holder = ?, expires_at = ? WHERE name = ? AND holder = ? AND expires_at = ?`,
				holder, Millis(now.Add(ttl)), name, cur, exp)
		default:
			return nil
		}
		if err != nil {
			return MapError(err)
		}
		got = true
		return nil
	})
	if err != nil {
		if isConflict(err) { // another process inserted the lease first
			return false, nil
		}
		return false, fmt.Errorf("take lock %s: %w", name, err)
	}
	return got, nil
}

// Unlock gives the lease back if holder still holds it.
func Unlock(ctx context.Context, db *DB, name, holder string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM job_locks WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lock %s: %w", name, err)
	}
	return nil
}

// Millis turns a time into the integer milliseconds since the Unix epoch that castellan stores in
// every timestamp column, identically on all engines.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis turns stored milliseconds back into a UTC time.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
