package provision

// Outcome is what the caller must do.
type Outcome int

// Outcomes of Decide.
const (
	// Refuse: write nothing; show Reason.
	Refuse Outcome = iota
	// SignIn: the external ID is already linked; sign in Decision.UserID.
	SignIn
	// LinkExisting: write the link for the existing account Decision.UserID, whose membership
	// Decision.MemberID is Accepted or Confirmed (official case A4); then sign in.
	LinkExisting
	// CreateUser: create the account and the membership Decision.NewMember, write the link
	// (official case B2); then sign in.
	CreateUser
	// AdoptInvite: create the account, bind the invited membership Decision.MemberID to it
	// (status, role and email unchanged) and write the link (official case B3); the status stays
	// Invited until the user sets a master password or enrolls a device. This is
	// invitation-initiated JIT.
	AdoptInvite
)

// String names the outcome for logs.
func (o Outcome) String() string {
	switch o {
	case SignIn:
		return "sign_in"
	case LinkExisting:
		return "link_existing"
	case CreateUser:
		return "create_user"
	case AdoptInvite:
		return "adopt_invite"
	}
	return "refuse"
}

// Reason is a refusal code. Two of them are the official codes the clients act on; the others
// are castellan's and only select the text of the error page.
type Reason string

// Refusal reasons.
const (
	// ReasonInviteAcceptanceRequired (official): an existing account with a master password was
	// invited but has not accepted; it must accept with its master password first.
	ReasonInviteAcceptanceRequired Reason = "ssoOrgInviteAcceptanceRequired"
	// ReasonMembershipRequired (official): an existing account is not a member of the organization.
	ReasonMembershipRequired Reason = "ssoOrgMembershipRequired"

	ReasonOrgDisabled             Reason = "orgDisabled"
	ReasonSSODisabled             Reason = "ssoDisabled"
	ReasonExternalIDMissing       Reason = "externalIdMissing"
	ReasonEmailMissing            Reason = "emailMissing"
	ReasonEmailNotVerified        Reason = "emailNotVerified"
	ReasonAccountEmailNotVerified Reason = "accountEmailNotVerified"
	ReasonKeyConnectorUser        Reason = "keyConnectorUser"
	ReasonRevoked                 Reason = "membershipRevoked"
	ReasonUnknownState            Reason = "membershipUnknownState"
	ReasonMembershipNotFound      Reason = "membershipNotFound"
	ReasonNoSeats                 Reason = "noSeats"
	ReasonSubjectChanged          Reason = "ssoSubjectChanged"
	ReasonInconsistentInput       Reason = "inconsistentInput"
)

// RedirectsToLogin reports whether the official flow answers this refusal by sending the browser
// back to the vault's login page with error=<code>, rather than showing an error page.
func (r Reason) RedirectsToLogin() bool {
	return r == ReasonInviteAcceptanceRequired || r == ReasonMembershipRequired
}

// EventType is an audit event number, from the official event type list.
type EventType int

// Audit events a decision asks for.
const (
	// EventUserFailedLogIn records a refused SSO sign-in of a known account.
	EventUserFailedLogIn EventType = 1005
	// EventResetSsoLink records that a stale link was replaced (changed subject).
	EventResetSsoLink EventType = 1509
	// EventFirstSsoLogin records the first link of an account in the organization.
	EventFirstSsoLogin EventType = 1510
)

// Event is an audit event to record with the decision's writes (or alone, for a refusal).
type Event struct {
	Type EventType
	// UserID is empty when the account is created by this decision.
	UserID   string
	MemberID string
}

// NewMember is the membership CreateUser creates: always an Invited User.
type NewMember struct {
	Type   MemberType
	Status Status
}

// Decision is the result of Decide. On Refuse, only Reason and Events are set.
type Decision struct {
	Outcome Outcome
	Reason  Reason
	// UserID is the existing account signed in or linked; empty when one is created.
	UserID string
	// MemberID is the membership signed in with, linked or adopted; empty for CreateUser.
	MemberID  string
	NewMember *NewMember
	// LinkExternalID, when set, is the link to write for (org, account).
	LinkExternalID string
	// ReplaceExternalID, when set, is the stale link of the account to delete first.
	ReplaceExternalID string
	Events            []Event
}

// CreatesUser reports whether the caller must create an account.
func (d Decision) CreatesUser() bool {
	return d.Outcome == CreateUser || d.Outcome == AdoptInvite
}
