package sso_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/sso"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestSAMLReplayCache is the replay cache's contract on every engine: one ID is accepted once even
// by concurrent requests (as from several processes), per organization, until it expires; the sweep
// deletes only expired records and runs in one process at a time, under its database lease.
func TestSAMLReplayCache(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli()).UTC()
		orgID, _ := seedStore(t, db, now)
		other, _ := seedStore(t, db, now)
		st := sso.NewStore(db)
		t.Run("Concurrent", func(t *testing.T) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			fresh, errs := 0, 0
			for range 8 {
				wg.Go(func() {
					seen, err := st.Seen(ctx, orgID, "_assertion-race", now.Add(time.Minute), now)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs++
					} else if !seen {
						fresh++
					}
				})
			}
			wg.Wait()
			if fresh != 1 || errs != 0 {
				t.Errorf("accepted %d times, %d errors", fresh, errs)
			}
			if seen, err := st.Seen(ctx, other, "_assertion-race", now.Add(time.Minute), now); err != nil || seen {
				t.Errorf("another organization: %v %v", seen, err)
			}
		})
		t.Run("Sweep", func(t *testing.T) { testReplaySweep(t, ctx, db, st, orgID, now) })
	})
}

func testReplaySweep(t *testing.T, ctx context.Context, db *storage.DB, st sso.Store, orgID string, now time.Time) {
	live := countReplay(t, db)
	for i, ttl := range []time.Duration{-time.Minute, -time.Second, time.Hour} {
		if _, err := st.Seen(ctx, orgID, "_sweep-"+string(rune('a'+i)), now.Add(ttl), now.Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	clk := clock.NewFake(now)
	one, two := replayService(t, db, clk), replayService(t, db, clk)
	if swept, err := one.SweepReplay(ctx); err != nil || !swept {
		t.Fatalf("first process: %v %v", swept, err)
	}
	if n := countReplay(t, db); n != live+1 {
		t.Errorf("%d records left, want %d: the expired ones are gone", n, live+1)
	}
	if swept, err := two.SweepReplay(ctx); err != nil || swept {
		t.Errorf("second process swept while the first holds the lease: %v %v", swept, err)
	}
	clk.Advance(10 * time.Minute) // the first process stopped renewing
	if swept, err := two.SweepReplay(ctx); err != nil || !swept {
		t.Errorf("second process after the lease ended: %v %v", swept, err)
	}
}

// replayService is an SSO service on db, as one castellan process has.
func replayService(t *testing.T, db *storage.DB, clk clock.Clock) *sso.Service {
	t.Helper()
	s, err := sso.NewService(context.Background(), sso.Options{DB: db, Settings: settings.SQLStore{DB: db},
		PublicURL: "https://vault.example.test", Clock: clk, Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func countReplay(t *testing.T, db *storage.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sso_replay`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
