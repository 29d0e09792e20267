package orgs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
)

// KeysRequest is an organization's RSA key pair as the creating client sends it.
type KeysRequest struct {
	PublicKey           string `json:"publicKey"`
	EncryptedPrivateKey string `json:"encryptedPrivateKey"`
}

// CreateRequest is the body of POST /api/organizations.
type CreateRequest struct {
	Name         string `json:"name"`
	BusinessName string `json:"businessName"`
	BillingEmail string `json:"billingEmail"`
	// Key is the new organization key encrypted to the creator's public key ("4." EncString).
	Key  string       `json:"key"`
	Keys *KeysRequest `json:"keys"`
	// CollectionName is the name of a first collection, under the organization key; optional.
	CollectionName string `json:"collectionName"`
}

// UpdateRequest is the body of PUT /api/organizations/{id}.
type UpdateRequest struct {
	Name         string  `json:"name"`
	BusinessName *string `json:"businessName"`
	BillingEmail string  `json:"billingEmail"`
}

// Field limits of the official request models.
const (
	maxOrgNameLen      = 50
	maxBusinessNameLen = 50
)

func checkOrgFields(name, business, billing string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return httpx.Invalid("Name", "The Name field is required.")
	case httpx.TextLen(name) > maxOrgNameLen:
		return httpx.Invalid("Name",
			fmt.Sprintf("The field Name must be a string with a maximum length of %d.",
				maxOrgNameLen))
	case httpx.TextLen(business) > maxBusinessNameLen:
		return httpx.Invalid("BusinessName", fmt.Sprintf(
			"The field BusinessName must be a string with a maximum length of %d.", maxBusinessNameLen))
	case !validEmail(accounts.NormalizeEmail(billing)):
		return httpx.Invalid("BillingEmail",
			"The BillingEmail field is not a valid e-mail address.")
	}
	return nil
}

// checkEnc requires a well-formed EncString of one of the given types.
func checkEnc(field, v string, types ...bwcrypto.EncType) error {
	e, err := bwcrypto.ParseEncString(v)
	if err == nil {
		for _, t := range types {
			if e.Type == t {
				return nil
			}
		}
	}
	return &httpx.Error{Status: 400, Message: "The model state is invalid.", Cause: err,
		ValidationErrors: map[string][]string{
			field: {"The " + field + " field is not a valid encrypted string."}}}
}

// rsaTypes are the EncString types of a key encrypted to an RSA public key.
var rsaTypes = []bwcrypto.EncType{bwcrypto.EncRSAOAEPSHA256, bwcrypto.EncRSAOAEPSHA1,
	bwcrypto.EncRSAOAEPSHA256HMAC, bwcrypto.EncRSAOAEPSHA1HMAC}

func (r CreateRequest) validate() error {
	if err := checkOrgFields(r.Name, r.BusinessName, r.BillingEmail); err != nil {
		return err
	}
	if err := checkEnc("Key", r.Key, rsaTypes...); err != nil {
		return err
	}
	if r.Keys == nil {
		return httpx.Invalid("Keys", "The Keys field is required.")
	}
	if _, err := bwcrypto.ParsePublicKey(r.Keys.PublicKey); err != nil {
		return httpx.Invalid("Keys.PublicKey",
			"The public key is not a base64 RSA SubjectPublicKeyInfo.")
	}
	if err := checkEnc("Keys.EncryptedPrivateKey", r.Keys.EncryptedPrivateKey,
		bwcrypto.EncAESCBC256HMAC); err != nil {
		return err
	}
	if r.CollectionName != "" {
		if httpx.TextLen(r.CollectionName) > maxCollectionNameLen {
			return httpx.TooLongEncrypted("CollectionName", maxCollectionNameLen)
		}
		return checkEnc("CollectionName", r.CollectionName, bwcrypto.EncAESCBC256HMAC)
	}
	return nil
}

