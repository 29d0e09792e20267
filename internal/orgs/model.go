package orgs

import (
	"time"
)

// Status is a membership status, with the official numbers (they travel on the wire).
type Status int16

// Membership statuses.
const (
	StatusRevoked   Status = -1
	StatusInvited   Status = 0
	StatusAccepted  Status = 1
	StatusConfirmed Status = 2
	StatusStaged    Status = 3
)

// HoldsSeat reports whether a membership in this status occupies a seat: invited, accepted and
// confirmed ones do; revoked and staged ones do not.
func (s Status) HoldsSeat() bool {
	return s == StatusInvited || s == StatusAccepted || s == StatusConfirmed
}

func (s Status) String() string {
	switch s {
	case StatusRevoked:
		return "revoked"
	case StatusInvited:
		return "invited"
	case StatusAccepted:
		return "accepted"
	case StatusConfirmed:
		return "confirmed"
	case StatusStaged:
		return "staged"
	}
	return "unknown"
}

// Role is a membership type, with the official numbers. 3 (Manager) was removed from the official
// enum and is refused.
type Role uint8

// Membership types.
const (
	RoleOwner  Role = 0
	RoleAdmin  Role = 1
	RoleUser   Role = 2
	RoleCustom Role = 4
)

// Valid reports whether r is one of the four roles in use.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleUser || r == RoleCustom
}

// RevocationReason says why a membership was revoked (official numbers).
type RevocationReason int16

// Revocation reasons. castellan revokes only on an administrator's request (Manual) until policies
// arrive; the others are kept for the wire.
const (
	RevokedUnknown                   RevocationReason = 0
	RevokedManual                    RevocationReason = 1
	RevokedTwoFactorNonCompliance    RevocationReason = 2
	RevokedDataOwnershipNonCompliant RevocationReason = 3
	RevokedSingleOrgNonCompliance    RevocationReason = 4
)

// Permissions are the rights of a custom role, stored and sent as camelCase JSON like the official
// server. Only members of type Custom carry them; for the others every field is false.
type Permissions struct {
	AccessEventLogs      bool `json:"accessEventLogs"`
	AccessImportExport   bool `json:"accessImportExport"`
	AccessReports        bool `json:"accessReports"`
	CreateNewCollections bool `json:"createNewCollections"`
	EditAnyCollection    bool `json:"editAnyCollection"`
	DeleteAnyCollection  bool `json:"deleteAnyCollection"`
	ManageGroups         bool `json:"manageGroups"`
	ManagePolicies       bool `json:"managePolicies"`
	ManageSso            bool `json:"manageSso"`
	ManageUsers          bool `json:"manageUsers"`
	ManageResetPassword  bool `json:"manageResetPassword"`
	ManageScim           bool `json:"manageScim"`
}

// list returns the permissions in a fixed order, for comparisons.
func (p Permissions) list() []bool {
	return []bool{p.AccessEventLogs, p.AccessImportExport, p.AccessReports, p.CreateNewCollections,
		p.EditAnyCollection, p.DeleteAnyCollection, p.ManageGroups, p.ManagePolicies, p.ManageSso,
		p.ManageUsers, p.ManageResetPassword, p.ManageScim}
}

// Within reports whether every right p grants is also granted by other.
func (p Permissions) Within(other Permissions) bool {
	mine, theirs := p.list(), other.list()
	for i := range mine {
		if mine[i] && !theirs[i] {
			return false
		}
	}
	return true
}

// Organization is an organization as stored.
type Organization struct {
	ID           string
	Name         string
	BusinessName string
	BillingEmail string
	// Identifier is the SSO identifier members type at login, or "" while none is set.
	Identifier string
	// PublicKey is the base64 SubjectPublicKeyInfo of the organization's RSA key; PrivateKey is that
	// key wrapped by the organization key (an EncString). Both come from the creating client.
	PublicKey  string
	PrivateKey string
	// Seats limits the memberships that hold a seat; nil means unlimited.
	Seats        *int
	Enabled      bool
	CreatedAt    time.Time
	RevisionDate time.Time
}

