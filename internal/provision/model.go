package provision

// Status is a membership status, with the official numeric values (they travel on the wire).
type Status int16

// Membership statuses.
const (
	StatusRevoked   Status = -1
	StatusInvited   Status = 0
	StatusAccepted  Status = 1
	StatusConfirmed Status = 2
	StatusStaged    Status = 3
)

// String names the status for logs and test output.
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

// MemberType is a membership role, with the official numeric values.
type MemberType uint8

// Membership roles. 3 (Manager) was removed from the official enum and is not used.
const (
	TypeOwner  MemberType = 0
	TypeAdmin  MemberType = 1
	TypeUser   MemberType = 2
	TypeCustom MemberType = 4
)

// Org is what the decision needs to know about the organization whose provider signed the user in.
type Org struct {
	ID         string
	Enabled    bool
	SSOEnabled bool
	// Seats is the seat limit; nil means unlimited. castellan never autoscales seats.
	Seats *int
	// OccupiedSeats counts memberships that hold a seat (Invited, Accepted, Confirmed).
	OccupiedSeats int
	// RelinkChangedSubject lets a member whose provider now presents a different subject for
	// the same verified email replace the stale link (the official behaviour, audited as
	// OrganizationUser_ResetSsoLink). Off by default: see doc.go, "Changed subject".
	RelinkChangedSubject bool
}

// User is an existing castellan account, as far as provisioning cares.
type User struct {
	ID string
	// EmailVerified says the account itself has proven its address (verification mail, or the
	// redemption of an emailed invitation).
	EmailVerified     bool
	HasMasterPassword bool
	UsesKeyConnector  bool
}

// Member is one organization membership row.
type Member struct {
	ID string
	// UserID is empty for a row that only names an invited email.
	UserID string
	// Email is the invited address; empty once the row is bound to an account.
	Email  string
	Status Status
	Type   MemberType
}

// Link is an SSO link: one external ID of the organization's provider bound to one account.
// There is at most one per (organization, external ID) and one per (organization, user).
type Link struct {
	UserID     string
	ExternalID string
}

// Input is everything Decide looks at. The caller fills it from storage in this order:
//
//  1. LinkByExternalID: the link for (org, Identity.ExternalID), if any.
//  2. If there is one: MemberOfLinkedUser, the org membership of LinkByExternalID.UserID.
//  3. Otherwise: UserByEmail (the account whose email equals Identity.Email), and for it
//     LinkByUser and MemberByUser (its link and its membership in this org); and MemberByEmail,
//     the membership row of this org whose invited Email equals Identity.Email.
//
// Fields of a step that was not reached may be left nil; Decide ignores them.
type Input struct {
	Identity           Identity
	Org                Org
	LinkByExternalID   *Link
	MemberOfLinkedUser *Member
	UserByEmail        *User
	LinkByUser         *Link
	MemberByUser       *Member
	MemberByEmail      *Member
}