// Create makes an organization whose first member is userID, a confirmed owner holding the key
// the client encrypted to them, with a first collection that the owner manages when a name is
// given. It is one transaction.
func (s *Service) Create(ctx context.Context, userID string, r CreateRequest,
	meta Meta) (OrganizationResponse, error) {
	if err := r.validate(); err != nil {
		return OrganizationResponse{}, err
	}
	now := s.clock.Now()
	o := Organization{ID: s.newID(), Name: strings.TrimSpace(r.Name),
		BusinessName: strings.TrimSpace(r.BusinessName),
		BillingEmail: accounts.NormalizeEmail(r.BillingEmail), PublicKey: r.Keys.PublicKey,
		PrivateKey: r.Keys.EncryptedPrivateKey, Seats: s.cfg.DefaultSeats, Enabled: true, CreatedAt: now,
		RevisionDate: now}
	owner := Member{ID: s.newID(), OrganizationID: o.ID, UserID: userID, Key: r.Key, Status: StatusConfirmed,
		Type: RoleOwner, CreatedAt: now, RevisionDate: now}
	err := s.store.InTx(ctx, func(q Queries) error {
		if err := q.CreateOrganization(ctx, o); err != nil {
			return err
		}
		if err := q.InsertMembers(ctx, []Member{owner}); err != nil {
			return err
		}
		if r.CollectionName != "" {
			c := Collection{ID: s.newID(), OrganizationID: o.ID, Name: r.CollectionName,
				CreatedAt: now, RevisionDate: now}
			if err := q.CreateCollection(ctx, c); err != nil {
				return err
			}
			if err := q.SetMemberCollections(ctx, owner.ID, []Access{{ID: c.ID, Manage: true}}); err != nil {
				return err
			}
		}
		return q.BumpMemberRevisions(ctx, o.ID, nil, now)
	})
	if err != nil {
		return OrganizationResponse{}, fmt.Errorf("create organization: %w", err)
	}
	s.log.InfoContext(ctx, "organization created", "org_id", o.ID, "user_id", userID)
	return newOrganizationResponse(o), nil
}

// Get returns the organization to its owners and admins.
func (s *Service) Get(ctx context.Context, userID, orgID string) (OrganizationResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return OrganizationResponse{}, err
	}
	if !a.admin() {
		return OrganizationResponse{}, notFound()
	}
	o, err := s.store.Organization(ctx, orgID)
	if err != nil {
		return OrganizationResponse{}, storeNotFound(err)
	}
	return newOrganizationResponse(o), nil
}

// KeysResponse is GET /api/organizations/{id}/keys and /public-key.
type KeysResponse struct {
	PublicKey  string  `json:"publicKey"`
	PrivateKey *string `json:"privateKey,omitempty"`
	Object     string  `json:"object"`
}

// Keys returns the organization's public key and wrapped private key to a confirmed member. Any
// other logged-in caller gets the public key alone, as the official server hands it out: a person
// accepting an invitation needs it to enrol in account recovery before they are a member
// (GET .../keys from the web vault, .../public-key from castellan's pages), and it is no secret.
func (s *Service) Keys(ctx context.Context, userID, orgID string) (KeysResponse, error) {
	_, err := actorIn(ctx, s.store, orgID, userID)
	var he *httpx.Error
	member := err == nil
	if err != nil && (!errors.As(err, &he) || he.Status != http.StatusNotFound) {
		return KeysResponse{}, err
	}
	o, err := s.store.Organization(ctx, orgID)
	if err != nil {
		return KeysResponse{}, storeNotFound(err)
	}
	if !member {
		return KeysResponse{PublicKey: o.PublicKey, Object: "organizationKeys"}, nil
	}
	return KeysResponse{PublicKey: o.PublicKey, PrivateKey: optional(o.PrivateKey),
		Object: "organizationKeys"}, nil
}

