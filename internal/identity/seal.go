package identity

import (
	"context"
	"fmt"

	"github.com/castellan-vault/castellan/internal/seal"
	"github.com/castellan-vault/castellan/internal/storage"
)

// The private keys of signing_keys are stored sealed with CASTELLAN_SEAL_KEY when it is set (see
// internal/seal), each bound to its kid, so that a copy of the database cannot sign access tokens.
// SQLStore seals a key when it adds it and opens it when it lists the keys; SealStoredKeys seals at
// start the keys written before the seal key was set.

// signingKeyPurpose binds a sealed private key to its kid.
func signingKeyPurpose(kid string) string { return "signing-key:" + kid }

// SealStoredKeys seals, in one transaction, the private keys of signing_keys still stored in plain
// text (retired keys too), and returns how many it sealed. Without a seal key it does nothing.
func SealStoredKeys(ctx context.Context, db *storage.DB) (int, error) {
	sealer := db.Sealer()
	if sealer == nil {
		return 0, nil
	}
	n := 0
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		n = 0
		plain, err := plainSigningKeys(ctx, tx)
		if err != nil {
			return err
		}
		for kid, priv := range plain {
			sealed, err := sealer.Seal(signingKeyPurpose(kid), priv)
			if err != nil {
				return fmt.Errorf("seal signing key %s: %w", kid, err)
			}
			res, err := tx.ExecContext(ctx,
				`UPDATE signing_keys SET private_key = ? WHERE kid = ? AND private_key = ?`, sealed, kid, priv)
			if err != nil {
				return fmt.Errorf("seal signing key %s: %w", kid, err)
			}
			if c, _ := res.RowsAffected(); c == 1 {
				n++
			}
		}
		return nil
	})
	return n, err
}

// plainSigningKeys returns the private keys stored unsealed, by kid.
func plainSigningKeys(ctx context.Context, tx *storage.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT kid, private_key FROM signing_keys`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	plain := map[string]string{}
	for rows.Next() {
		var kid, priv string
		if err := rows.Scan(&kid, &priv); err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		if !seal.IsSealed(priv) {
			plain[kid] = priv
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return plain, nil
}
