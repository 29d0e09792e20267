// Package storagetest runs storage conformance suites against every engine castellan supports.
//
// [ForEachEngine] gives a test one fresh, migrated database per engine: a temporary SQLite file, and a
// newly created database on the PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB
// (127.0.0.1:3306, root) servers that every development and CI machine runs. Each database has a
// random name and is dropped at the end, so parallel runs never collide. The server addresses can be
// changed with CASTELLAN_TEST_POSTGRES_URL and CASTELLAN_TEST_MYSQL_URL. When a server is unreachable
// the engine is skipped, except under CI=true, where that is a failure.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// Engine is one database engine under test.
type Engine struct {
	Name string
	// Fresh creates a new empty database and returns its DATABASE_URL; the database is dropped when
	// the test ends.
	Fresh func(t testing.TB) string
}

// Engines lists SQLite, PostgreSQL and MariaDB.
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", Fresh: freshSQLite},
		{Name: "postgres", Fresh: freshPostgres},
		{Name: "mysql", Fresh: freshMySQL},
	}
}

// ForEachEngine runs fn as a sub-test named after each engine, with a fresh migrated database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			fn(t, OpenFresh(t, e))
		})
	}
}

// OpenFresh creates, opens and migrates a fresh database on engine e.
func OpenFresh(t testing.TB, e Engine) *storage.DB {
	t.Helper()
	raw := e.Fresh(t)
	target, err := storage.ParseURL(raw, t.TempDir())
	if err != nil {
		t.Fatalf("parse test database URL: %v", err)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, target, storage.OpenOptions{})
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatalf("migrate %s: %v", e.Name, err)
	}
	return db
}

func freshSQLite(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
}

func freshPostgres(t testing.TB) string {
	admin := envOr("CASTELLAN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	name := randomName()
	createDB(t, "pgx", admin, "postgres", `CREATE DATABASE `+name, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

func freshMySQL(t testing.TB) string {
	admin := envOr("CASTELLAN_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql")
	target, err := storage.ParseURL(admin, "")
	if err != nil {
		t.Fatalf("CASTELLAN_TEST_MYSQL_URL: %v", err)
	}
	name := randomName()
	createDB(t, "mysql", target.DSN, "mysql",
		`CREATE DATABASE `+name+` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`, `DROP DATABASE IF EXISTS `+name)
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// createDB runs create on the server reachable through dsn and registers drop for cleanup.
func createDB(t testing.TB, driver, dsn, engine, create, drop string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		unreachable(t, engine, err)
		return
	}
	if _, err := db.Exec(create); err != nil {
		_ = db.Close()
		t.Fatalf("%s: create test database: %v", engine, err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(drop); err != nil {
			t.Logf("%s: drop test database: %v", engine, err)
		}
		_ = db.Close()
	})
}

func unreachable(t testing.TB, engine string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is unreachable and CI=true, so this is a failure: %v", engine, err)
	}
	t.Skipf("%s is unreachable, skipping (under CI=true this fails): %v", engine, err)
}

func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "castellan_test_" + hex.EncodeToString(b[:])
}

func envOr(k, def string) string {
	if v := strings.TrimSpace(os.Getenv(k)); v != "" {
		return v
	}
	return def
}

// MustExec runs a statement or fails the test.
func MustExec(t testing.TB, db storage.Querier, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("exec %q: %v", q, fmt.Errorf("%w", err))
	}
}
