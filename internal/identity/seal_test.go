package identity_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/seal"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// openSealed opens the database at raw with the given seal key ("" for none).
func openSealed(t *testing.T, raw string, key secret.String) *storage.DB {
	t.Helper()
	var opts storage.OpenOptions
	if key != "" {
		var err error
		if opts.Sealer, err = seal.New(key, rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	target, err := storage.ParseURL(raw, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func storedPrivateKey(t *testing.T, db *storage.DB, kid string) string {
	t.Helper()
	var v string
	err := db.QueryRowContext(context.Background(),
		`SELECT private_key FROM signing_keys WHERE kid = ?`, kid).Scan(&v)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSealedSigningKeys: with a seal key, token-signing private keys are stored sealed (those
// stored before are sealed by SealStoredKeys), listed opened, refused without the key, and a
// sealed key moved to another kid does not open.
func TestSealedSigningKeys(t *testing.T) {
	const pemA = "-----BEGIN PRIVATE KEY-----\nkey-a\n-----END PRIVATE KEY-----\n"
	const pemB = "-----BEGIN PRIVATE KEY-----\nkey-b\n-----END PRIVATE KEY-----\n"
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			raw := e.Fresh(t)
			plainDB := openSealed(t, raw, "")
			sealedDB := openSealed(t, raw, "seal-key-0123456789abcdef0123456789abcdef")
			plain, sealed := identity.SQLStore{DB: plainDB}, identity.SQLStore{DB: sealedDB}

			err := plain.AddSigningKey(ctx, identity.SigningKey{KID: "a", Alg: "EdDSA", PrivateKey: pemA,
				CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := identity.SealStoredKeys(ctx, plainDB); n != 0 || err != nil {
				t.Fatalf("SealStoredKeys without a key: %d, %v", n, err)
			}
			if v := storedPrivateKey(t, plainDB, "a"); v != pemA {
				t.Fatalf("stored without a key: %q", v)
			}
			if n, err := identity.SealStoredKeys(ctx, sealedDB); n != 1 || err != nil {
				t.Fatalf("SealStoredKeys: %d, %v; want 1", n, err)
			}
			if n, err := identity.SealStoredKeys(ctx, sealedDB); n != 0 || err != nil {
				t.Fatalf("SealStoredKeys again: %d, %v; want 0", n, err)
			}
			err = sealed.AddSigningKey(ctx, identity.SigningKey{KID: "b", Alg: "EdDSA", PrivateKey: pemB,
				CreatedAt: t0.Add(1)})
			if err != nil {
				t.Fatal(err)
			}
			for _, kid := range []string{"a", "b"} {
				v := storedPrivateKey(t, plainDB, kid)
				if !seal.IsSealed(v) || strings.Contains(v, "PRIVATE KEY") {
					t.Fatalf("key %s stored as %q", kid, v)
				}
			}
			keys, err := sealed.SigningKeys(ctx)
			if err != nil || len(keys) != 2 || keys[0].PrivateKey != pemA || keys[1].PrivateKey != pemB {
				t.Fatalf("SigningKeys with the key: %+v, %v", keys, err)
			}
			if _, err := plain.SigningKeys(ctx); !errors.Is(err, seal.ErrNoKey) {
				t.Fatalf("SigningKeys without the key: %v, want ErrNoKey", err)
			}
			storagetest.MustExec(t, plainDB, `UPDATE signing_keys SET private_key = ? WHERE kid = ?`,
				storedPrivateKey(t, plainDB, "b"), "a")
			if _, err := sealed.SigningKeys(ctx); !errors.Is(err, seal.ErrDamaged) {
				t.Fatalf("a sealed key moved to another kid: %v, want ErrDamaged", err)
			}
		})
	}
}
