package accounts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func sampleUser(id, email string) *accounts.User {
	return &accounts.User{
		ID: id, Email: email, Name: "Ada", PasswordHash: "$pbkdf2-sha256$i=1$c2FsdA$aGFzaA", Hint: "h",
		KDF: bwcrypto.KDF{Kind: bwcrypto.KDFArgon2id, Iterations: 3, MemoryMiB: 64, Parallelism: 4},
		Key: "2.key", PublicKey: "pub", PrivateKey: "2.priv", SecurityStamp: "stamp-1",
		APIKey: "apikey", Culture: "en-US", Premium: true,
		CreatedAt: t0, RevisionDate: t0, AccountRevisionDate: t0,
	}
}

func TestStoreConformance(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		s := accounts.SQLStore{DB: db}
		ctx := context.Background()
		const id = "0b6c7f3e-6a53-4c1e-9d1f-2b1e8f6a9c01"

		t.Run("CreateAndRead", func(t *testing.T) {
			want := sampleUser(id, "ada@example.com")
			if err := s.CreateUser(ctx, want); err != nil {
				t.Fatal(err)
			}
			for _, get := range []func() (*accounts.User, error){
				func() (*accounts.User, error) { return s.UserByID(ctx, id) },
				func() (*accounts.User, error) { return s.UserByEmail(ctx, "ada@example.com") },
			} {
				got, err := get()
				if err != nil {
					t.Fatal(err)
				}
				if *got != *want {
					t.Fatalf("read back\n got %+v\nwant %+v", *got, *want)
				}
			}
		})
		t.Run("NullableColumnsRoundTrip", func(t *testing.T) {
			sso := &accounts.User{ID: "0b6c7f3e-6a53-4c1e-9d1f-2b1e8f6a9c02", Email: "sso@example.com",
				KDF: bwcrypto.DefaultKDF(), SecurityStamp: "s", APIKey: "k", Culture: "en-US",
				CreatedAt: t0, RevisionDate: t0, AccountRevisionDate: t0}
			if err := s.CreateUser(ctx, sso); err != nil {
				t.Fatal(err)
			}
			got, err := s.UserByID(ctx, sso.ID)
			if err != nil || *got != *sso || got.HasMasterPassword() {
				t.Fatalf("got %+v, %v; want %+v without a master password", got, err, sso)
			}
		})
		t.Run("DuplicateEmailConflicts", func(t *testing.T) {
			err := s.CreateUser(ctx, sampleUser("0b6c7f3e-6a53-4c1e-9d1f-2b1e8f6a9c03", "ada@example.com"))
			if !errors.Is(err, storage.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		})
		t.Run("MissingUser", func(t *testing.T) {
			if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if err := s.SetAPIKey(ctx, "0b6c7f3e-6a53-4c1e-9d1f-2b1e8f6a9cff", "x", t0); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("SetAPIKey(missing) err = %v, want ErrNotFound", err)
			}
		})
		t.Run("Updates", func(t *testing.T) {
			later := t0.Add(time.Hour)
			steps := []error{
				s.UpdateProfile(ctx, id, "Ada L", "", "de-DE", later),
				s.SetAPIKey(ctx, id, "newkey", later),
				s.SetSecurityStamp(ctx, id, "stamp-2", later),
				s.SetPasswordHash(ctx, id, "$pbkdf2-sha256$i=2$c2FsdA$aGFzaA"),
				s.SetPasswordHash(ctx, id, "$pbkdf2-sha256$i=2$c2FsdA$aGFzaA"), // unchanged row is fine
				accounts.BumpAccountRevision(ctx, db, id, later.Add(time.Minute)),
			}
			for i, err := range steps {
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			u, err := s.UserByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != "Ada L" || u.Hint != "" || u.Culture != "de-DE" || u.APIKey != "newkey" ||
				u.SecurityStamp != "stamp-2" || u.PasswordHash != "$pbkdf2-sha256$i=2$c2FsdA$aGFzaA" ||
				!u.RevisionDate.Equal(later) || !u.AccountRevisionDate.Equal(later.Add(time.Minute)) {
				t.Fatalf("after updates: %+v", u)
			}
		})
		t.Run("Devices", func(t *testing.T) { testDevices(t, s, id) })
	})
}

func testDevices(t *testing.T, s accounts.SQLStore, userID string) {
	ctx := context.Background()
	first, err := s.TouchDevice(ctx, accounts.Device{ID: "d0000000-0000-4000-8000-000000000001", UserID: userID,
		Identifier: "cli-1", Type: 25, Name: "linux", CreatedAt: t0, LastSeenAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.TouchDevice(ctx, accounts.Device{ID: "d0000000-0000-4000-8000-000000000002", UserID: userID,
		Identifier: "cli-1", Type: 23, Name: "windows", CreatedAt: t0.Add(time.Hour), LastSeenAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.Type != 23 || again.Name != "windows" || !again.CreatedAt.Equal(t0) ||
		!again.LastSeenAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("second touch: %+v, want the first row (%s) updated", again, first.ID)
	}
	// Concurrent first logins from one new device end up with one row.
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := s.TouchDevice(ctx, accounts.Device{ID: "d0000000-0000-4000-8000-00000000001" + string(rune('0'+i)),
				UserID: userID, Identifier: "web-1", Type: 9, Name: "chrome", CreatedAt: t0, LastSeenAt: t0})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = d.ID
		}()
	}
	wg.Wait()
	list, err := s.DevicesByUser(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("devices = %+v, want 2", list)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent touches returned different rows: %v", ids)
		}
	}
}
