package domains

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/clock"
)

// Options are the dependencies and settings of a [Service].
type Options struct {
	Store    Store
	Resolver Resolver
	Notifier Notifier     // nil means NopNotifier
	Clock    clock.Clock  // nil means clock.Real
	Random   io.Reader    // for ids and verification values; nil means crypto/rand
	Logger   *slog.Logger // nil means slog.Default
	Schedule Schedule     // zero means DefaultSchedule
}

// Service is what the HTTP routes and the admin commands call to add, verify and remove domains;
// the [Reverifier] runs its automatic checks.
type Service struct {
	store    Store
	resolver Resolver
	notifier Notifier
	clock    clock.Clock
	random   io.Reader
	log      *slog.Logger
	schedule Schedule
}

// NewService checks the options and builds a Service.
func NewService(o Options) (*Service, error) {
	if o.Store == nil || o.Resolver == nil {
		return nil, errors.New("domains: a store and a resolver are required")
	}
	s := &Service{store: o.Store, resolver: o.Resolver, notifier: o.Notifier, clock: o.Clock,
		random: o.Random, log: o.Logger, schedule: o.Schedule}
	if s.notifier == nil {
		s.notifier = NopNotifier{}
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.random == nil {
		s.random = rand.Reader
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "domains")
	if s.schedule.Expiry == 0 {
		s.schedule = DefaultSchedule()
	}
	if err := s.schedule.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Add normalises name and adds it to the organization as a pending domain with a fresh verification
// value. It fails with a [NameError] for a malformed name, ErrDuplicate when the organization
// already has it and ErrClaimedElsewhere when another organization has verified it.
func (s *Service) Add(ctx context.Context, orgID, actorID, name string) (Domain, error) {
	norm, err := Normalize(name)
	if err != nil {
		return Domain{}, err
	}
	token, err := NewToken(s.random)
	if err != nil {
		return Domain{}, err
	}
	id, err := uuid.NewRandomFromReader(s.random)
	if err != nil {
		return Domain{}, fmt.Errorf("make domain id: %w", err)
	}
	now := s.clock.Now()
	d := Domain{ID: id.String(), OrganizationID: orgID, Name: norm, TXT: token, CreatedAt: now,
		NextRunAt: s.schedule.firstRun(now), State: Pending}
	if err := s.store.Create(ctx, d); err != nil {
		return Domain{}, err
	}
	s.log.InfoContext(ctx, "domain added", "organization_id", orgID, "domain_id", d.ID,
		"domain", norm)
	s.notify(ctx, Event{Kind: EventAdded, Domain: d, ActorID: actorID, At: now})
	return d, nil
}

// List returns the organization's domains.
func (s *Service) List(ctx context.Context, orgID string) ([]Domain, error) {
	return s.store.List(ctx, orgID)
}

// Get returns one of the organization's domains, or storage.ErrNotFound.
func (s *Service) Get(ctx context.Context, orgID, id string) (Domain, error) {
	return s.store.Get(ctx, orgID, id)
}

// ClaimedBy returns the domain through which an organization claims name (Verified or Failing), or
// storage.ErrNotFound. name is normalised first, so an email's domain part may be passed as typed.
func (s *Service) ClaimedBy(ctx context.Context, name string) (Domain, error) {
	norm, err := Normalize(name)
	if err != nil {
		return Domain{}, err
	}
	return s.store.FindClaimed(ctx, norm)
}

// Delete removes one of the organization's domains, claimed or not.
func (s *Service) Delete(ctx context.Context, orgID, actorID, id string) error {
	d, err := s.store.Get(ctx, orgID, id)
	if err != nil {
		return err
	}
	if err := s.store.Delete(ctx, orgID, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "domain removed", "organization_id", orgID, "domain_id", id,
		"state", string(d.State))
	s.notify(ctx, Event{Kind: EventRemoved, Domain: d, ActorID: actorID, At: s.clock.Now()})
	return nil
}

func (s *Service) notify(ctx context.Context, e Event) {
	if err := s.notifier.Notify(ctx, e); err != nil {
		s.log.WarnContext(ctx, "domain event not delivered", "event", e.Kind.String(),
			"domain_id", e.Domain.ID, "error", err)
	}
}
