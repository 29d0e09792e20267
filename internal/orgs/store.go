package orgs

import (
	"context"
	"errors"
	"time"
)

// ErrIdentifierTaken means another organization already uses the SSO identifier.
var ErrIdentifierTaken = errors.New("organization identifier taken")

// Store keeps organizations, memberships, groups, collections and the audit log. Queries outside
// InTx each run on their own; every change a request makes runs inside one InTx, so that nothing is
// ever half-written. Missing rows are storage.ErrNotFound; unique-key collisions storage.ErrConflict.
type Store interface {
	Queries
	// InTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
	InTx(ctx context.Context, fn func(q Queries) error) error
}

// Queries are the reads and writes of the store. Lookups scoped by an organization id never return
// rows of another organization: a row of another organization is reported as missing.
type Queries interface {
	OrganizationQueries
	MemberQueries
	GroupQueries
	CollectionQueries
	EventQueries
}

// OrganizationQueries read and write organizations.
type OrganizationQueries interface {
	// CreateOrganization inserts o (ErrIdentifierTaken if its identifier is in use).
	CreateOrganization(ctx context.Context, o Organization) error
	// Organization returns the organization with that id.
	Organization(ctx context.Context, id string) (Organization, error)
	// OrganizationByIdentifier returns the organization whose SSO identifier equals identifier,
	// compared without regard to case.
	OrganizationByIdentifier(ctx context.Context, identifier string) (Organization, error)
	// Organizations lists every organization, by name.
	Organizations(ctx context.Context) ([]Organization, error)
	// LockOrganization returns the organization and, inside a transaction, keeps other
	// transactions from changing its memberships until this one ends. Every change to memberships
	// calls it first, so that seat counts and the last-owner rule are checked against a stable view.
	LockOrganization(ctx context.Context, id string) (Organization, error)
	// UpdateOrganization stores o's name, business name, billing email and revision date.
	UpdateOrganization(ctx context.Context, o Organization) error
	// SetSeats sets the seat limit (nil: unlimited).
	SetSeats(ctx context.Context, id string, seats *int, now time.Time) error
	// SetIdentifier sets the SSO identifier ("" clears it); ErrIdentifierTaken if in use.
	SetIdentifier(ctx context.Context, id, identifier string, now time.Time) error
	// DeleteOrganization deletes the organization with its memberships, groups, collections and
	// items. Its audit events stay.
	DeleteOrganization(ctx context.Context, id string) error
	// BumpMemberRevisions moves the account revision date of every account bound to a membership
	// of the organization (or, with memberIDs, of those memberships) to now, so that their clients
	// sync again.
	BumpMemberRevisions(ctx context.Context, orgID string, memberIDs []string, now time.Time) error
}

// MemberQueries read and write memberships.
type MemberQueries interface {
	// InsertMembers inserts memberships (of one organization) in a few statements.
	InsertMembers(ctx context.Context, ms []Member) error
	// Member returns the membership id of the organization.
	Member(ctx context.Context, orgID, id string) (Member, error)
	// MemberByID returns the membership id, whatever its organization.
	MemberByID(ctx context.Context, id string) (Member, error)
	// MemberByUser returns userID's membership in the organization.
	MemberByUser(ctx context.Context, orgID, userID string) (Member, error)
	// MemberByEmail returns the membership of the organization invited as email (lower-case) and
	// not yet bound to an account.
	MemberByEmail(ctx context.Context, orgID, email string) (Member, error)
	// Members returns those of ids that are memberships of the organization, in the order of ids.
	Members(ctx context.Context, orgID string, ids []string) ([]Member, error)
	// MembershipsOfUser lists userID's memberships in every organization.
	MembershipsOfUser(ctx context.Context, userID string) ([]Member, error)
	// PresentEmails returns those of emails (lower-case) that already belong to the organization,
	// as an invited address or as the address of a bound account, whatever the status.
	PresentEmails(ctx context.Context, orgID string, emails []string) (map[string]bool, error)
	// PresentUsers returns those of emails (lower-case) that are the addresses of accounts.
	PresentUsers(ctx context.Context, emails []string) (map[string]bool, error)
	// UpdateMember stores every mutable field of m: user, email, key, reset-password key, status,
	// status before revocation, type, external id, permissions, secrets-manager access, revocation
	// reason and revision date.
	UpdateMember(ctx context.Context, m Member) error
	// DeleteMembers deletes memberships of the organization with their group and collection links.
	DeleteMembers(ctx context.Context, orgID string, ids []string) error
	// OccupiedSeats counts the memberships that hold a seat (invited, accepted, confirmed).
	OccupiedSeats(ctx context.Context, orgID string) (int, error)
	// ConfirmedOwners counts the confirmed owners, leaving out the memberships in except.
	ConfirmedOwners(ctx context.Context, orgID string, except []string) (int, error)
	// MemberDetails returns one membership with its account.
	MemberDetails(ctx context.Context, orgID, id string) (MemberDetails, error)
	// ListMembers lists the organization's memberships with their accounts, by creation.
	ListMembers(ctx context.Context, orgID string) ([]MemberDetails, error)
	// MemberCollections returns the collection grants of memberships of the organization (of
	// memberID only, when not ""), by membership id; Access.ID is the collection.
	MemberCollections(ctx context.Context, orgID, memberID string) (map[string][]Access, error)
	// SetMemberCollections replaces a membership's collection grants.
	SetMemberCollections(ctx context.Context, memberID string, grants []Access) error
	// AddMemberLinks gives each of the new memberships memberIDs (which have none yet) the
	// collection grants and the groups, in a few statements.
	AddMemberLinks(ctx context.Context, memberIDs []string, grants []Access,
		groupIDs []string) error
	// MemberGroups returns the group ids of memberships of the organization (of memberID only,
	// when not ""), by membership id.
	MemberGroups(ctx context.Context, orgID, memberID string) (map[string][]string, error)
	// SetMemberGroups replaces the groups of a membership.
	SetMemberGroups(ctx context.Context, memberID string, groupIDs []string) error
	// MarkEmailVerified records that userID proved their address by redeeming an emailed
	// invitation (a column of the accounts concern, written in the acceptance's transaction).
	MarkEmailVerified(ctx context.Context, userID string, now time.Time) error
	// DeleteUser deletes the account userID (a row of the accounts concern) and, by cascade,
	// everything of it: memberships in every organization, devices, tokens, folders, personal
	// items and SSO links. Organization items stay.
	DeleteUser(ctx context.Context, userID string) error
}

