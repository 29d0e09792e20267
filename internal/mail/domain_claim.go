package mail

import (
	"fmt"
	"time"
)

// The warnings about a verified (claimed) domain whose DNS checks fail: castellan keeps checking
// claimed domains (internal/domains), warns when a check fails, and drops the claim only after a
// grace period. [DomainVerificationFailingMessage] is the other domain message, for a domain that
// was never verified.

var domainClaimTemplate = parseTemplate("domain_claim")

// DomainClaimData is what the warnings about a claimed domain need.
type DomainClaimData struct {
	PublicURL        string
	OrganizationID   string
	OrganizationName string
	DomainName       string
	TXTRecord        string    // the value to publish, "bw=…"
	Reason           string    // what the failed check found, e.g. "the DNS lookup timed out"
	FailingSince     time.Time // the first failed check
	// DropsAfter is the earliest time the claim ends if the record stays missing; zero leaves it
	// out. Unused for a lapsed claim.
	DropsAfter  time.Time
	Lapsed      bool     // the claim has ended
	AdminEmails []string // one message goes to all of them
}

type domainClaimView struct {
	page
	OrganizationName, DomainName, TXTRecord, Reason string
	FailingSince, DropsAfter, SettingsURL           string
	Lapsed                                          bool
}

// DomainClaimFailingMessage warns the administrators that a claimed domain failed its DNS check
// (data.Lapsed false: the claim holds for now) or that its claim has ended (data.Lapsed true).
func DomainClaimFailingMessage(d DomainClaimData) (Message, error) {
	if d.OrganizationID == "" || d.DomainName == "" || d.TXTRecord == "" || len(d.AdminEmails) == 0 {
		return Message{}, fmt.Errorf("%w: organization, domain, TXT record and administrators",
			ErrMissingInput)
	}
	settings, err := DomainSettingsURL(d.PublicURL, d.OrganizationID)
	if err != nil {
		return Message{}, err
	}
	v := domainClaimView{OrganizationName: d.OrganizationName, DomainName: d.DomainName,
		TXTRecord: d.TXTRecord, Reason: d.Reason, FailingSince: formatDay(d.FailingSince),
		DropsAfter: formatDay(d.DropsAfter), SettingsURL: settings, Lapsed: d.Lapsed}
	subject := "The DNS check of " + d.DomainName + " failed"
	if d.Lapsed {
		subject = d.DomainName + " is no longer claimed"
	}
	v.page = newPage(subject, d.PublicURL)
	return build(domainClaimTemplate, v.page, v, d.AdminEmails...)
}
