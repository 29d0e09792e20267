package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// ErrSchemaTooNew means the database was migrated by a newer castellan than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this castellan")

// SchemaStatus tells where a database's schema stands.
type SchemaStatus struct {
	Current int64 // the highest version applied to the database (0 for an empty one)
	Latest  int64 // the highest version this binary knows
}

// Migrations returns the embedded migrations of one dialect.
func Migrations(d Dialect) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+d.String())
}

func (db *DB) provider(logger *slog.Logger) (*goose.Provider, error) {
	fsys, err := Migrations(db.dialect)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSlog(logger)}
	var dialect goose.Dialect
	switch db.dialect {
	case SQLite:
		dialect = goose.DialectSQLite3
	case Postgres:
		dialect = goose.DialectPostgres
	case MySQL:
		dialect = goose.DialectMySQL
	}
	p, err := goose.NewProvider(dialect, db.sql, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return p, nil
}

// LatestVersion returns the highest migration version this binary knows for dialect d.
func LatestVersion(d Dialect) (int64, error) {
	fsys, err := Migrations(d)
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	var latest int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return 0, fmt.Errorf("load migrations: %w", err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// Status reports the database's schema version and the latest this binary knows. It only reads:
// on a database castellan never migrated it reports version 0 without creating goose's version
// table (goose's own version query would), and it takes no lock, so it answers while another
// process migrates.
func (db *DB) Status(ctx context.Context) (SchemaStatus, error) {
	var st SchemaStatus
	var err error
	if st.Latest, err = LatestVersion(db.dialect); err != nil {
		return st, err
	}
	var exists int
	if err := db.QueryRowContext(ctx, versionTableExists[db.dialect]).Scan(&exists); err != nil {
		return st, fmt.Errorf("read schema version: %w", err)
	}
	if exists == 0 {
		return st, nil
	}
	var cur sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&cur); err != nil {
		return st, fmt.Errorf("read schema version: %w", err)
	}
	st.Current = cur.Int64
	return st, nil
}

// versionTableExists counts goose's version table in the database castellan is connected to (1 or 0).
var versionTableExists = map[Dialect]string{
	SQLite:   `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`,
	Postgres: `SELECT COUNT(*) FROM (SELECT to_regclass('goose_db_version') AS t) v WHERE t IS NOT NULL`,
	MySQL: `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_name = 'goose_db_version'`,
}

// Migrate applies every pending migration. It refuses, changing nothing, a database whose schema is
// newer than this binary: an older castellan must not run against tables it does not understand.
//
// On PostgreSQL and MariaDB the whole run, from reading the version to the last migration, holds
// the migration lock (see migrationLock), so that processes starting together migrate one after
// the other. It is held here rather than through goose's locker option, which goose skips when it
// checks for pending migrations and creates its version table: processes starting together on a
// new database then raced to create that table and the losers retried a second later.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) (_ SchemaStatus, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if db.dialect != SQLite {
		unlock, err := db.lockMigrations(ctx, logger)
		if err != nil {
			return SchemaStatus{}, err
		}
		defer func() {
			if uerr := unlock(); err == nil {
				err = uerr
			}
		}()
	}
	p, err := db.provider(logger)
	if err != nil {
		return SchemaStatus{}, err
	}
	st, err := db.Status(ctx)
	if err != nil {
		return st, err
	}
	if st.Current > st.Latest {
		return st, fmt.Errorf("%w: the database is at version %d, this castellan knows up to %d; "+
			"run the newer castellan or restore a backup", ErrSchemaTooNew, st.Current, st.Latest)
	}
	if _, err := p.Up(ctx); err != nil {
		return st, fmt.Errorf("apply migrations: %w", err)
	}
	return db.Status(ctx)
}
