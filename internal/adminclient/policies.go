package adminclient

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PolicyType is an organization policy type, with the official numbers.
type PolicyType int

// The policy types whose rules castellan itself enforces.
const (
	PolicyMasterPassword PolicyType = 1
	PolicySingleOrg      PolicyType = 3
	PolicyRequireSSO     PolicyType = 4
	PolicyResetPassword  PolicyType = 8
)

// policyNames are the command line's names of the official types (0 to 22).
var policyNames = []string{
	"two-factor", "master-password", "password-generator", "single-org", "require-sso",
	"organization-data-ownership", "disable-send", "send-options", "account-recovery", "maximum-vault-timeout",
	"disable-personal-vault-export", "activate-autofill", "automatic-app-login", "free-families-sponsorship",
	"remove-unlock-with-pin", "restricted-item-types", "uri-match-defaults", "autotype-default-setting",
	"automatic-user-confirmation", "block-claimed-domain-account-creation", "organization-user-notification",
	"send-controls", "fill-assist",
}

// String returns the type's name, or its number for a type this client does not know.
func (t PolicyType) String() string {
	if t >= 0 && int(t) < len(policyNames) {
		return policyNames[t]
	}
	return strconv.Itoa(int(t))
}

// ParsePolicyType reads a policy type given by name (single-org, require-sso, account-recovery,
// ...) or by its official number.
func ParsePolicyType(s string) (PolicyType, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(policyNames) {
		return PolicyType(n), nil
	}
	for i, name := range policyNames {
		if name == s {
			return PolicyType(i), nil
		}
	}
	names := append([]string(nil), policyNames...)
	sort.Strings(names)
	return 0, fmt.Errorf("unknown policy type %q: give a number from 0 to %d or one of %s", s,
		len(policyNames)-1, strings.Join(names, ", "))
}

// Policy is an organization policy as the policy routes carry it. Data holds the policy's settings
// (camelCase names, as the server stores them), nil when it has none.
type Policy struct {
	ID             *string        `json:"id"`
	OrganizationID string         `json:"organizationId"`
	Type           PolicyType     `json:"type"`
	Enabled        bool           `json:"enabled"`
	Data           map[string]any `json:"data"`
	RevisionDate   *time.Time     `json:"revisionDate"`
	// CanToggleState is false when the policy cannot be turned off now (the single-policy route).
	CanToggleState *bool `json:"canToggleState,omitempty"`
}

// Policies lists the policies the organization has set.
func (c *Client) Policies(ctx context.Context, orgID string) ([]Policy, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	ps, err := getList[Policy](ctx, c, orgPath(orgID, "policies"))
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return ps, nil
}

// Policy reads one policy; a type the organization never set comes back turned off, without an id.
func (c *Client) Policy(ctx context.Context, orgID string, t PolicyType) (*Policy, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var p Policy
	if err := c.call(ctx, http.MethodGet, orgPath(orgID, "policies", strconv.Itoa(int(t))), nil, &p); err != nil {
		return nil, fmt.Errorf("read policy %s: %w", t, err)
	}
	return &p, nil
}

// SetPolicy turns a policy on or off with the given settings (nil: none) and returns it as stored.
// The server refuses a change that other settings forbid (e.g. Require SSO before Single
// organization) with a message that says what to change first.
func (c *Client) SetPolicy(ctx context.Context, orgID string, t PolicyType, enabled bool,
	data map[string]any) (*Policy, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	body := map[string]any{"type": int(t), "enabled": enabled, "data": data}
	var p Policy
	if err := c.call(ctx, http.MethodPut, orgPath(orgID, "policies", strconv.Itoa(int(t))), body, &p); err != nil {
		return nil, fmt.Errorf("set policy %s: %w", t, err)
	}
	return &p, nil
}
