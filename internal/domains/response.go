package domains

import (
	"time"
)

// Response is a domain in the official shape (object "organizationDomain"), with castellan's state
// fields after the official ones. Dates that are zero (never, not planned) are null.
type Response struct {
	ID              string     `json:"id"`
	OrganizationID  string     `json:"organizationId"`
	TXT             string     `json:"txt"`
	DomainName      string     `json:"domainName"`
	CreationDate    time.Time  `json:"creationDate"`
	NextRunDate     *time.Time `json:"nextRunDate"`
	JobRunCount     int        `json:"jobRunCount"`
	VerifiedDate    *time.Time `json:"verifiedDate"`
	LastCheckedDate *time.Time `json:"lastCheckedDate"`
	// State is castellan's: pending, verified, failing or lapsed (see State).
	State State `json:"state"`
	// FailingSince is castellan's: the first failed check of a claimed domain, while it is failing.
	FailingSince *time.Time `json:"failingSince"`
	Object       string     `json:"object"`
}

// NewResponse shows d in the official shape.
func NewResponse(d Domain) Response {
	return Response{ID: d.ID, OrganizationID: d.OrganizationID, TXT: d.TXT, DomainName: d.Name,
		CreationDate: d.CreatedAt, NextRunDate: optTime(d.NextRunAt), JobRunCount: d.JobRunCount,
		VerifiedDate: optTime(d.VerifiedAt), LastCheckedDate: optTime(d.LastCheckedAt), State: d.State,
		FailingSince: optTime(d.FailingSince), Object: "organizationDomain"}
}

// ListResponse is the official list wrapper.
type ListResponse[T any] struct {
	Data              []T     `json:"data"`
	ContinuationToken *string `json:"continuationToken"`
	Object            string  `json:"object"`
}

func newList[T any](data []T) ListResponse[T] {
	if data == nil {
		data = []T{}
	}
	return ListResponse[T]{Data: data, Object: "list"}
}

// SSODetails is one organization an identifier-less sign-in may use (object
// "verifiedOrganizationDomainSsoDetails").
type SSODetails struct {
	OrganizationName       string    `json:"organizationName"`
	OrganizationIdentifier string    `json:"organizationIdentifier"`
	DomainName             string    `json:"domainName"`
	VerifiedDate           time.Time `json:"verifiedDate"`
	Object                 string    `json:"object"`
}

// LegacySSODetails is the answer of the older sso/details route (object
// "organizationDomainSsoDetails"), which older clients still call.
type LegacySSODetails struct {
	SSOAvailable           bool      `json:"ssoAvailable"`
	DomainName             string    `json:"domainName"`
	OrganizationIdentifier string    `json:"organizationIdentifier"`
	VerifiedDate           time.Time `json:"verifiedDate"`
	Object                 string    `json:"object"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
