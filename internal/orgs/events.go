package orgs

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// Paging of the event log.
const (
	eventPageSize      = 100
	defaultEventWindow = 30 * 24 * time.Hour
	maxEventWindow     = 367 * 24 * time.Hour
)

// Events returns a page of the organization's audit log, newest first, to owners, admins and custom
// members with the right to read it. start and end default to the last 30 days; continuation is
// the token of the previous page.
func (s *Service) Events(ctx context.Context, userID, orgID string, start, end time.Time,
	continuation string) (ListResponse[EventResponse], error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return ListResponse[EventResponse]{}, err
	}
	if err := a.require(rightEvents); err != nil {
		return ListResponse[EventResponse]{}, err
	}
	if end.IsZero() {
		end = s.clock.Now()
	}
	if start.IsZero() {
		start = end.Add(-defaultEventWindow)
	}
	if !start.Before(end) {
		return ListResponse[EventResponse]{}, httpx.BadRequest("Invalid date range.")
	}
	if end.Sub(start) > maxEventWindow {
		return ListResponse[EventResponse]{}, httpx.BadRequest("Range too large.")
	}
	cur, err := parseCursor(continuation)
	if err != nil {
		return ListResponse[EventResponse]{}, err
	}
	evs, err := s.store.Events(ctx, orgID, start, end, cur, eventPageSize)
	if err != nil {
		return ListResponse[EventResponse]{}, err
	}
	out := make([]EventResponse, len(evs))
	for i, e := range evs {
		out[i] = newEventResponse(e)
	}
	next := ""
	if len(evs) == eventPageSize {
		last := evs[len(evs)-1]
		next = formatCursor(EventCursor{Date: last.Date, ID: last.ID})
	}
	return newList(out, next), nil
}

func formatCursor(c EventCursor) string {
	raw := strconv.FormatInt(c.Date.UnixMilli(), 10) + "|" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseCursor(s string) (EventCursor, error) {
	if s == "" {
		return EventCursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		ms, id, ok := strings.Cut(string(raw), "|")
		n, perr := strconv.ParseInt(ms, 10, 64)
		if ok && perr == nil && id != "" {
			return EventCursor{Date: time.UnixMilli(n).UTC(), ID: id}, nil
		}
	}
	return EventCursor{}, httpx.BadRequest("Invalid continuation token.")
}

// ClientEvent is one event a client reports to /events/collect.
type ClientEvent struct {
	Type           int     `json:"type"`
	CipherID       *string `json:"cipherId"`
	Date           *string `json:"date"`
	OrganizationID *string `json:"organizationId"`
}

// clientEventTypes are the events a client may report: what it did with an organization's item
// (1100-1199) and an export of the organization's vault (1602).
func clientEventAllowed(t int) bool { return (t >= 1100 && t < 1200) || t == 1602 }

// maxClientEventAge bounds how old a reported date may be; older or future dates become now.
const maxClientEventAge = 7 * 24 * time.Hour

// RecordClientEvents stores the events a client reports about organizations the caller is a
// confirmed member of, for items of those organizations. Other events are dropped silently, as the
// clients expect a 200 whatever happens to them. It returns how many were stored.
func (s *Service) RecordClientEvents(ctx context.Context, userID string, in []ClientEvent,
	meta Meta) (int, error) {
	ms, err := s.store.MembershipsOfUser(ctx, userID)
	if err != nil {
		return 0, err
	}
	member := map[string]bool{}
	for _, m := range ms {
		member[m.OrganizationID] = m.Status == StatusConfirmed
	}
	var cipherIDs []string
	for _, e := range in {
		if e.CipherID != nil {
			cipherIDs = append(cipherIDs, *e.CipherID)
		}
	}
	owners, err := s.store.CipherOrganizations(ctx, dedupe(cipherIDs))
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var out []Event
	for _, e := range in {
		if !clientEventAllowed(e.Type) || e.OrganizationID == nil || !member[*e.OrganizationID] {
			continue
		}
		ev := s.event(EventType(e.Type), *e.OrganizationID, userID, meta, clientDate(e.Date, now))
		ev.UserID = userID
		if e.CipherID != nil {
			if owners[*e.CipherID] != *e.OrganizationID {
				continue
			}
			ev.CipherID = *e.CipherID
		}
		out = append(out, ev)
	}
	if len(out) == 0 {
		return 0, nil
	}
	return len(out), s.store.AddEvents(ctx, out)
}

// clientDate takes a reported date when it is plausible, else now.
func clientDate(s *string, now time.Time) time.Time {
	if s == nil {
		return now
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil || t.After(now) || now.Sub(t) > maxClientEventAge {
		return now
	}
	return t.UTC()
}
