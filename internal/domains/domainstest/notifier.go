package domainstest

import (
	"context"
	"sync"

	"github.com/castellan-vault/castellan/internal/domains"
)

// Notifier records the events it is told about. Set Err to make Notify fail.
type Notifier struct {
	mu     sync.Mutex
	events []domains.Event
	Err    error
}

// Notify records e.
func (n *Notifier) Notify(_ context.Context, e domains.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
	return n.Err
}

// Events returns the recorded events, oldest first.
func (n *Notifier) Events() []domains.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]domains.Event(nil), n.events...)
}

// Kinds returns the kinds of the recorded events, oldest first.
func (n *Notifier) Kinds() []domains.EventKind {
	var out []domains.EventKind
	for _, e := range n.Events() {
		out = append(out, e.Kind)
	}
	return out
}

// Reset forgets the recorded events.
func (n *Notifier) Reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = nil
}
