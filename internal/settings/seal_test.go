package settings_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/seal"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// openWith opens the database at raw with the given seal key ("" for none).
func openWith(t *testing.T, raw string, key secret.String) *storage.DB {
	t.Helper()
	var sealer *seal.Sealer
	if key != "" {
		var err error
		if sealer, err = seal.New(key, rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	target, err := storage.ParseURL(raw, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), target, storage.OpenOptions{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func rawValue(t *testing.T, db *storage.DB, name string) string {
	t.Helper()
	var v string
	err := db.QueryRowContext(context.Background(), `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSealedSettings: with a seal key, secret settings are stored sealed (those written before the
// key are sealed by SealStored), other settings stay readable, a process without the key or with
// another one is refused, and a sealed value does not open in another row.
func TestSealedSettings(t *testing.T) {
	const keyA = secret.String("key-A-0123456789abcdef0123456789abcdef")
	const keyB = secret.String("key-B-0123456789abcdef0123456789abcdef")
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
			raw := e.Fresh(t)
			plainDB, sealedDB, wrongDB := openWith(t, raw, ""), openWith(t, raw, keyA), openWith(t, raw, keyB)
			plain, sealed := settings.SQLStore{DB: plainDB}, settings.SQLStore{DB: sealedDB}

			// Today's behaviour without a key: stored as is, nothing to seal, nothing refused.
			if err := plain.Put(ctx, "orgs.invite_token_key", "k-written-before", now); err != nil {
				t.Fatal(err)
			}
			if err := plain.Put(ctx, "instance_id", "i-1", now); err != nil {
				t.Fatal(err)
			}
			if n, err := settings.SealStored(ctx, plainDB, now); n != 0 || err != nil {
				t.Fatalf("SealStored without a key: %d, %v", n, err)
			}
			if v := rawValue(t, plainDB, "orgs.invite_token_key"); v != "k-written-before" {
				t.Fatalf("stored without a key: %q", v)
			}

			// The first start with a key seals what was written before it.
			if n, err := settings.SealStored(ctx, sealedDB, now); n != 1 || err != nil {
				t.Fatalf("SealStored with a key: %d, %v; want 1 sealed", n, err)
			}
			if n, err := settings.SealStored(ctx, sealedDB, now); n != 0 || err != nil {
				t.Fatalf("SealStored again: %d, %v; want nothing left to seal", n, err)
			}
			v := rawValue(t, plainDB, "orgs.invite_token_key")
			if !seal.IsSealed(v) || strings.Contains(v, "k-written-before") {
				t.Fatalf("stored after sealing: %q", v)
			}
			if v := rawValue(t, plainDB, "instance_id"); v != "i-1" {
				t.Fatalf("a setting that is no secret was changed: %q", v)
			}
			if got, err := sealed.Get(ctx, "orgs.invite_token_key"); err != nil || got != "k-written-before" {
				t.Fatalf("Get with the key: %q, %v", got, err)
			}

			// New secrets are sealed when written, PutIfAbsent included.
			got, err := sealed.PutIfAbsent(ctx, "sso.seal_key", "sso-key-value", now)
			if err != nil || got != "sso-key-value" {
				t.Fatalf("PutIfAbsent: %q, %v", got, err)
			}
			got, err = sealed.PutIfAbsent(ctx, "sso.seal_key", "loser", now)
			if err != nil || got != "sso-key-value" {
				t.Fatalf("PutIfAbsent of a set value: %q, %v", got, err)
			}
			v = rawValue(t, plainDB, "sso.seal_key")
			if !seal.IsSealed(v) || strings.Contains(v, "sso-key-value") {
				t.Fatalf("stored by PutIfAbsent: %q", v)
			}

			// Without the key, or with another, the start is refused before any secret is used.
			if _, err := settings.SealStored(ctx, plainDB, now); !errors.Is(err, seal.ErrNoKey) {
				t.Fatalf("SealStored without the key: %v, want ErrNoKey", err)
			}
			if _, err := plain.Get(ctx, "sso.seal_key"); !errors.Is(err, seal.ErrNoKey) {
				t.Fatalf("Get without the key: %v, want ErrNoKey", err)
			}
			if _, err := settings.SealStored(ctx, wrongDB, now); !errors.Is(err, seal.ErrWrongKey) {
				t.Fatalf("SealStored with another key: %v, want ErrWrongKey", err)
			}

			// A sealed value copied into another row does not open there.
			storagetest.MustExec(t, plainDB, `UPDATE settings SET value = ? WHERE name = ?`,
				rawValue(t, plainDB, "sso.seal_key"), "orgs.invite_token_key")
			if _, err := sealed.Get(ctx, "orgs.invite_token_key"); !errors.Is(err, seal.ErrDamaged) {
				t.Fatalf("a value moved to another row: %v, want ErrDamaged", err)
			}
		})
	}
}

func TestIsSecret(t *testing.T) {
	for _, name := range []string{"sso.seal_key", "orgs.invite_token_key", "accounts.registration_token_key"} {
		if !settings.IsSecret(name) {
			t.Errorf("%s is a key and must be sealed", name)
		}
	}
	for _, name := range []string{"instance_id", "seal.check"} {
		if settings.IsSecret(name) {
			t.Errorf("%s is not a secret", name)
		}
	}
}
