package policies

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/castellan-vault/castellan/internal/orgs"
)

// Type is a policy type, with the official numbers (they travel on the wire and are stored).
type Type int

// The policy types castellan gives a meaning to or checks the settings of. Every other official type
// (0 to 22) is stored and synced as the client sends it, for the clients to apply.
const (
	TypeTwoFactor      Type = 0
	TypeMasterPassword Type = 1
	TypeSingleOrg      Type = 3
	TypeRequireSSO     Type = 4
	TypeResetPassword  Type = 8
	// Types whose settings castellan checks before storing them (data.go).
	TypePasswordGenerator   Type = 2
	TypeSendOptions         Type = 7
	TypeMaximumVaultTimeout Type = 9
	TypeURIMatchDefaults    Type = 16
	TypeFillAssist          Type = 22
	// maxType is the highest official type number.
	maxType Type = 22
)

// Valid reports whether t is one of the official types.
func (t Type) Valid() bool { return t >= 0 && t <= maxType }

// label names the types that appear in castellan's messages.
func (t Type) label() string {
	switch t {
	case TypeSingleOrg:
		return "Single organization"
	case TypeRequireSSO:
		return "Require single sign-on authentication"
	case TypeResetPassword:
		return "Account recovery administration"
	}
	return "policy " + strconv.Itoa(int(t))
}

// Policy is one organization's setting of one policy type, as stored.
type Policy struct {
	ID             string
	OrganizationID string
	Type           Type
	Enabled        bool
	// Data is the policy's settings, a camelCase JSON object, or nil when the type has none.
	Data         json.RawMessage
	CreatedAt    time.Time
	RevisionDate time.Time
}

// ResetPasswordData is the data of the account recovery policy (8).
type ResetPasswordData struct {
	// AutoEnrollEnabled enrolls members in account recovery when they join: accepting an
	// invitation then requires the recovery key, and a member cannot withdraw.
	AutoEnrollEnabled bool `json:"autoEnrollEnabled"`
}

// resetPasswordData reads p's data as the account recovery policy's; malformed or missing data is
// the zero value.
func (p Policy) resetPasswordData() ResetPasswordData {
	var d ResetPasswordData
	if len(p.Data) > 0 {
		_ = json.Unmarshal(p.Data, &d)
	}
	return d
}

// autoEnroll reports whether p is an enabled account recovery policy with automatic enrollment.
func (p *Policy) autoEnroll() bool {
	return p != nil && p.Type == TypeResetPassword && p.Enabled && p.resetPasswordData().AutoEnrollEnabled
}

// MemberPolicy is an enabled policy of an enabled organization together with one account's
// membership there, for the checks that follow an account across organizations.
type MemberPolicy struct {
	OrganizationID string
	// Identifier is the organization's SSO identifier, or "".
	Identifier string
	MemberID   string
	Status     orgs.Status
	Role       orgs.Role
	Policy     Policy
}