// Member is one membership row (the official OrganizationUser).
type Member struct {
	ID             string
	OrganizationID string
	// UserID is the account, or "" for a row that only names an invited email.
	UserID string
	// Email is the invited address (lower-case) while the row is not bound to an account; "" after.
	Email string
	// Key is the organization key encrypted to the member's public key, set at confirmation.
	Key string
	// ResetPasswordKey is the member's account-recovery enrolment (user key encrypted to the
	// organization's public key), or "".
	ResetPasswordKey string
	Status           Status
	// StatusBeforeRevoke is the status a revocation replaced; nil when not revoked.
	StatusBeforeRevoke *Status
	Type               Role
	ExternalID         string
	// Permissions are meaningful for RoleCustom only.
	Permissions          Permissions
	AccessSecretsManager bool
	// RevocationReason is set while the member is revoked.
	RevocationReason *RevocationReason
	CreatedAt        time.Time
	RevisionDate     time.Time
}

// MemberUser is what the member lists show of the account bound to a membership.
type MemberUser struct {
	Email             string
	Name              string
	AvatarColor       string
	PublicKey         string
	HasMasterPassword bool
}

// MemberDetails is a membership with its account, for the member lists.
type MemberDetails struct {
	Member
	// User is nil for a row not bound to an account.
	User *MemberUser
}

// DisplayEmail is the address shown for a membership: the account's, or the invited one.
func (d MemberDetails) DisplayEmail() string {
	if d.User != nil && d.User.Email != "" {
		return d.User.Email
	}
	return d.Email
}

// Access is one grant on a collection: to a member, to a group, or (in the lists of a member or a
// group) on a collection; ID names the other side.
type Access struct {
	ID            string
	ReadOnly      bool
	HidePasswords bool
	Manage        bool
}

// Group is a set of members that receives collection access together.
type Group struct {
	ID             string
	OrganizationID string
	Name           string
	ExternalID     string
	CreatedAt      time.Time
	RevisionDate   time.Time
}

// Collection types.
const (
	CollectionShared      = 0
	CollectionDefaultUser = 1
)

// Collection holds organization items. Name is an EncString under the organization key.
type Collection struct {
	ID             string
	OrganizationID string
	Name           string
	ExternalID     string
	Type           int
	CreatedAt      time.Time
	RevisionDate   time.Time
}

// UserCollection is a collection as one user reaches it (directly or through groups), with the
// union of the grants: read-only and hide-passwords only when every path says so, manage when any
// path says so.
type UserCollection struct {
	Collection
	ReadOnly      bool
	HidePasswords bool
	Manage        bool
}

// EventType is an audit event type, with the official numbers.
type EventType int

// The event types castellan writes.
const (
	EventCipherCreated       EventType = 1100
	EventCipherUpdated       EventType = 1101
	EventCipherDeleted       EventType = 1102
	EventCipherUpdatedColls  EventType = 1110
	EventCollectionCreated   EventType = 1300
	EventCollectionUpdated   EventType = 1301
	EventCollectionDeleted   EventType = 1302
	EventGroupCreated        EventType = 1400
	EventGroupUpdated        EventType = 1401
	EventGroupDeleted        EventType = 1402
	EventMemberInvited       EventType = 1500
	EventMemberConfirmed     EventType = 1501
	EventMemberUpdated       EventType = 1502
	EventMemberRemoved       EventType = 1503
	EventMemberUpdatedGroups EventType = 1504
	EventMemberRevoked       EventType = 1511
	EventMemberRestored      EventType = 1512
	EventMemberLeft          EventType = 1516
	EventOrganizationUpdated EventType = 1600
)

// Event is one audit event. Ids that do not apply are "".
type Event struct {
	ID             string
	Type           EventType
	OrganizationID string
	ActingUserID   string
	UserID         string // the account the event is about, if any
	MemberID       string // the membership the event is about, if any
	GroupID        string
	CollectionID   string
	CipherID       string
	PolicyID       string
	DeviceType     *int
	IPAddress      string
	SystemUser     *int
	Date           time.Time
}
