package orgs

import (
	"time"
)

// The wire shapes of the organization routes. The official API writes camelCase with an "object"
// discriminator; the clients read names case-insensitively. Fields the official server sends that
// castellan has no use for are kept with their neutral values, so that the clients find them.

// ListResponse is the official list wrapper.
type ListResponse[T any] struct {
	Data              []T     `json:"data"`
	ContinuationToken *string `json:"continuationToken"`
	Object            string  `json:"object"`
}

// newList wraps items; a nil slice becomes an empty list.
func newList[T any](items []T, next string) ListResponse[T] {
	if items == nil {
		items = []T{}
	}
	l := ListResponse[T]{Data: items, Object: "list"}
	if next != "" {
		l.ContinuationToken = &next
	}
	return l
}

// Features are the organization's feature flags. A self-hosted castellan has every feature of the
// official Enterprise plan on for every organization (Key Connector and Secrets Manager excepted:
// castellan has neither).
type Features struct {
	UsePolicies                bool `json:"usePolicies"`
	UseSso                     bool `json:"useSso"`
	UseKeyConnector            bool `json:"useKeyConnector"`
	UseScim                    bool `json:"useScim"`
	UseGroups                  bool `json:"useGroups"`
	UseDirectory               bool `json:"useDirectory"`
	UseEvents                  bool `json:"useEvents"`
	UseTotp                    bool `json:"useTotp"`
	Use2fa                     bool `json:"use2fa"`
	UseAPI                     bool `json:"useApi"`
	UseResetPassword           bool `json:"useResetPassword"`
	UseSecretsManager          bool `json:"useSecretsManager"`
	UsePasswordManager         bool `json:"usePasswordManager"`
	UseCustomPermissions       bool `json:"useCustomPermissions"`
	UseOrganizationDomains     bool `json:"useOrganizationDomains"`
	UseAdminSponsoredFamilies  bool `json:"useAdminSponsoredFamilies"`
	UseRiskInsights            bool `json:"useRiskInsights"`
	UsersGetPremium            bool `json:"usersGetPremium"`
	SelfHost                   bool `json:"selfHost"`
	LimitCollectionCreation    bool `json:"limitCollectionCreation"`
	LimitCollectionDeletion    bool `json:"limitCollectionDeletion"`
	LimitItemDeletion          bool `json:"limitItemDeletion"`
	AllowAdminAccessToAllItems bool `json:"allowAdminAccessToAllCollectionItems"`
	ProductTierType            int  `json:"productTierType"`
	PlanType                   int  `json:"planType"`
	HasPublicAndPrivateKeys    bool `json:"hasPublicAndPrivateKeys"`
	MaxStorageGb               *int `json:"maxStorageGb"`
	MaxCollections             *int `json:"maxCollections"`
	MaxAutoscaleSeats          *int `json:"maxAutoscaleSeats"`
	UseAccessIntelligence      bool `json:"useAccessIntelligence"`
	UsePhishingBlocker         bool `json:"usePhishingBlocker"`
	UseDisableSMAdsForUsers    bool `json:"useDisableSmAdsForUsers"`
	UseAutomaticUserConfirm    bool `json:"useAutomaticUserConfirmation"`
	UseMyItems                 bool `json:"useMyItems"`
}

// Enterprise plan numbers of the official enums.
const (
	productTierEnterprise  = 3
	planEnterpriseAnnually = 20
)

// features returns the flags of o. Collection creation and deletion are limited to owners, admins
// and custom members with the matching rights; items are deleted by those who may manage them.
func features(o Organization) Features {
	return Features{
		UsePolicies: true, UseSso: true, UseScim: true, UseGroups: true, UseDirectory: true, UseEvents: true,
		UseTotp: true, Use2fa: true, UseAPI: true, UseResetPassword: true, UsePasswordManager: true,
		UseCustomPermissions: true, UseOrganizationDomains: true, UsersGetPremium: true, SelfHost: true,
		LimitCollectionCreation: true, LimitCollectionDeletion: true, AllowAdminAccessToAllItems: true,
		ProductTierType: productTierEnterprise, PlanType: planEnterpriseAnnually,
		HasPublicAndPrivateKeys: o.PublicKey != "" && o.PrivateKey != "",
	}
}

// OrganizationResponse is GET /api/organizations/{id} and the answer to creation and update.
type OrganizationResponse struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	BusinessName *string `json:"businessName"`
	BillingEmail string  `json:"billingEmail"`
	Identifier   *string `json:"identifier"`
	Seats        *int    `json:"seats"`
	Enabled      bool    `json:"enabled"`
	Features
	Plan   any    `json:"plan"`
	Object string `json:"object"`
}

