package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// countTables counts the tables of the database db is connected to.
func countTables(t *testing.T, db *storage.DB) int {
	t.Helper()
	q := map[storage.Dialect]string{
		storage.SQLite:   `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`,
		storage.Postgres: `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()`,
		storage.MySQL:    `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()`,
	}[db.Dialect()]
	var n int
	if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStatusChangesNothing: the status of a database castellan never migrated is version 0, and
// asking for it creates no table (goose's own version query creates its version table).
func TestStatusChangesNothing(t *testing.T) {
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openURL(t, e.Fresh(t))
			st, err := db.Status(ctx)
			if err != nil || st.Current != 0 || st.Latest < 8 {
				t.Fatalf("status of an empty database: %+v, %v", st, err)
			}
			if n := countTables(t, db); n != 0 {
				t.Fatalf("status created %d tables", n)
			}
			want, err := db.Migrate(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := db.Status(ctx); err != nil || st != want || st.Current != st.Latest {
				t.Fatalf("status after migrate: %+v, %v; migrate said %+v", st, err, want)
			}
		})
	}
}

// TestOpenExistingCreatesNothing: with Existing, a missing SQLite file is ErrNoDatabase and neither
// the file nor its folder appears.
func TestOpenExistingCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nonexistent", "dir")
	target, err := storage.ParseURL("sqlite://"+filepath.Join(dir, "x.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = storage.Open(context.Background(), target, storage.OpenOptions{Existing: true})
	if !errors.Is(err, storage.ErrNoDatabase) {
		t.Fatalf("open of a missing file: %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the folder was created (%v)", err)
	}
}
