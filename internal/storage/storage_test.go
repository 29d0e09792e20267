package storage_test

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestMigrationsMatchAcrossEngines checks that every engine has the same migration versions, so that
// version N means the same change everywhere.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	versions := map[storage.Dialect][]string{}
	for _, d := range []storage.Dialect{storage.SQLite, storage.Postgres, storage.MySQL} {
		fsys, err := storage.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil || len(names) == 0 {
			t.Fatalf("%s: no migrations (%v)", d, err)
		}
		for _, n := range names {
			versions[d] = append(versions[d], path.Base(n))
		}
	}
	for d, names := range versions {
		if !slices.Equal(names, versions[storage.SQLite]) {
			t.Errorf("%s migrations %v differ from sqlite %v", d, names, versions[storage.SQLite])
		}
	}
}

func TestConformance(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		t.Run("MigrateIsIdempotent", func(t *testing.T) {
			st, err := db.Migrate(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Current != st.Latest || st.Latest == 0 {
				t.Fatalf("status after migrate = %+v", st)
			}
		})
		t.Run("RefusesNewerSchema", func(t *testing.T) {
			st, err := db.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// What a newer castellan leaves behind: a version this binary does not know.
			storagetest.MustExec(t, db, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`,
				st.Latest+1, true)
			_, err = db.Migrate(ctx, nil)
			if !errors.Is(err, storage.ErrSchemaTooNew) {
				t.Fatalf("Migrate on a newer schema: err = %v, want ErrSchemaTooNew", err)
			}
			storagetest.MustExec(t, db, `DELETE FROM goose_db_version WHERE version_id = ?`, st.Latest+1)
		})
		t.Run("UniqueViolationIsConflict", func(t *testing.T) {
			q := `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`
			storagetest.MustExec(t, db, q, "dup", "a", 1)
			_, err := db.ExecContext(ctx, q, "dup", "b", 2)
			if !errors.Is(storage.MapError(err), storage.ErrConflict) {
				t.Fatalf("duplicate insert: err = %v, want ErrConflict", err)
			}
		})
		t.Run("NoRowsIsNotFound", func(t *testing.T) {
			var v string
			err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, "absent").Scan(&v)
			if !errors.Is(storage.MapError(err), storage.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
		t.Run("TransactionRollsBack", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *storage.Tx) error {
				storagetest.MustExec(t, tx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`,
					"rolled", "x", 1)
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx err = %v", err)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE name = ?`, "rolled").
				Scan(&n); err != nil || n != 0 {
				t.Fatalf("row survived the rollback: n=%d err=%v", n, err)
			}
		})
		t.Run("LockIsExclusiveUntilExpiry", func(t *testing.T) {
			now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
			steps := []struct {
				holder string
				at     time.Duration
				want   bool
			}{
				{"a", 0, true},
				{"b", time.Minute, false},     // a still holds it
				{"a", 2 * time.Minute, true},  // a extends to 7m
				{"b", 6 * time.Minute, false}, // not yet expired
				{"b", 8 * time.Minute, true},  // expired: b takes over
			}
			for _, s := range steps {
				got, err := storage.TryLock(ctx, db, "job", s.holder, now.Add(s.at), 5*time.Minute)
				if err != nil || got != s.want {
					t.Fatalf("TryLock(%s at %v) = %v, %v; want %v", s.holder, s.at, got, err, s.want)
				}
			}
			if err := storage.Unlock(ctx, db, "job", "b"); err != nil {
				t.Fatal(err)
			}
			if got, _ := storage.TryLock(ctx, db, "job", "a", now.Add(9*time.Minute), time.Minute); !got {
				t.Fatal("lock not free after Unlock")
			}
		})
	})
}