func newOrganizationResponse(o Organization) OrganizationResponse {
	return OrganizationResponse{ID: o.ID, Name: o.Name, BusinessName: optional(o.BusinessName),
		BillingEmail: o.BillingEmail, Identifier: optional(o.Identifier), Seats: o.Seats, Enabled: o.Enabled,
		Features: features(o), Object: "organization"}
}

// ProfileOrganization is one entry of Profile.Organizations in /api/sync and the profile: a
// membership of the user, with the organization's flags. Key is sent only to confirmed members.
type ProfileOrganization struct {
	ID                          string      `json:"id"`
	Name                        string      `json:"name"`
	Identifier                  *string     `json:"identifier"`
	Key                         *string     `json:"key"`
	Status                      Status      `json:"status"`
	Type                        Role        `json:"type"`
	Enabled                     bool        `json:"enabled"`
	Permissions                 Permissions `json:"permissions"`
	UserID                      string      `json:"userId"`
	OrganizationUserID          string      `json:"organizationUserId"`
	Seats                       *int        `json:"seats"`
	SsoEnabled                  bool        `json:"ssoEnabled"`
	SsoBound                    bool        `json:"ssoBound"`
	SsoMemberDecryptionType     *int        `json:"ssoMemberDecryptionType"`
	KeyConnectorEnabled         bool        `json:"keyConnectorEnabled"`
	KeyConnectorURL             *string     `json:"keyConnectorUrl"`
	ResetPasswordEnrolled       bool        `json:"resetPasswordEnrolled"`
	AccessSecretsManager        bool        `json:"accessSecretsManager"`
	UserIsManagedByOrganization bool        `json:"userIsManagedByOrganization"`
	UserIsClaimedByOrganization bool        `json:"userIsClaimedByOrganization"`
	FamilySponsorshipAvailable  bool        `json:"familySponsorshipAvailable"`
	ProviderID                  *string     `json:"providerId"`
	ProviderName                *string     `json:"providerName"`
	ProviderType                *int        `json:"providerType"`
	IsProviderUser              bool        `json:"isProviderUser"`
	IsMember                    bool        `json:"isMember"`
	Features
	Object string `json:"object"`
}

// MemberResponse is one member in GET .../users (organizationUserUserDetails) and, with the same
// fields, GET .../users/{id} (organizationUserDetails).
type MemberResponse struct {
	ID                    string            `json:"id"`
	UserID                *string           `json:"userId"`
	Type                  Role              `json:"type"`
	Status                Status            `json:"status"`
	ExternalID            *string           `json:"externalId"`
	AccessSecretsManager  bool              `json:"accessSecretsManager"`
	AccessPam             bool              `json:"accessPam"`
	Permissions           Permissions       `json:"permissions"`
	ResetPasswordEnrolled bool              `json:"resetPasswordEnrolled"`
	UsesKeyConnector      bool              `json:"usesKeyConnector"`
	HasMasterPassword     bool              `json:"hasMasterPassword"`
	Name                  *string           `json:"name"`
	Email                 string            `json:"email"`
	AvatarColor           *string           `json:"avatarColor"`
	TwoFactorEnabled      bool              `json:"twoFactorEnabled"`
	SsoBound              bool              `json:"ssoBound"`
	SsoExternalID         *string           `json:"ssoExternalId"`
	ManagedByOrganization bool              `json:"managedByOrganization"`
	ClaimedByOrganization bool              `json:"claimedByOrganization"`
	RevocationReason      *RevocationReason `json:"revocationReason"`
	CreationDate          time.Time         `json:"creationDate"`
	Collections           []AccessResponse  `json:"collections"`
	Groups                []string          `json:"groups"`
	Object                string            `json:"object"`
}

func newMemberResponse(d MemberDetails, colls []Access, groups []string,
	object string) MemberResponse {
	r := MemberResponse{ID: d.ID, UserID: optional(d.UserID), Type: d.Type, Status: d.Status,
		ExternalID: optional(d.ExternalID), AccessSecretsManager: d.AccessSecretsManager,
		ResetPasswordEnrolled: d.ResetPasswordKey != "", Email: d.DisplayEmail(),
		RevocationReason: d.RevocationReason, CreationDate: d.CreatedAt,
		Collections: accessResponses(colls), Groups: groups, Object: object}
	if d.Type == RoleCustom {
		r.Permissions = d.Permissions
	}
	if d.User != nil {
		r.Name, r.AvatarColor, r.HasMasterPassword = optional(d.User.Name), optional(d.User.AvatarColor),
			d.User.HasMasterPassword
	}
	if r.Groups == nil {
		r.Groups = []string{}
	}
	return r
}

// AccessResponse is a grant on a collection (SelectionReadOnlyResponseModel).
type AccessResponse struct {
	ID            string `json:"id"`
	ReadOnly      bool   `json:"readOnly"`
	HidePasswords bool   `json:"hidePasswords"`
	Manage        bool   `json:"manage"`
}

