package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestMigrateStatusChangesNothing runs `castellan migrate --status` on an empty database of every
// engine and on a SQLite path that does not exist: it reports and creates nothing (no goose table,
// no file, no folder), and castellan migrate then does the work.
func TestMigrateStatusChangesNothing(t *testing.T) {
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			raw := e.Fresh(t)
			target, _ := storage.ParseURL(raw, "")
			if e.Name == "sqlite" { // an empty file, as `touch` leaves it, is an empty database
				if err := os.WriteFile(target.Path(), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := []string{"DATABASE_URL=" + raw, "CASTELLAN_DATA_DIR=" + t.TempDir()}
			out, code := castellantest.Run(t, env, "migrate", "--status")
			if code != 0 || !strings.Contains(out, "current version: 0 (empty database") {
				t.Fatalf("migrate --status: exit %d\n%s", code, out)
			}
			db, err := storage.Open(context.Background(), target, storage.OpenOptions{Existing: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q := map[storage.Dialect]string{
				storage.SQLite:   `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`,
				storage.Postgres: `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()`,
				storage.MySQL:    `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()`,
			}[db.Dialect()]
			var n int
			if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil || n != 0 {
				t.Fatalf("migrate --status left %d tables (%v)", n, err)
			}
		})
	}
	t.Run("missing sqlite file", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "nonexistent")
		dbURL := "sqlite://" + filepath.Join(parent, "dir", "x.db")
		env := []string{"DATABASE_URL=" + dbURL, "CASTELLAN_DATA_DIR=" + t.TempDir()}
		out, code := castellantest.Run(t, env, "migrate", "--status")
		if code != 0 || !strings.Contains(out, "current version: none (no database") {
			t.Fatalf("migrate --status: exit %d\n%s", code, out)
		}
		if _, err := os.Stat(parent); !os.IsNotExist(err) {
			t.Fatalf("migrate --status created %s (%v)", parent, err)
		}
		setSeats := []string{"orgs", "set-seats", "3f0c5a9e-8d2b-4f61-9a4e-2c7d1b0e6f55", "5"}
		for _, args := range [][]string{{"orgs", "list"}, setSeats} {
			out, code := castellantest.Run(t, env, args...)
			if code == 0 || !strings.Contains(out, "no database") || !strings.Contains(out, "castellan migrate") {
				t.Fatalf("%v without a database: exit %d\n%s", args, code, out)
			}
		}
		if _, err := os.Stat(parent); !os.IsNotExist(err) {
			t.Fatalf("orgs created %s (%v)", parent, err)
		}
		if out, code := castellantest.Run(t, env, "migrate"); code != 0 || strings.Contains(out, "version: 0") {
			t.Fatalf("migrate: exit %d\n%s", code, out)
		}
	})
}
