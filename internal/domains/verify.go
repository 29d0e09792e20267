package domains

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// Sentinels that a [VerifyError] matches.
var (
	// ErrNotVerified: DNS answered and the record is not there (or has another value).
	ErrNotVerified = errors.New("the verification record was not found")
	// ErrDNSUnavailable: DNS could not be asked (timeout, server failure); try again later.
	ErrDNSUnavailable = errors.New("the DNS lookup failed")
)

// VerifyError is a manual verification that did not succeed. Its message names the domain and the
// reason and is safe to show the administrator. It matches ErrNotVerified or ErrDNSUnavailable.
type VerifyError struct {
	Name   string
	Result Result
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("domain %s is not verified: %s", e.Name, e.Result.Reason)
}

// Is matches ErrNotVerified for an absent record and ErrDNSUnavailable for a failed lookup.
func (e *VerifyError) Is(target error) bool {
	return target == ErrNotVerified && e.Result.Outcome == Absent ||
		target == ErrDNSUnavailable && e.Result.Outcome == Unknown
}

// Unwrap returns the resolver's error, when there was one.
func (e *VerifyError) Unwrap() error { return e.Result.Err }

// VerifyNow checks the domain's TXT record at once, for an administrator. On success the domain is
// verified (or, if it was failing, back to verified) and returned. Otherwise nothing is written and
// the error says why: ErrAlreadyVerified for a verified domain whose checks succeed,
// ErrClaimedElsewhere when another organization holds the claim, a [VerifyError] when the record
// is absent or DNS failed, storage.ErrNotFound for an unknown id.
func (s *Service) VerifyNow(ctx context.Context, orgID, actorID, id string) (Domain, error) {
	d, err := s.store.Get(ctx, orgID, id)
	if err != nil {
		return Domain{}, err
	}
	if d.State == Verified {
		return d, ErrAlreadyVerified
	}
	if err := s.refuseClaimedElsewhere(ctx, d); err != nil {
		return d, err
	}
	res := Check(ctx, s.resolver, d.Name, d.TXT)
	s.log.InfoContext(ctx, "domain checked", "organization_id", orgID, "domain_id", d.ID,
		"outcome", res.Outcome.String(), "manual", true)
	if res.Outcome != Found {
		return d, &VerifyError{Name: d.Name, Result: res}
	}
	// Retry on a concurrent write: the check result still stands, applied to the fresh row.
	for range 3 {
		next, _, err := s.apply(ctx, d, res, s.clock.Now(), false, actorID)
		if !errors.Is(err, ErrStale) {
			return next, err
		}
		if d, err = s.store.Get(ctx, orgID, id); err != nil {
			return Domain{}, err
		}
		if d.State == Verified {
			return d, nil
		}
	}
	return d, fmt.Errorf("verify domain: %w", ErrStale)
}

// refuseClaimedElsewhere returns ErrClaimedElsewhere when another organization holds d's name.
func (s *Service) refuseClaimedElsewhere(ctx context.Context, d Domain) error {
	owner, err := s.store.FindClaimed(ctx, d.Name)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return err
	case owner.ID != d.ID:
		return ErrClaimedElsewhere
	}
	return nil
}

// apply stores what result does to d and tells the notifier. It returns the stored domain (d
// unchanged when there was nothing to write) and the event, zero if none.
func (s *Service) apply(ctx context.Context, d Domain, res Result, now time.Time, auto bool,
	actorID string) (Domain, EventKind, error) {
	t, ok := s.schedule.afterCheck(d, res, now, auto)
	if !ok {
		return d, 0, nil
	}
	next := t.next
	var err error
	if t.remove {
		err = s.store.DeleteAt(ctx, d.ID, d.Revision)
	} else {
		next, err = s.store.Update(ctx, t.next)
	}
	if err != nil {
		return d, 0, err
	}
	if t.event != 0 {
		s.log.InfoContext(ctx, "domain state changed", "event", t.event.String(),
			"organization_id", d.OrganizationID, "domain_id", d.ID, "state", string(next.State),
			"reason", res.Reason)
		s.notify(ctx, Event{Kind: t.event, Domain: next, ActorID: actorID, Reason: res.Reason,
			At: now})
	}
	return next, t.event, nil
}
