package domains

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Schedule says when domains are checked automatically and when they are given up.
type Schedule struct {
	// Attempts are the automatic checks of a pending domain, as offsets from its creation, in
	// increasing order. Default 12 h, 36 h and 72 h, as the official server.
	Attempts []time.Duration
	// Expiry is how long after its creation a pending domain is removed. Just before, it is checked
	// one last time. Default 7 days, as the official server.
	Expiry time.Duration
	// Recheck is how often a verified domain is checked again. Default 24 h. (The official server
	// never checks a verified domain again; see doc.go.)
	Recheck time.Duration
	// FailingRecheck is how often a failing domain is checked. Default 4 h.
	FailingRecheck time.Duration
	// Grace is how long a verified domain may fail before its claim is dropped. Default 14 days.
	Grace time.Duration
}

// DefaultSchedule returns the schedule castellan runs with.
func DefaultSchedule() Schedule {
	return Schedule{
		Attempts:       []time.Duration{12 * time.Hour, 36 * time.Hour, 72 * time.Hour},
		Expiry:         7 * 24 * time.Hour,
		Recheck:        24 * time.Hour,
		FailingRecheck: 4 * time.Hour,
		Grace:          14 * 24 * time.Hour,
	}
}

// Validate checks that the schedule makes sense.
func (s Schedule) Validate() error {
	if !slices.IsSorted(s.Attempts) || len(s.Attempts) > 0 && s.Attempts[0] <= 0 {
		return errors.New("domain schedule: attempts must be positive and increasing")
	}
	if s.Expiry <= 0 || len(s.Attempts) > 0 && s.Attempts[len(s.Attempts)-1] >= s.Expiry {
		return errors.New("domain schedule: the expiry must be positive and after the last attempt")
	}
	if s.Recheck <= 0 || s.FailingRecheck <= 0 || s.Grace <= 0 {
		return fmt.Errorf("domain schedule: recheck intervals and grace must be positive")
	}
	return nil
}

// firstRun is when a new pending domain is checked first.
func (s Schedule) firstRun(created time.Time) time.Time {
	if len(s.Attempts) == 0 {
		return created.Add(s.Expiry)
	}
	return created.Add(s.Attempts[0])
}

// transition is what a check result does to a domain.
type transition struct {
	next   Domain    // the domain to store, unless remove
	remove bool      // delete the domain
	event  EventKind // zero when there is nothing to tell
}

// afterCheck applies result to d. auto says whether the background job ran the check (it counts
// toward the pending schedule, and failed manual checks change nothing). ok is false when nothing
// is to be written.
func (s Schedule) afterCheck(d Domain, r Result, now time.Time, auto bool) (t transition, ok bool) {
	if r.Outcome == Found {
		return s.found(d, now, auto), true
	}
	if !auto {
		return transition{}, false
	}
	switch d.State {
	case Pending:
		return s.pendingMissed(d, now), true
	case Verified, Failing:
		return s.claimedMissed(d, r, now), true
	}
	// A lapsed domain has no automatic runs; if one was left planned, drop the plan.
	d.NextRunAt = time.Time{}
	return transition{next: d}, true
}

func (s Schedule) found(d Domain, now time.Time, auto bool) transition {
	t := transition{}
	switch d.State {
	case Failing:
		t.event = EventRecovered
	case Verified:
	default:
		t.event = EventVerified
		d.VerifiedAt = now
		if auto && d.State == Pending {
			d.JobRunCount++
		}
	}
	d.State, d.FailingSince = Verified, time.Time{}
	d.LastCheckedAt, d.NextRunAt = now, now.Add(s.Recheck)
	t.next = d
	return t
}

// pendingMissed handles a failed automatic attempt on a never-verified domain: plan the next
// attempt, or remove the domain once the expiry has come.
func (s Schedule) pendingMissed(d Domain, now time.Time) transition {
	expiry := d.CreatedAt.Add(s.Expiry)
	if !now.Before(expiry) {
		return transition{next: d, remove: true, event: EventExpired}
	}
	d.JobRunCount++
	d.LastCheckedAt = now
	d.NextRunAt = expiry
	for _, off := range s.Attempts {
		if at := d.CreatedAt.Add(off); at.After(now) {
			d.NextRunAt = at
			break
		}
	}
	return transition{next: d, event: EventNotVerified}
}

// claimedMissed handles a failed check of a verified domain (field report F8): the first failure
// marks it failing and warns; the claim is dropped only when the domain has failed for the whole
// grace period AND this check got a definite answer that the record is absent. A DNS failure alone
// (timeout, SERVFAIL) never drops a claim, however long it lasts: it says nothing about the record.
func (s Schedule) claimedMissed(d Domain, r Result, now time.Time) transition {
	t := transition{}
	if d.State == Verified {
		d.State, d.FailingSince = Failing, now
		t.event = EventFailing
	}
	d.LastCheckedAt = now
	d.NextRunAt = now.Add(s.FailingRecheck)
	if r.Outcome == Absent && now.Sub(d.FailingSince) >= s.Grace {
		d.State = Lapsed
		d.VerifiedAt, d.FailingSince, d.NextRunAt = time.Time{}, time.Time{}, time.Time{}
		t.event = EventLapsed
	}
	t.next = d
	return t
}