// GroupQueries read and write groups.
type GroupQueries interface {
	// CreateGroup inserts g.
	CreateGroup(ctx context.Context, g Group) error
	// Group returns the group id of the organization.
	Group(ctx context.Context, orgID, id string) (Group, error)
	// Groups lists the organization's groups, by name.
	Groups(ctx context.Context, orgID string) ([]Group, error)
	// UpdateGroup stores g's name, external id and revision date.
	UpdateGroup(ctx context.Context, g Group) error
	// DeleteGroups deletes groups of the organization with their links.
	DeleteGroups(ctx context.Context, orgID string, ids []string) error
	// GroupCollections returns the collection grants of the organization's groups (of groupID
	// only, when not ""), by group id; Access.ID is the collection.
	GroupCollections(ctx context.Context, orgID, groupID string) (map[string][]Access, error)
	// SetGroupCollections replaces a group's collection grants.
	SetGroupCollections(ctx context.Context, groupID string, grants []Access) error
	// GroupMembers lists the membership ids of a group.
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
	// SetGroupMembers replaces the members of a group.
	SetGroupMembers(ctx context.Context, groupID string, memberIDs []string) error
}

// CollectionQueries read and write collections.
type CollectionQueries interface {
	// CreateCollection inserts c.
	CreateCollection(ctx context.Context, c Collection) error
	// Collection returns the collection id of the organization.
	Collection(ctx context.Context, orgID, id string) (Collection, error)
	// Collections lists the organization's collections, by id.
	Collections(ctx context.Context, orgID string) ([]Collection, error)
	// UpdateCollection stores c's name, external id and revision date.
	UpdateCollection(ctx context.Context, c Collection) error
	// DeleteCollections deletes collections of the organization with their grants; the items in
	// them stay in the organization.
	DeleteCollections(ctx context.Context, orgID string, ids []string) error
	// CollectionUsers returns the member grants of the organization's collections (of
	// collectionID only, when not ""), by collection id; Access.ID is the membership.
	CollectionUsers(ctx context.Context, orgID, collectionID string) (map[string][]Access, error)
	// SetCollectionUsers replaces the member grants of a collection.
	SetCollectionUsers(ctx context.Context, collectionID string, grants []Access) error
	// CollectionGroups returns the group grants of the organization's collections (of
	// collectionID only, when not ""), by collection id; Access.ID is the group.
	CollectionGroups(ctx context.Context, orgID, collectionID string) (map[string][]Access, error)
	// SetCollectionGroups replaces the group grants of a collection.
	SetCollectionGroups(ctx context.Context, collectionID string, grants []Access) error
	// UserCollections lists the collections userID reaches through confirmed memberships of
	// enabled organizations, directly or through groups, with the grants merged.
	UserCollections(ctx context.Context, userID string) ([]UserCollection, error)
}

// EventQueries write and read the audit log.
type EventQueries interface {
	// AddEvents appends events.
	AddEvents(ctx context.Context, events []Event) error
	// CipherOrganizations returns the organization of each of the items ids that belongs to one.
	CipherOrganizations(ctx context.Context, ids []string) (map[string]string, error)
	// Events lists the organization's events dated in [start, end), newest first, starting after
	// the cursor (the last event of the previous page; zero for the first page), at most limit.
	Events(ctx context.Context, orgID string, start, end time.Time, after EventCursor,
		limit int) ([]Event, error)
}

// EventCursor marks where a page of events ended.
type EventCursor struct {
	Date time.Time
	ID   string
}
