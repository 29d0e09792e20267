package identity_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const userID = "5d2c0f6e-8a3b-4c1d-9e2f-3a4b5c6d7e8f"

func TestStoreConformance(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		s := identity.SQLStore{DB: db}
		err := accounts.SQLStore{DB: db}.CreateUser(context.Background(), &accounts.User{ID: userID,
			Email: "u@example.com", KDF: bwcrypto.DefaultKDF(), SecurityStamp: "s", APIKey: "k", Culture: "en-US",
			CreatedAt: t0, RevisionDate: t0, AccountRevisionDate: t0})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, s) })
		t.Run("RefreshRotation", func(t *testing.T) { testRefreshRotation(t, s) })
		t.Run("RefreshConcurrentRotation", func(t *testing.T) { testConcurrentRotation(t, s) })
		t.Run("RefreshExpiredSweep", func(t *testing.T) { testExpiredSweep(t, s) })
		t.Run("LoginFailureWindow", func(t *testing.T) { testLoginFailures(t, s) })
		t.Run("LoginFailureConcurrentCount", func(t *testing.T) { testConcurrentFailures(t, s) })
	})
}

func testSigningKeys(t *testing.T, s identity.SQLStore) {
	ctx := context.Background()
	for i, kid := range []string{"b", "a"} { // inserted newest-second, listed oldest first
		k := identity.SigningKey{KID: kid, Alg: "RS256", PrivateKey: "pem-" + kid, CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
		if err := s.AddSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSigningKey(ctx, identity.SigningKey{KID: "a", Alg: "RS256", PrivateKey: "x", CreatedAt: t0}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate kid: err = %v, want ErrConflict", err)
	}
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].KID != "b" || keys[1].KID != "a" || keys[1].PrivateKey != "pem-a" ||
		!keys[1].CreatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
	if err := s.RetireSigningKey(ctx, "b", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireSigningKey(ctx, "b", t0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("retire twice: err = %v, want ErrNotFound", err)
	}
	if keys, _ = s.SigningKeys(ctx); len(keys) != 1 || keys[0].KID != "a" {
		t.Fatalf("after retiring b: %+v", keys)
	}
}

func refresh(hash, family string, expires time.Time) identity.RefreshToken {
	return identity.RefreshToken{Hash: hash, FamilyID: family, UserID: userID, ClientID: "cli",
		Scope: "api offline_access", AMR: "Application", SecurityStamp: "s", CreatedAt: t0, ExpiresAt: expires}
}

func testRefreshRotation(t *testing.T, s identity.SQLStore) {
	ctx := context.Background()
	first := refresh("h1", "fam-1", t0.Add(time.Hour))
	if err := s.CreateRefreshToken(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.RefreshToken(ctx, "h1")
	if err != nil || *got != first {
		t.Fatalf("read back %+v, %v; want %+v", got, err, first)
	}
	if err := s.RotateRefreshToken(ctx, "h1", refresh("h2", "fam-1", t0.Add(2*time.Hour)), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.RefreshToken(ctx, "h1"); !got.RotatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("h1 rotated_at = %v", got.RotatedAt)
	}
	// A second exchange of h1 stores nothing.
	err = s.RotateRefreshToken(ctx, "h1", refresh("h3", "fam-1", t0.Add(2*time.Hour)), t0.Add(2*time.Minute))
	if !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("second rotation err = %v, want ErrTokenUsed", err)
	}
	if _, err := s.RefreshToken(ctx, "h3"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("h3 was stored by a refused rotation: %v", err)
	}
	if err := s.RevokeFamily(ctx, "fam-1"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h1", "h2"} {
		if got, err := s.RefreshToken(ctx, h); err != nil || !got.Revoked {
			t.Fatalf("%s after family revocation: %+v, %v", h, got, err)
		}
	}
	err = s.RotateRefreshToken(ctx, "h2", refresh("h4", "fam-1", t0.Add(2*time.Hour)), t0.Add(3*time.Minute))
	if !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("rotating a revoked token: err = %v, want ErrTokenUsed", err)
	}
}

func testConcurrentRotation(t *testing.T, s identity.SQLStore) {
	ctx := context.Background()
	if err := s.CreateRefreshToken(ctx, refresh("c0", "fam-c", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := refresh("c-next-"+string(rune('a'+i)), "fam-c", t0.Add(time.Hour))
			switch err := s.RotateRefreshToken(ctx, "c0", next, t0); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, identity.ErrTokenUsed):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent rotations of one token succeeded, want exactly 1", wins.Load())
	}
}

func testExpiredSweep(t *testing.T, s identity.SQLStore) {
	ctx := context.Background()
	if err := s.CreateRefreshToken(ctx, refresh("old", "fam-x", t0.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpiredRefreshTokens(ctx, t0)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v; want 1", n, err)
	}
	if _, err := s.RefreshToken(ctx, "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("expired token still there: %v", err)
	}
}

func testLoginFailures(t *testing.T, s identity.SQLStore) {
	ctx := context.Background()
	window := 15 * time.Minute
	count := func(now time.Time) int {
		n, _, err := s.LoginFailures(ctx, "account:x", now.Add(-window))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(t0); n != 0 {
		t.Fatalf("empty bucket counts %d", n)
	}
	for i := range 3 {
		now := t0.Add(time.Duration(i) * time.Minute)
		if err := s.RecordLoginFailure(ctx, "account:x", now, now.Add(-window)); err != nil {
			t.Fatal(err)
		}
	}
	n, start, err := s.LoginFailures(ctx, "account:x", t0.Add(5*time.Minute-window))
	if err != nil || n != 3 || !start.Equal(t0) {
		t.Fatalf("after 3 failures: %d since %v, %v", n, start, err)
	}
	if n := count(t0.Add(window)); n != 0 {
		t.Fatalf("a window later the bucket still counts %d", n)
	}
	later := t0.Add(window + time.Minute)
	if err := s.RecordLoginFailure(ctx, "account:x", later, later.Add(-window)); err != nil {
		t.Fatal(err)
	}
	if n, start, _ := s.LoginFailures(ctx, "account:x", later.Add(-window)); n != 1 || !start.Equal(later) {
		t.Fatalf("a failure after the window started a new one: got %d since %v", n, start)
	}
	if err := s.ClearLoginFailures(ctx, "account:x"); err != nil {
		t.Fatal(err)
	}
	if n := count(later); n != 0 {
		t.Fatalf("cleared bucket counts %d", n)
	}
}

func testConcurrentFailures(t *testing.T, s identity.SQLStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.RecordLoginFailure(ctx, "address:192.0.2.9", t0, t0.Add(-time.Hour)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, _, err := s.LoginFailures(ctx, "address:192.0.2.9", t0.Add(-time.Hour)); err != nil || n != 8 {
		t.Fatalf("8 concurrent failures counted %d, %v", n, err)
	}
}
