package samlsp

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
)

// ReplayCache remembers accepted assertion IDs (and logout request IDs, prefixed "logout:") so that
// each is accepted once. Seen records id until notOnOrAfter, after which the SP refuses the message
// anyway, and reports whether it was already recorded. Recording and checking must be one atomic
// step shared by every castellan process (the database implementation comes with the SSO
// integration). IDs come from the IdP, so a cache shared by several organizations must key its
// records by organization too, or one organization's IdP could block another's assertion IDs.
// Any error refuses the message.
type ReplayCache interface {
	Seen(ctx context.Context, assertionID string, notOnOrAfter time.Time) (
		alreadySeen bool, err error)
}

// ErrReplayCacheFull is returned by MemoryReplayCache when it holds its maximum of live entries:
// it refuses rather than forget an entry, which would allow a replay.
var ErrReplayCacheFull = errors.New("replay cache is full")

// MemoryReplayCache is a ReplayCache for tests and single-process use.
type MemoryReplayCache struct {
	clock      clock.Clock
	maxEntries int

	mu      sync.Mutex
	entries map[string]time.Time
}

// NewMemoryReplayCache returns an empty cache holding at most maxEntries unexpired IDs.
func NewMemoryReplayCache(clk clock.Clock, maxEntries int) *MemoryReplayCache {
	return &MemoryReplayCache{clock: clk, maxEntries: maxEntries, entries: map[string]time.Time{}}
}

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(ctx context.Context, id string, notOnOrAfter time.Time) (
	bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if until, ok := c.entries[id]; ok && now.Before(until) {
		return true, nil
	}
	if len(c.entries) >= c.maxEntries {
		for k, until := range c.entries {
			if !now.Before(until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.maxEntries {
			return false, ErrReplayCacheFull
		}
	}
	c.entries[id] = notOnOrAfter
	return false, nil
}
