package domains

import (
	"context"
	"time"
)

// EventKind names something that happened to a domain.
type EventKind int

// The events a [Notifier] hears about.
const (
	// EventAdded: an administrator added the domain (official event 2000).
	EventAdded EventKind = iota + 1
	// EventRemoved: an administrator deleted the domain (official event 2001).
	EventRemoved
	// EventVerified: the domain became verified (claimed), by a manual or an automatic check
	// (official event 2002). The claim's side effects (Single Organization policy, mail to the
	// members on the domain) hang off this event.
	EventVerified
	// EventNotVerified: an automatic check of a pending domain did not find the record (official
	// event 2003).
	EventNotVerified
	// EventFailing: a verified domain's check failed for the first time after succeeding; the claim
	// holds for the grace period. Administrators are to be warned by email and an event.
	EventFailing
	// EventRecovered: a failing domain's check succeeded again.
	EventRecovered
	// EventLapsed: a domain failed past the grace period and is no longer verified.
	EventLapsed
	// EventExpired: a domain never verified was removed when its time ran out.
	EventExpired
)

func (k EventKind) String() string {
	switch k {
	case EventAdded:
		return "added"
	case EventRemoved:
		return "removed"
	case EventVerified:
		return "verified"
	case EventNotVerified:
		return "not_verified"
	case EventFailing:
		return "failing"
	case EventRecovered:
		return "recovered"
	case EventLapsed:
		return "lapsed"
	case EventExpired:
		return "expired"
	}
	return "unknown"
}

// Event is one thing that happened to a domain.
type Event struct {
	Kind EventKind
	// Domain is the domain after the change (as it was, for EventRemoved and EventExpired).
	Domain Domain
	// ActorID is the user who acted; empty when the background job did (the official server's
	// system user DomainVerification).
	ActorID string
	// Reason is the reason the check gave, for the events a check causes; it is safe to show.
	Reason string
	At     time.Time
}

// Notifier hears about domain events after they are stored: the organizations concern records the
// audit events, and mail sends the warnings to the organization's owners and administrators. A
// Notifier error is logged and does not undo the change.
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}

// NopNotifier drops every event.
type NopNotifier struct{}

// Notify does nothing.
func (NopNotifier) Notify(context.Context, Event) error { return nil }
