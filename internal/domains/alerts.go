package domains

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/mail"
)

// Audit event types of domains. 2000 to 2003 are the official numbers. The official server never
// re-checks a verified domain, so it has no numbers for what castellan's re-checks find; those are
// castellan's own, numbered from 9200, far from every official range so that a future official
// type cannot collide with them (clients show an unknown type without a description).
const (
	AuditAdded       = 2000 // OrganizationDomain_Added
	AuditRemoved     = 2001 // OrganizationDomain_Removed; also when a never-verified domain expires
	AuditVerified    = 2002 // OrganizationDomain_Verified
	AuditNotVerified = 2003 // OrganizationDomain_NotVerified: an automatic attempt failed
	AuditFailing     = 9200 // castellan: a claimed domain's check failed; the claim holds for now
	AuditRecovered   = 9201 // castellan: a failing domain's check succeeded again
	AuditLapsed      = 9202 // castellan: the claim ended after failing past the grace period
)

// SystemUserDomainVerification is the official EventSystemUser value recorded when the background
// job, not a person, acted.
const SystemUserDomainVerification = 2

// AuditEvent is a domain event as an organization's audit log stores it.
type AuditEvent struct {
	Type           int
	OrganizationID string
	ActingUserID   string // "" when the background job acted
	SystemUser     *int   // SystemUserDomainVerification when the background job acted
	DomainName     string
	At             time.Time
}

// Audience is what [Alerts] needs from organizations.
type Audience interface {
	// RecordDomainEvent appends an audit event to the organization's log.
	RecordDomainEvent(ctx context.Context, e AuditEvent) error
	// DomainAdmins returns the organization's name and the addresses to warn about its domains:
	// its confirmed owners, admins and custom members with manageSso.
	DomainAdmins(ctx context.Context, orgID string) (orgName string, emails []string, err error)
}

// Alerts is the [Notifier] castellan runs with: every event goes to the organization's audit log,
// and the events an administrator must act on are mailed to the organization's administrators —
// a claimed domain whose check failed, a claim that ended, and a pending domain whose last
// scheduled attempt failed (it is removed at its expiry, as the official server warns about on the
// fourth day).
type Alerts struct {
	Audience  Audience
	Mail      mail.Sender // nil sends no mail
	PublicURL string
	Schedule  Schedule // the service's schedule, for the dates in the messages; zero means the default
}

// Notify records e and sends its warning, if it has one. Both are tried; their errors are joined.
func (a *Alerts) Notify(ctx context.Context, e Event) error {
	var errs []error
	if typ := auditType(e.Kind); typ != 0 {
		ae := AuditEvent{Type: typ, OrganizationID: e.Domain.OrganizationID, ActingUserID: e.ActorID,
			DomainName: e.Domain.Name, At: e.At}
		if e.ActorID == "" {
			sys := SystemUserDomainVerification
			ae.SystemUser = &sys
		}
		if err := a.Audience.RecordDomainEvent(ctx, ae); err != nil {
			errs = append(errs, fmt.Errorf("record domain event: %w", err))
		}
	}
	if err := a.warn(ctx, e); err != nil {
		errs = append(errs, fmt.Errorf("warn administrators: %w", err))
	}
	return errors.Join(errs...)
}

// auditType is the audit event type of an event kind.
func auditType(k EventKind) int {
	switch k {
	case EventAdded:
		return AuditAdded
	case EventRemoved, EventExpired:
		return AuditRemoved
	case EventVerified:
		return AuditVerified
	case EventNotVerified:
		return AuditNotVerified
	case EventFailing:
		return AuditFailing
	case EventRecovered:
		return AuditRecovered
	case EventLapsed:
		return AuditLapsed
	}
	return 0
}

// warn mails the administrators about the events that need them.
func (a *Alerts) warn(ctx context.Context, e Event) error {
	if a.Mail == nil {
		return nil
	}
	sched := a.Schedule
	if sched.Expiry == 0 {
		sched = DefaultSchedule()
	}
	d := e.Domain
	lastAttempt := e.Kind == EventNotVerified && d.JobRunCount == len(sched.Attempts)
	if e.Kind != EventFailing && e.Kind != EventLapsed && !lastAttempt {
		return nil
	}
	name, emails, err := a.Audience.DomainAdmins(ctx, d.OrganizationID)
	if err != nil || len(emails) == 0 {
		return err
	}
	var msg mail.Message
	if lastAttempt {
		msg, err = mail.DomainVerificationFailingMessage(mail.DomainFailingData{PublicURL: a.PublicURL,
			OrganizationID: d.OrganizationID, OrganizationName: name, DomainName: d.Name, TXTRecord: d.TXT,
			Checks: d.JobRunCount, RemovedOn: d.CreatedAt.Add(sched.Expiry), AdminEmails: emails})
	} else {
		data := mail.DomainClaimData{PublicURL: a.PublicURL, OrganizationID: d.OrganizationID,
			OrganizationName: name, DomainName: d.Name, TXTRecord: d.TXT, Reason: e.Reason,
			FailingSince: d.FailingSince, Lapsed: e.Kind == EventLapsed, AdminEmails: emails}
		if e.Kind == EventFailing {
			data.DropsAfter = d.FailingSince.Add(sched.Grace)
		}
		msg, err = mail.DomainClaimFailingMessage(data)
	}
	if err != nil {
		return err
	}
	return a.Mail.Send(ctx, msg)
}
