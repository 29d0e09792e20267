package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// Profile is the part of the administrator's profile the client reads.
type Profile struct {
	ID            string                `json:"id"`
	Email         string                `json:"email"`
	Organizations []ProfileOrganization `json:"organizations"`
}

// ProfileOrganization is one of the administrator's memberships as the profile lists it.
type ProfileOrganization struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Identifier         string `json:"identifier,omitempty"`
	Status             Status `json:"status"`
	Type               Role   `json:"type"`
	Enabled            bool   `json:"enabled"`
	Seats              *int   `json:"seats"`
	OrganizationUserID string `json:"organizationUserId"`
	// Key is the organization key encrypted to the administrator's public key ("4."); it is set for
	// confirmed memberships only and is not printed by --json.
	Key string `json:"-"`
}

// profileWire reads each organization's Key, which ProfileOrganization hides from JSON output.
type profileWire struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Organizations []struct {
		ProfileOrganization
		Key string `json:"key"`
	} `json:"organizations"`
}

// Profile fetches the administrator's profile (cached until Refresh).
func (c *Client) Profile(ctx context.Context) (*Profile, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	if c.profile != nil {
		return c.profile, nil
	}
	var w profileWire
	if err := c.call(ctx, http.MethodGet, "/api/accounts/profile", nil, &w); err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p := &Profile{ID: w.ID, Email: w.Email}
	for _, o := range w.Organizations {
		po := o.ProfileOrganization
		po.Key = o.Key
		p.Organizations = append(p.Organizations, po)
	}
	c.profile = p
	return p, nil
}

// Refresh forgets the cached profile, e.g. after a membership changed.
func (c *Client) Refresh() { c.profile = nil }

// Organizations lists the administrator's organizations, from the profile.
func (c *Client) Organizations(ctx context.Context) ([]ProfileOrganization, error) {
	p, err := c.Profile(ctx)
	if err != nil {
		return nil, err
	}
	return p.Organizations, nil
}

// Membership returns the administrator's own membership in the organization.
func (c *Client) Membership(ctx context.Context, orgID string) (ProfileOrganization, error) {
	orgs, err := c.Organizations(ctx)
	if err != nil {
		return ProfileOrganization{}, err
	}
	for _, o := range orgs {
		if strings.EqualFold(o.ID, orgID) {
			return o, nil
		}
	}
	return ProfileOrganization{}, fmt.Errorf("organization %s: you are not a member of it (or it does not exist)",
		orgID)
}

// OrgKey returns the organization key, opened from the administrator's confirmed membership.
func (c *Client) OrgKey(ctx context.Context, orgID string) (bwcrypto.SymmetricKey, error) {
	if k, ok := c.orgKeys[strings.ToLower(orgID)]; ok {
		return k, nil
	}
	m, err := c.Membership(ctx, orgID)
	if err != nil {
		return bwcrypto.SymmetricKey{}, err
	}
	if m.Key == "" {
		return bwcrypto.SymmetricKey{}, fmt.Errorf("organization %s: your membership is %s, not confirmed, so "+
			"you do not hold the organization key", orgID, m.Status)
	}
	k, err := c.account.OpenSharedKey(m.Key)
	if err != nil {
		return bwcrypto.SymmetricKey{}, fmt.Errorf("organization %s: open the organization key: %w", orgID, err)
	}
	c.orgKeys[strings.ToLower(orgID)] = k
	return k, nil
}

// NewOrganization is what CreateOrganization needs.
type NewOrganization struct {
	Name string
	// BillingEmail defaults to the administrator's address.
	BillingEmail string
	// CollectionName names the first collection; empty means "Default collection", as the web
	// vault names it.
	CollectionName string
}

// DefaultCollectionName is the name of an organization's first collection unless told otherwise.
const DefaultCollectionName = "Default collection"

// Organization is an organization as the server describes it after creation.
type Organization struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	BillingEmail string `json:"billingEmail"`
	Identifier   string `json:"identifier,omitempty"`
	Seats        *int   `json:"seats"`
}

// CreateOrganization makes an organization owned by the administrator. The client generates the
// organization key and the organization's RSA key pair, wraps the private key under the
// organization key, encrypts the organization key to the administrator's public key and the first
// collection's name under the organization key, as the web vault does.
func (c *Client) CreateOrganization(ctx context.Context, n NewOrganization) (*Organization, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(n.Name) == "" {
		return nil, errors.New("create organization: a name is required")
	}
	body, orgKey, err := c.organizationRequest(n)
	if err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	var o Organization
	if err := c.call(ctx, http.MethodPost, "/api/organizations", body, &o); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	if o.ID == "" {
		return nil, errors.New("create organization: the server sent no organization id")
	}
	c.orgKeys[strings.ToLower(o.ID)] = orgKey
	c.profile = nil
	return &o, nil
}

func (c *Client) organizationRequest(n NewOrganization) (map[string]any, bwcrypto.SymmetricKey, error) {
	none := bwcrypto.SymmetricKey{}
	orgKey, err := bwcrypto.NewSymmetricKey(c.rand)
	if err != nil {
		return nil, none, err
	}
	priv, err := bwcrypto.GenerateRSAKey(c.rand)
	if err != nil {
		return nil, none, err
	}
	pub, err := bwcrypto.EncodePublicKey(&priv.PublicKey)
	if err != nil {
		return nil, none, err
	}
	wrappedPriv, err := bwcrypto.WrapPrivateKey(c.rand, priv, orgKey)
	if err != nil {
		return nil, none, err
	}
	ownerKey, err := bwcrypto.ShareKey(c.rand, orgKey, c.account.PublicKey)
	if err != nil {
		return nil, none, err
	}
	collName := n.CollectionName
	if collName == "" {
		collName = DefaultCollectionName
	}
	encColl, err := orgKey.Encrypt(c.rand, []byte(collName))
	if err != nil {
		return nil, none, err
	}
	billing := n.BillingEmail
	if billing == "" {
		billing = c.account.Email
	}
	return map[string]any{
		"name": strings.TrimSpace(n.Name), "billingEmail": billing, "planType": 0, "key": ownerKey,
		"keys":           map[string]string{"publicKey": pub, "encryptedPrivateKey": wrappedPriv.String()},
		"collectionName": encColl.String(), "useSecretsManager": false, "additionalSeats": 0,
	}, orgKey, nil
}
