package sso

import (
	"context"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/samlsp"
	"github.com/castellan-vault/castellan/internal/storage"
)

// The SAML replay cache lives in the database (sso_replay, migration 00006), so that every
// castellan process on it refuses an assertion or logout request ID another process accepted.
// Records are keyed by organization and the SHA-256 of the ID, and kept until the time samlsp
// gives (the end of the assertion's validity, with crewjam's larger skew); a sweep under a
// database lease deletes the expired ones.

// replayCache is samlsp.ReplayCache on Store.Seen for one organization: IDs come from that
// organization's IdP, so one IdP cannot block another organization's IDs.
type replayCache struct {
	store Store
	orgID string
	clock clock.Clock
}

var _ samlsp.ReplayCache = replayCache{}

// Seen implements samlsp.ReplayCache: one atomic insert, refused as a duplicate while the earlier
// record is live.
func (c replayCache) Seen(ctx context.Context, id string, notOnOrAfter time.Time) (bool, error) {
	return c.store.Seen(ctx, c.orgID, id, notOnOrAfter, c.clock.Now())
}

// replaySweepLock is the database lease of the replay sweep; replaySweepLease is how long one
// holder keeps it without renewing.
const (
	replaySweepLock  = "sso.saml_replay_sweep"
	replaySweepLease = 3 * cleanupEvery
)

// DeleteExpiredReplay deletes the replay records whose time has passed and returns how many.
func (s Store) DeleteExpiredReplay(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sso_replay WHERE expires_at < ?`, storage.Millis(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired replay records: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired replay records: %w", err)
	}
	return n, nil
}

// SweepReplay deletes expired replay records if this process holds (or takes) the sweep's
// database lease, so that with several processes one of them does the work. It reports whether
// it swept. The assertion consumer calls it at most once a minute per process; it is exported for
// a job runner and for tests.
func (s *Service) SweepReplay(ctx context.Context) (bool, error) {
	now := s.clock.Now()
	held, err := storage.TryLock(ctx, s.db, replaySweepLock, s.sweepHolder(), now, replaySweepLease)
	if err != nil || !held {
		return false, err
	}
	n, err := s.store.DeleteExpiredReplay(ctx, now)
	if err != nil {
		return false, err
	}
	s.log.DebugContext(ctx, "saml replay records swept", "deleted", n)
	return true, nil
}

// sweepReplayIfDue runs SweepReplay at most once per cleanupEvery in this process; a failure is
// only logged.
func (s *Service) sweepReplayIfDue(ctx context.Context) {
	now := s.clock.Now()
	s.saml.mu.Lock()
	due := now.Sub(s.saml.lastSweep) >= cleanupEvery
	if due {
		s.saml.lastSweep = now
	}
	s.saml.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.SweepReplay(ctx); err != nil {
		s.log.WarnContext(ctx, "saml replay sweep failed", "err", err)
	}
}
