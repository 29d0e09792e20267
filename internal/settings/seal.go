package settings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/seal"
	"github.com/castellan-vault/castellan/internal/storage"
)

// sealCheckName is the settings row that records, once a seal key was first used, a value sealed
// with it. A process with another key, or with none, finds out from it at start, before it reads
// any secret, instead of failing at the first login or SSO sign-in.
const sealCheckName = "seal.check"

const (
	sealCheckPurpose = "seal-check"
	sealCheckPlain   = "castellan"
)

// SealStored runs at start, after migrations and before anything reads a secret setting. With a
// seal key ([storage.DB.Sealer]), it checks the key against the one the database was sealed with
// (seal.ErrWrongKey if they differ), records it on first use, and seals the secret settings still
// stored in plain text, returning how many it sealed. Without one, it refuses a database whose
// secrets are sealed (seal.ErrNoKey) and otherwise changes nothing.
func SealStored(ctx context.Context, db *storage.DB, now time.Time) (int, error) {
	sealer := db.Sealer()
	if sealer == nil {
		var v string
		err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, sealCheckName).Scan(&v)
		if err = storage.MapError(err); errors.Is(err, storage.ErrNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read the seal check: %w", err)
		}
		return 0, seal.ErrNoKey
	}
	if err := checkSealKey(ctx, db, sealer, now); err != nil {
		return 0, err
	}
	return sealPlainSecrets(ctx, db, sealer, now)
}

// checkSealKey records the seal check on first use and opens it with the configured key.
func checkSealKey(ctx context.Context, db *storage.DB, sealer *seal.Sealer, now time.Time) error {
	fresh, err := sealer.Seal(sealCheckPurpose, sealCheckPlain)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`,
		sealCheckName, fresh, storage.Millis(now))
	if err = storage.MapError(err); err != nil && !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("record the seal check: %w", err)
	}
	var stored string
	err = db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, sealCheckName).Scan(&stored)
	if err != nil {
		return fmt.Errorf("read the seal check: %w", storage.MapError(err))
	}
	plain, err := sealer.Open(sealCheckPurpose, stored)
	if err != nil {
		return err
	}
	if plain != sealCheckPlain {
		return seal.ErrDamaged
	}
	return nil
}

// sealPlainSecrets seals, in one transaction, the secret settings stored in plain text. A row that
// changed meanwhile (another process sealing it first) is left to that process.
func sealPlainSecrets(ctx context.Context, db *storage.DB, sealer *seal.Sealer, now time.Time) (int, error) {
	n := 0
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT name, value FROM settings`)
		if err != nil {
			return fmt.Errorf("list settings: %w", err)
		}
		plain := map[string]string{}
		for rows.Next() {
			var name, value string
			if err := rows.Scan(&name, &value); err != nil {
				rows.Close()
				return fmt.Errorf("list settings: %w", err)
			}
			if IsSecret(name) && !seal.IsSealed(value) {
				plain[name] = value
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list settings: %w", err)
		}
		for name, value := range plain {
			sealed, err := sealer.Seal(purpose(name), value)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx,
				`UPDATE settings SET value = ?, updated_at = ? WHERE name = ? AND value = ?`,
				sealed, storage.Millis(now), name, value)
			if err != nil {
				return fmt.Errorf("seal setting %s: %w", name, err)
			}
			if c, _ := res.RowsAffected(); c == 1 {
				n++
			}
		}
		return nil
	})
	return n, err
}
