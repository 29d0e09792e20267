package settings_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

func TestStoreConformance(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		s := settings.SQLStore{DB: db}
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

		t.Run("GetMissing", func(t *testing.T) {
			if _, err := s.Get(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("Get(missing) err = %v, want ErrNotFound", err)
			}
		})
		t.Run("PutThenReplace", func(t *testing.T) {
			long := strings.Repeat("x", 70000) // beyond MySQL TEXT's 64 KiB
			for _, v := range []string{"one", "two ünïcode ✓", long} {
				if err := s.Put(ctx, "k", v, now); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Get(ctx, "k"); err != nil || got != v {
					t.Fatalf("Get = %d bytes, %v; want %d bytes", len(got), err, len(v))
				}
			}
		})
		t.Run("PutIfAbsentConcurrent", func(t *testing.T) {
			var wg sync.WaitGroup
			got := make([]string, 8)
			errs := make([]error, 8)
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i], errs[i] = s.PutIfAbsent(ctx, "race", fmt.Sprint("v", i), now)
				}()
			}
			wg.Wait()
			for i := range got {
				if errs[i] != nil {
					t.Fatalf("caller %d: %v", i, errs[i])
				}
				if got[i] != got[0] {
					t.Fatalf("callers disagree on the winner: %q vs %q", got[i], got[0])
				}
			}
		})
	})
}
