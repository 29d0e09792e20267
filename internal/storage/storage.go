package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/castellan-vault/castellan/internal/seal"
)

// Dialect names a database engine.
type Dialect int

// The engines castellan runs on.
const (
	SQLite Dialect = iota + 1
	Postgres
	MySQL
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	}
	return "unknown"
}

// Sentinel errors that store implementations return, whatever the engine.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique constraint refused the write.
	ErrConflict = errors.New("conflict")
)

// Querier runs SQL written with `?` placeholders. Both *DB and *Tx implement it, so store code works
// the same inside and outside a transaction.
type Querier interface {
	Dialect() Dialect
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open castellan database.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	safe    string
	sealer  *seal.Sealer
}

// ErrNoDatabase means OpenOptions.Existing was asked for and the SQLite file does not exist.
var ErrNoDatabase = errors.New("no database")

// OpenOptions tune Open.
type OpenOptions struct {
	// ConnectTimeout bounds the first connection; zero means 10 seconds.
	ConnectTimeout time.Duration
	// Existing opens only a database that is already there: for SQLite, a missing file is
	// ErrNoDatabase and neither it nor its folder is created. For commands that only read or
	// that work on a migrated database (migrate --status, orgs).
	Existing bool
	// Sealer, from CASTELLAN_SEAL_KEY, seals the secrets that stores keep in this database (see
	// [DB.Sealer]); nil keeps them as they are.
	Sealer *seal.Sealer
}

// Open connects to the database described by target and checks that it answers. For SQLite it creates
// the file's folder if needed, unless opts.Existing.
func Open(ctx context.Context, target Target, opts OpenOptions) (*DB, error) {
	if target.Dialect == SQLite {
		path := target.Path()
		if opts.Existing {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s does not exist", ErrNoDatabase, path)
			}
		} else if err := createSQLiteFile(path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open(target.Driver, target.DSN)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", target.Safe, err)
	}
	configurePool(db, target.Dialect)
	timeout := opts.ConnectTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to %s: %w", target.Safe, pingErr(err))
	}
	return &DB{sql: db, dialect: target.Dialect, safe: target.Safe, sealer: opts.Sealer}, nil
}

// createSQLiteFile makes the database's folder (0700) and an empty database file readable only by
// castellan's user, unless it exists. SQLite would create the file with the process umask (0644 as
// a rule), wherever DATABASE_URL puts it, and gives its -wal and -shm files the mode of the main
// file, so this covers all three. An existing file keeps the mode its owner gave it.
func createSQLiteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create the database folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the database file: %w", err)
	}
	return f.Close()
}

func configurePool(db *sql.DB, d Dialect) {
	switch d {
	case SQLite:
		// One file, one writer at a time: a small pool keeps lock waits short.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	default:
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
}

// pingErr keeps the driver's reason but drops what a driver might echo of the DSN.
func pingErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("no answer before the connect timeout")
	}
	// pgx lists one line per address tried; keep start-up errors on one line, without repeats.
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	return errors.New(strings.Join(parts, " "))
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Dialect tells the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Describe returns a description of the database that is safe to log.
func (db *DB) Describe() string { return db.safe }

// Sealer returns the sealer of the secrets kept in this database, nil when no seal key is
// configured (a nil *seal.Sealer stores values as they are). It travels with the handle so that
// every store that writes a secret column finds it in one place.
func (db *DB) Sealer() *seal.Sealer { return db.sealer }

// SQL returns the underlying pool, for migrations and tests.
func (db *DB) SQL() *sql.DB { return db.sql }

// ExecContext runs a statement.
func (db *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, rebind(db.dialect, q), args...)
}

// QueryContext runs a query.
func (db *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.sql.QueryContext(ctx, rebind(db.dialect, q), args...)
}

// QueryRowContext runs a query that returns at most one row.
func (db *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return db.sql.QueryRowContext(ctx, rebind(db.dialect, q), args...)
}

// Tx is a transaction. It implements Querier.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

// Dialect tells the engine.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, rebind(tx.dialect, q), args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, rebind(tx.dialect, q), args...)
}

// QueryRowContext runs a single-row query in the transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, rebind(tx.dialect, q), args...)
}

// InTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise (and on
// panic). Every change a request makes goes through one InTx, so nothing is ever half-written.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqlTx, dialect: db.dialect}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", MapError(err))
	}
	return nil
}

// rebind rewrites `?` placeholders to `$1, $2, ...` for PostgreSQL. Question marks inside quoted
// literals or identifiers are left alone.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// MapError turns engine-specific errors into the package's sentinels: no rows becomes ErrNotFound
// and a unique-constraint violation becomes ErrConflict. Other errors pass through.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1062
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func isConflict(err error) bool { return errors.Is(err, ErrConflict) }
