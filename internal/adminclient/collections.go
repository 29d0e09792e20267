package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Collection is an organization collection with its name decrypted.
type Collection struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId"`
	Name           string `json:"name"`
	ExternalID     string `json:"externalId,omitempty"`
	// Type is 0 for a shared collection, 1 for a member's default collection.
	Type int `json:"type"`
	// Undecryptable is set when the name could not be decrypted with the organization key; Name
	// then holds the encrypted value.
	Undecryptable bool `json:"undecryptable,omitempty"`
}

// Collections lists the organization's collections and decrypts their names.
func (c *Client) Collections(ctx context.Context, orgID string) ([]Collection, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	orgKey, err := c.OrgKey(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	cs, err := getList[Collection](ctx, c, orgPath(orgID, "collections"))
	if err != nil {
		return nil, fmt.Errorf("list collections of organization %s: %w", orgID, err)
	}
	for i := range cs {
		plain, err := orgKey.DecryptString(cs[i].Name)
		if err != nil {
			cs[i].Undecryptable = true
			continue
		}
		cs[i].Name = string(plain)
	}
	return cs, nil
}

// NewCollection is what CreateCollection sends.
type NewCollection struct {
	Name       string
	ExternalID string
	// Members are grants to memberships (ID is the membership). When nil, the administrator's own
	// membership gets manage access, as the official CLI does.
	Members []Access
	Groups  []Access // ID is the group
}

// CreateCollection makes a collection, its name encrypted under the organization key.
func (c *Client) CreateCollection(ctx context.Context, orgID string, n NewCollection) (*Collection, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(n.Name)
	if name == "" {
		return nil, errors.New("create collection: a name is required")
	}
	orgKey, err := c.OrgKey(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("create collection: %w", err)
	}
	enc, err := orgKey.Encrypt(c.rand, []byte(name))
	if err != nil {
		return nil, fmt.Errorf("create collection: %w", err)
	}
	users := n.Members
	if users == nil {
		self, err := c.Membership(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("create collection: %w", err)
		}
		users = []Access{{ID: self.OrganizationUserID, Manage: true}}
	}
	body := map[string]any{"name": enc.String(), "groups": nonNil(n.Groups), "users": users}
	if n.ExternalID != "" {
		body["externalId"] = n.ExternalID
	}
	var out Collection
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "collections"), body, &out); err != nil {
		return nil, fmt.Errorf("create collection in organization %s: %w", orgID, err)
	}
	out.Name = name
	return &out, nil
}

// DeleteCollection deletes a collection; its items stay in the organization.
func (c *Client) DeleteCollection(ctx context.Context, orgID, collectionID string) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	if err := c.call(ctx, http.MethodDelete, orgPath(orgID, "collections", collectionID), nil, nil); err != nil {
		return fmt.Errorf("delete collection %s: %w", collectionID, err)
	}
	return nil
}
