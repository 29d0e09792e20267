package domains_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/mail"
)

// fakeAudience records audit events and knows one organization's administrators.
type fakeAudience struct {
	events    []domains.AuditEvent
	admins    []string
	recordErr error
}

func (f *fakeAudience) RecordDomainEvent(_ context.Context, e domains.AuditEvent) error {
	f.events = append(f.events, e)
	return f.recordErr
}

func (f *fakeAudience) DomainAdmins(context.Context, string) (string, []string, error) {
	return "Acme", f.admins, nil
}

// outbox records the messages sent.
type outbox struct{ sent []mail.Message }

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.sent = append(o.sent, m)
	return nil
}

func TestAlerts(t *testing.T) {
	created := t0
	failing := t0.Add(20 * day)
	d := domains.Domain{ID: "d1", OrganizationID: orgA, Name: "acme.example", TXT: "bw=value",
		CreatedAt: created}
	claimed := d
	claimed.State, claimed.FailingSince = domains.Failing, failing
	lastMiss := d
	lastMiss.JobRunCount = 3
	firstMiss := d
	firstMiss.JobRunCount = 1
	cases := []struct {
		name    string
		event   domains.Event
		typ     int
		subject string   // "" when no mail is due
		body    []string // what the mail must say
	}{
		{"added", domains.Event{Kind: domains.EventAdded, Domain: d, ActorID: adminA}, 2000, "", nil},
		{"removed", domains.Event{Kind: domains.EventRemoved, Domain: d, ActorID: adminA}, 2001, "", nil},
		{"expired", domains.Event{Kind: domains.EventExpired, Domain: d}, 2001, "", nil},
		{"verified", domains.Event{Kind: domains.EventVerified, Domain: d, ActorID: adminA}, 2002, "", nil},
		{"first miss", domains.Event{Kind: domains.EventNotVerified, Domain: firstMiss}, 2003, "", nil},
		{"last miss", domains.Event{Kind: domains.EventNotVerified, Domain: lastMiss}, 2003,
			"Domain acme.example is not verified",
			[]string{"after 3 checks", "10 December 2026", "bw=value"}},
		{"failing", domains.Event{Kind: domains.EventFailing, Domain: claimed,
			Reason: "the DNS lookup timed out"}, 9200, "The DNS check of acme.example failed",
			[]string{"the DNS lookup timed out", "still claims", "6 January 2027", "bw=value"}},
		{"recovered", domains.Event{Kind: domains.EventRecovered, Domain: d}, 9201, "", nil},
		{"lapsed", domains.Event{Kind: domains.EventLapsed, Domain: d, Reason: "no TXT record"}, 9202,
			"acme.example is no longer claimed", []string{"no longer claims", "no TXT record", "bw=value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			aud := &fakeAudience{admins: []string{"owner@acme.example", "admin@acme.example"}}
			box := &outbox{}
			a := &domains.Alerts{Audience: aud, Mail: box, PublicURL: "https://vault.example.com"}
			tc.event.At = t0.Add(time.Hour)
			if err := a.Notify(context.Background(), tc.event); err != nil {
				t.Fatal(err)
			}
			if len(aud.events) != 1 {
				t.Fatalf("audit events %+v", aud.events)
			}
			e := aud.events[0]
			job := tc.event.ActorID == ""
			if e.Type != tc.typ || e.OrganizationID != orgA || e.DomainName != "acme.example" ||
				e.ActingUserID != tc.event.ActorID || !e.At.Equal(tc.event.At) ||
				(e.SystemUser != nil) != job || job && *e.SystemUser != 2 {
				t.Fatalf("audit event %+v", e)
			}
			if tc.subject == "" {
				if len(box.sent) != 0 {
					t.Fatalf("mail sent: %+v", box.sent)
				}
				return
			}
			if len(box.sent) != 1 || box.sent[0].Subject != tc.subject || len(box.sent[0].To) != 2 {
				t.Fatalf("mail %+v", box.sent)
			}
			for _, want := range tc.body {
				if !strings.Contains(box.sent[0].Text, want) {
					t.Errorf("mail lacks %q:\n%s", want, box.sent[0].Text)
				}
			}
		})
	}
}

func TestAlertsFailuresAreReportedNotFatal(t *testing.T) {
	ev := domains.Event{Kind: domains.EventFailing, At: t0, Reason: "x",
		Domain: domains.Domain{OrganizationID: orgA, Name: "acme.example", TXT: "bw=v", FailingSince: t0}}
	aud := &fakeAudience{admins: []string{"owner@acme.example"}, recordErr: errors.New("database down")}
	box := &outbox{}
	err := (&domains.Alerts{Audience: aud, Mail: box, PublicURL: "https://vault.example.com"}).
		Notify(context.Background(), ev)
	if err == nil || !strings.Contains(err.Error(), "database down") || len(box.sent) != 1 {
		t.Fatalf("a failed audit write must still mail and be reported: %v, %d sent", err, len(box.sent))
	}
	// Without administrators to warn, or without a mail sender, only the event is recorded.
	aud = &fakeAudience{}
	if err := (&domains.Alerts{Audience: aud, Mail: box, PublicURL: "https://vault.example.com"}).
		Notify(context.Background(), ev); err != nil || len(box.sent) != 1 || len(aud.events) != 1 {
		t.Fatalf("no administrators: %v, %d sent", err, len(box.sent))
	}
	aud = &fakeAudience{admins: []string{"owner@acme.example"}}
	if err := (&domains.Alerts{Audience: aud}).Notify(context.Background(), ev); err != nil ||
		len(aud.events) != 1 {
		t.Fatalf("no sender: %v", err)
	}
}
