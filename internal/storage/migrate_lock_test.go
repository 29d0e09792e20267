package storage_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestMigrationWaitsForTheLockAndSaysSo holds the migration lock as another castellan would, starts
// a migration, and checks that it logs that it waits, does not migrate meanwhile, and goes ahead
// as soon as the lock is given back. SQLite has no such lock.
func TestMigrationWaitsForTheLockAndSaysSo(t *testing.T) {
	for _, e := range storagetest.Engines() {
		if e.Name == "sqlite" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			raw := e.Fresh(t)
			holder, waiter := openURL(t, raw), openURL(t, raw)
			conn, err := holder.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The lock as another castellan holds it: goose's advisory lock id on PostgreSQL, a
			// named lock per database on MariaDB.
			take, give := `SELECT pg_advisory_lock(4097083626)`, `SELECT pg_advisory_unlock(4097083626)`
			if e.Name == "mysql" {
				take = `SELECT GET_LOCK(CONCAT('castellan_migrate_', MD5(DATABASE())), 0)`
				give = `SELECT RELEASE_LOCK(CONCAT('castellan_migrate_', MD5(DATABASE())))`
			}
			if _, err := conn.ExecContext(ctx, take); err != nil {
				t.Fatal(err)
			}
			log := &lockedBuffer{}
			done := make(chan error, 1)
			go func() {
				_, err := waiter.Migrate(ctx, slog.New(slog.NewTextHandler(log, nil)))
				done <- err
			}()
			deadline := time.After(30 * time.Second)
			for !strings.Contains(log.String(), "waiting for the migration lock") {
				select {
				case err := <-done:
					t.Fatalf("migrated while another process held the lock (err %v); log:\n%s", err, log)
				case <-deadline:
					t.Fatalf("no word of waiting for the lock; log:\n%s", log)
				case <-time.After(20 * time.Millisecond):
				}
			}
			if _, err := conn.ExecContext(ctx, give); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("migrate after the lock was given back: %v", err)
			}
			if !strings.Contains(log.String(), "took the migration lock") {
				t.Fatalf("no word of taking the lock; log:\n%s", log)
			}
			if n := strings.Count(log.String(), "waiting for the migration lock"); n != 1 {
				t.Fatalf("%d lines of waiting, want one per migration run; log:\n%s", n, log)
			}
			if st, err := waiter.Status(ctx); err != nil || st.Current != st.Latest {
				t.Fatalf("status after migrate: %+v, %v", st, err)
			}
		})
	}
}

func openURL(t *testing.T, raw string) *storage.DB {
	t.Helper()
	target, err := storage.ParseURL(raw, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), target, storage.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
