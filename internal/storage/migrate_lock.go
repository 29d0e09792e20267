package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3/lock"
)

// migrationLock makes castellan processes that start together on one PostgreSQL or MariaDB
// database migrate one after the other: [DB.Migrate] holds it on a connection of its own for the
// whole run. It is a session lock of the engine, so a process that dies gives it back with its
// connection.
//
// goose's own PostgreSQL locker polls every five seconds and says nothing meanwhile, so a second
// process started next to a first waited five seconds in silence. This one first tries the lock,
// logs that it waits when it has to, then waits in the server (PostgreSQL) or in short steps
// (MariaDB), and takes the lock the moment it is free. SQLite needs none: a migration is one
// writer's transaction on the file.
type migrationLock struct {
	dialect Dialect
	logger  *slog.Logger
}

// migrationLockID is goose's default advisory lock id, kept so that a castellan from before this
// locker and one after it still exclude each other during an upgrade.
const migrationLockID = lock.DefaultLockID

// mysqlLockName names the MariaDB lock. GET_LOCK names are server-wide, so the name includes (a
// digest of) the database, leaving castellans of other databases on the server alone.
const mysqlLockName = `CONCAT('castellan_migrate_', MD5(DATABASE()))`

// mysqlWaitStep is how long one GET_LOCK call waits before the context is checked again.
const mysqlWaitStep = 2

// SessionLock takes the lock on conn, logging once when another process holds it.
func (l migrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	got, err := l.try(ctx, conn, 0)
	if err != nil || got {
		return err
	}
	start := time.Now()
	l.logger.Info("waiting for the migration lock: another castellan process is migrating this database")
	if l.dialect == Postgres {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID)
	} else {
		for !got && err == nil {
			got, err = l.try(ctx, conn, mysqlWaitStep)
		}
	}
	if err != nil {
		return fmt.Errorf("wait for the migration lock: %w", err)
	}
	l.logger.Info("took the migration lock", "waited", time.Since(start).Round(time.Millisecond))
	return nil
}

// try asks for the lock once, waiting up to wait seconds (MariaDB only; PostgreSQL never waits).
func (l migrationLock) try(ctx context.Context, conn *sql.Conn, wait int) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var got sql.NullBool
	var err error
	if l.dialect == Postgres {
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, migrationLockID).Scan(&got)
	} else {
		err = conn.QueryRowContext(ctx, `SELECT GET_LOCK(`+mysqlLockName+`, ?)`, wait).Scan(&got)
	}
	if err != nil {
		return false, fmt.Errorf("take the migration lock: %w", err)
	}
	return got.Valid && got.Bool, nil
}

// lockMigrations takes the migration lock on a connection of its own and returns what gives it back
// and returns the connection to the pool.
func (db *DB) lockMigrations(ctx context.Context, logger *slog.Logger) (func() error, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	l := migrationLock{dialect: db.dialect, logger: logger}
	if err := l.SessionLock(ctx, conn); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return func() error {
		err := l.SessionUnlock(context.WithoutCancel(ctx), conn)
		return errors.Join(err, conn.Close())
	}, nil
}

// SessionUnlock gives the lock back.
func (l migrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var released sql.NullBool
	var err error
	if l.dialect == Postgres {
		err = conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockID).Scan(&released)
	} else {
		err = conn.QueryRowContext(ctx, `SELECT RELEASE_LOCK(`+mysqlLockName+`)`).Scan(&released)
	}
	if err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	if !released.Valid || !released.Bool {
		return errors.New("release the migration lock: this session did not hold it")
	}
	return nil
}