// Update changes the name, business name and billing address; owners only.
func (s *Service) Update(ctx context.Context, userID, orgID string, r UpdateRequest,
	meta Meta) (OrganizationResponse, error) {
	var out Organization
	err := s.store.InTx(ctx, func(q Queries) error {
		o, err := q.LockOrganization(ctx, orgID)
		if err != nil {
			return storeNotFound(err)
		}
		a, err := actorIn(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		if !a.owner() {
			return notFound()
		}
		business := o.BusinessName
		if r.BusinessName != nil {
			business = strings.TrimSpace(*r.BusinessName)
		}
		if err := checkOrgFields(r.Name, business, r.BillingEmail); err != nil {
			return err
		}
		now := s.clock.Now()
		o.Name, o.BusinessName, o.BillingEmail, o.RevisionDate = strings.TrimSpace(r.Name), business,
			accounts.NormalizeEmail(r.BillingEmail), now
		if err := q.UpdateOrganization(ctx, o); err != nil {
			return err
		}
		out = o
		ev := s.event(EventOrganizationUpdated, o.ID, userID, meta, now)
		if err := q.AddEvents(ctx, []Event{ev}); err != nil {
			return err
		}
		return q.BumpMemberRevisions(ctx, o.ID, nil, now)
	})
	if err != nil {
		return OrganizationResponse{}, err
	}
	return newOrganizationResponse(out), nil
}

// Delete deletes the organization with everything in it, after checking the owner's master
// password hash. Its audit events stay.
func (s *Service) Delete(ctx context.Context, userID, orgID, passwordHash string) error {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return err
	}
	if !a.owner() {
		return notFound()
	}
	if err := s.passwords.VerifyMasterPassword(ctx, userID, passwordHash); err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(q Queries) error {
		if _, err := q.LockOrganization(ctx, orgID); err != nil {
			return storeNotFound(err)
		}
		if _, err := actorIn(ctx, q, orgID, userID); err != nil {
			return err
		}
		if err := q.BumpMemberRevisions(ctx, orgID, nil, s.clock.Now()); err != nil {
			return err
		}
		return q.DeleteOrganization(ctx, orgID)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "organization deleted", "org_id", orgID, "user_id", userID)
	return nil
}

// Leave ends the caller's own membership. The last confirmed owner cannot leave, nor can a member
// whose account the organization claims.
func (s *Service) Leave(ctx context.Context, userID, orgID string, meta Meta) error {
	return s.store.InTx(ctx, func(q Queries) error {
		o, err := q.LockOrganization(ctx, orgID)
		if err != nil {
			return storeNotFound(err)
		}
		m, err := q.MemberByUser(ctx, orgID, userID)
		if err != nil {
			return storeNotFound(err)
		}
		if m.Type == RoleOwner && m.Status == StatusConfirmed {
			if err := lastOwner(ctx, q, orgID, m.ID); err != nil {
				return err
			}
		}
		if err := s.refuseClaimed(ctx, q, o, m, msgClaimedLeave); err != nil {
			return err
		}
		now := s.clock.Now()
		if err := q.BumpMemberRevisions(ctx, orgID, []string{m.ID}, now); err != nil {
			return err
		}
		if err := q.DeleteMembers(ctx, orgID, []string{m.ID}); err != nil {
			return err
		}
		return q.AddEvents(ctx, []Event{s.memberEvent(EventMemberLeft, m, userID, meta, now)})
	})
}

// ProfileOrganizations lists userID's memberships as Profile.Organizations: every membership bound
// to the account, whatever its status, with the organization key for confirmed ones only.
func (s *Service) ProfileOrganizations(ctx context.Context,
	userID string) ([]ProfileOrganization, error) {
	ms, err := s.store.MembershipsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]ProfileOrganization, 0, len(ms))
	for _, m := range ms {
		o, err := s.store.Organization(ctx, m.OrganizationID)
		if err != nil {
			return nil, err
		}
		sso, err := s.ssoState(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		p := newProfileOrganization(o, m, sso)
		if p.UserIsClaimedByOrganization, err = s.claimedMember(ctx, s.store, o, m); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func newProfileOrganization(o Organization, m Member, sso SSOState) ProfileOrganization {
	p := ProfileOrganization{ID: o.ID, Name: o.Name, Identifier: optional(o.Identifier), Status: m.Status,
		Type: m.Type, Enabled: o.Enabled, UserID: m.UserID, OrganizationUserID: m.ID, Seats: o.Seats,
		SsoEnabled: sso.Enabled, ResetPasswordEnrolled: m.ResetPasswordKey != "",
		AccessSecretsManager: m.AccessSecretsManager, IsMember: true, Features: features(o),
		Object: "profileOrganization"}
	if m.Status == StatusConfirmed {
		p.Key = optional(m.Key)
	}
	if m.Type == RoleCustom {
		p.Permissions = m.Permissions
	}
	if sso.Enabled {
		dt := sso.MemberDecryptionType
		p.SsoMemberDecryptionType = &dt
	}
	return p
}
