package adminclient

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Domain is an organization's claimed (or pending) email domain as the domain routes show it:
// the official fields and castellan's State and FailingSince.
type Domain struct {
	ID              string     `json:"id"`
	OrganizationID  string     `json:"organizationId"`
	DomainName      string     `json:"domainName"`
	TXT             string     `json:"txt"` // the value to publish as a TXT record at DomainName
	CreationDate    time.Time  `json:"creationDate"`
	NextRunDate     *time.Time `json:"nextRunDate"`
	JobRunCount     int        `json:"jobRunCount"`
	VerifiedDate    *time.Time `json:"verifiedDate"`
	LastCheckedDate *time.Time `json:"lastCheckedDate"`
	// State is pending, verified, failing (still claimed, but checks fail) or lapsed.
	State        string     `json:"state"`
	FailingSince *time.Time `json:"failingSince"`
}

// Domains lists the organization's domains.
func (c *Client) Domains(ctx context.Context, orgID string) ([]Domain, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	ds, err := getList[Domain](ctx, c, orgPath(orgID, "domain"))
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	return ds, nil
}

// AddDomain adds a domain to the organization; the answer carries the TXT value to publish.
func (c *Client) AddDomain(ctx context.Context, orgID, name string) (*Domain, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var d Domain
	err := c.call(ctx, http.MethodPost, orgPath(orgID, "domain"), map[string]string{"domainName": name}, &d)
	if err != nil {
		return nil, fmt.Errorf("add domain %s: %w", name, err)
	}
	return &d, nil
}

// VerifyDomain asks the server to look the domain's TXT record up now.
func (c *Client) VerifyDomain(ctx context.Context, orgID, id string) (*Domain, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var d Domain
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "domain", id, "verify"), nil, &d); err != nil {
		return nil, fmt.Errorf("verify domain: %w", err)
	}
	return &d, nil
}

// DeleteDomain removes a domain from the organization (and with it the claim, if verified).
func (c *Client) DeleteDomain(ctx context.Context, orgID, id string) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	if err := c.call(ctx, http.MethodDelete, orgPath(orgID, "domain", id), nil, nil); err != nil {
		return fmt.Errorf("delete domain: %w", err)
	}
	return nil
}

// FindDomain returns the organization's domain named by ref, its id or its name (in any case).
func (c *Client) FindDomain(ctx context.Context, orgID, ref string) (*Domain, error) {
	ds, err := c.Domains(ctx, orgID)
	if err != nil {
		return nil, err
	}
	ref = strings.TrimSpace(ref)
	name := strings.TrimSuffix(ref, ".")
	for i := range ds {
		if strings.EqualFold(ds[i].ID, ref) || strings.EqualFold(ds[i].DomainName, name) {
			return &ds[i], nil
		}
	}
	return nil, fmt.Errorf("the organization has no domain %q (see castellan admin domains list)", ref)
}