func accessResponses(list []Access) []AccessResponse {
	out := make([]AccessResponse, len(list))
	for i, a := range list {
		out[i] = AccessResponse(a)
	}
	return out
}

// BulkResult is one row of a bulk answer (confirm, reinvite, revoke, restore, remove); Error is ""
// on success.
type BulkResult struct {
	ID     string `json:"id"`
	Error  string `json:"error"`
	Object string `json:"object"`
}

func bulkResult(id string, err error) BulkResult {
	msg := ""
	if err != nil {
		msg = publicMessage(err)
	}
	return BulkResult{ID: id, Error: msg, Object: "OrganizationBulkConfirmResponseModel"}
}

// MemberPublicKey is one row of POST .../users/public-keys.
type MemberPublicKey struct {
	ID     string `json:"id"`
	UserID string `json:"userId"`
	Key    string `json:"key"`
	Object string `json:"object"`
}

// GroupResponse is a group; with Collections set it is the groupDetails shape.
type GroupResponse struct {
	ID             string           `json:"id"`
	OrganizationID string           `json:"organizationId"`
	Name           string           `json:"name"`
	ExternalID     *string          `json:"externalId"`
	Collections    []AccessResponse `json:"collections,omitempty"`
	Object         string           `json:"object"`
}

func newGroupResponse(g Group, colls []Access, details bool) GroupResponse {
	r := GroupResponse{ID: g.ID, OrganizationID: g.OrganizationID, Name: g.Name,
		ExternalID: optional(g.ExternalID), Object: "group"}
	if details {
		r.Collections, r.Object = accessResponses(colls), "groupDetails"
	}
	return r
}

// CollectionResponse is a collection as the organization lists it (collection), as one user
// reaches it (collectionDetails, with the user's grant), or with its access lists
// (collectionAccessDetails).
type CollectionResponse struct {
	ID             string           `json:"id"`
	OrganizationID string           `json:"organizationId"`
	Name           string           `json:"name"`
	ExternalID     *string          `json:"externalId"`
	Type           int              `json:"type"`
	ReadOnly       *bool            `json:"readOnly,omitempty"`
	HidePasswords  *bool            `json:"hidePasswords,omitempty"`
	Manage         *bool            `json:"manage,omitempty"`
	Assigned       *bool            `json:"assigned,omitempty"`
	Unmanaged      *bool            `json:"unmanaged,omitempty"`
	Groups         []AccessResponse `json:"groups,omitempty"`
	Users          []AccessResponse `json:"users,omitempty"`
	Object         string           `json:"object"`
}

func newCollectionResponse(c Collection) CollectionResponse {
	return CollectionResponse{ID: c.ID, OrganizationID: c.OrganizationID, Name: c.Name,
		ExternalID: optional(c.ExternalID), Type: c.Type, Object: "collection"}
}

// withGrant adds one user's grant (the collectionDetails shape).
func (r CollectionResponse) withGrant(a Access, object string) CollectionResponse {
	r.ReadOnly, r.HidePasswords, r.Manage, r.Object = &a.ReadOnly, &a.HidePasswords, &a.Manage, object
	return r
}

// EventResponse is one audit event.
type EventResponse struct {
	Type                   EventType `json:"type"`
	UserID                 *string   `json:"userId"`
	OrganizationID         *string   `json:"organizationId"`
	ProviderID             *string   `json:"providerId"`
	CipherID               *string   `json:"cipherId"`
	CollectionID           *string   `json:"collectionId"`
	GroupID                *string   `json:"groupId"`
	PolicyID               *string   `json:"policyId"`
	OrganizationUserID     *string   `json:"organizationUserId"`
	ProviderUserID         *string   `json:"providerUserId"`
	ProviderOrganizationID *string   `json:"providerOrganizationId"`
	ActingUserID           *string   `json:"actingUserId"`
	InstallationID         *string   `json:"installationId"`
	Date                   time.Time `json:"date"`
	DeviceType             *int      `json:"deviceType"`
	IPAddress              *string   `json:"ipAddress"`
	SystemUser             *int      `json:"systemUser"`
	DomainName             *string   `json:"domainName"`
	Object                 string    `json:"object"`
}

func newEventResponse(e Event) EventResponse {
	return EventResponse{Type: e.Type, UserID: optional(e.UserID), OrganizationID: optional(e.OrganizationID),
		CipherID: optional(e.CipherID), CollectionID: optional(e.CollectionID), GroupID: optional(e.GroupID),
		PolicyID: optional(e.PolicyID), OrganizationUserID: optional(e.MemberID),
		ActingUserID: optional(e.ActingUserID), Date: e.Date, DeviceType: e.DeviceType,
		IPAddress: optional(e.IPAddress), SystemUser: e.SystemUser, Object: "event"}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
