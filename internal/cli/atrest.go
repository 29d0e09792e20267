package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/seal"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
)

// openOptions are the storage options every command that opens the database uses: the sealer of
// CASTELLAN_SEAL_KEY, if set.
func openOptions(cfg *config.Server) (storage.OpenOptions, error) {
	if cfg.SealKey.IsZero() {
		return storage.OpenOptions{}, nil
	}
	sealer, err := seal.New(cfg.SealKey, rand.Reader)
	if err != nil {
		return storage.OpenOptions{}, &config.Error{Var: "CASTELLAN_SEAL_KEY", Reason: err.Error()}
	}
	return storage.OpenOptions{Sealer: sealer}, nil
}

// sealAtRest is the start-up step after migrations (serve and migrate): it checks
// CASTELLAN_SEAL_KEY against the key the database's secrets were sealed with, and seals the ones
// still stored in plain text (written before the key was set): the secret settings and the
// token-signing private keys. Without a key it warns, once per
// start, that a copy of the database reveals them.
func sealAtRest(ctx context.Context, db *storage.DB, logger *slog.Logger) error {
	n, err := settings.SealStored(ctx, db, time.Now())
	if err != nil {
		return sealError(err)
	}
	keys, err := identity.SealStoredKeys(ctx, db)
	if err != nil {
		return sealError(err)
	}
	n += keys
	if db.Sealer() == nil {
		logger.Warn("stored secrets are not sealed: a copy of the database reveals the keys castellan " +
			"keeps in it, token-signing keys included; set CASTELLAN_SEAL_KEY to seal them " +
			"(see README, Secrets at rest)")
		return nil
	}
	if n > 0 {
		logger.Info("sealed the stored secrets written before CASTELLAN_SEAL_KEY was set", "count", n)
	}
	return nil
}

// sealError names CASTELLAN_SEAL_KEY in the refusals of a start, never printing a key.
func sealError(err error) error {
	switch {
	case errors.Is(err, seal.ErrWrongKey):
		return &config.Error{Var: "CASTELLAN_SEAL_KEY", Reason: "this is not the key the database's " +
			"secrets were sealed with; set the key used before"}
	case errors.Is(err, seal.ErrNoKey):
		return &config.Error{Var: "CASTELLAN_SEAL_KEY", Reason: "the database's secrets are sealed: " +
			"set it (or CASTELLAN_SEAL_KEY_FILE) to the key they were sealed with"}
	case errors.Is(err, seal.ErrDamaged):
		return &config.Error{Var: "CASTELLAN_SEAL_KEY", Reason: "a sealed secret in the database does " +
			"not open with this key: it was altered"}
	}
	return fmt.Errorf("seal the stored secrets: %w", err)
}
