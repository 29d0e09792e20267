package policies

import (
	"encoding/json"
	"time"
)

// Response is a policy as the clients read it (the official PolicyResponseModel): camelCase, the
// settings as a JSON object or null. A type the organization never set is answered turned off,
// without an id.
type Response struct {
	ID             *string         `json:"id"`
	OrganizationID string          `json:"organizationId"`
	Type           Type            `json:"type"`
	Data           json.RawMessage `json:"data"`
	Enabled        bool            `json:"enabled"`
	RevisionDate   *time.Time      `json:"revisionDate"`
	// CanToggleState is sent on the single-policy route: false when the policy cannot be turned off
	// now (Single organization while a domain is claimed). The clients take a missing one as true.
	CanToggleState *bool  `json:"canToggleState,omitempty"`
	Object         string `json:"object"`
}

// newResponse renders p (nil: never set) of type t.
func newResponse(orgID string, t Type, p *Policy, canToggle *bool) Response {
	r := Response{OrganizationID: orgID, Type: t, CanToggleState: canToggle, Object: "policy"}
	if p != nil {
		id, rev := p.ID, p.RevisionDate.UTC()
		r.ID, r.Data, r.Enabled, r.RevisionDate = &id, p.Data, p.Enabled, &rev
	}
	return r
}

// ListResponse is the official list wrapper.
type ListResponse struct {
	Data              []Response `json:"data"`
	ContinuationToken *string    `json:"continuationToken"`
	Object            string     `json:"object"`
}

func newList(items []Response) ListResponse {
	if items == nil {
		items = []Response{}
	}
	return ListResponse{Data: items, Object: "list"}
}
