package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Group is an organization group.
type Group struct {
	ID             string   `json:"id"`
	OrganizationID string   `json:"organizationId"`
	Name           string   `json:"name"`
	ExternalID     string   `json:"externalId,omitempty"`
	Collections    []Access `json:"collections,omitempty"`
}

// Groups lists the organization's groups with their collection grants.
func (c *Client) Groups(ctx context.Context, orgID string) ([]Group, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	gs, err := getList[Group](ctx, c, orgPath(orgID, "groups", "details"))
	if err != nil {
		return nil, fmt.Errorf("list groups of organization %s: %w", orgID, err)
	}
	return gs, nil
}

// NewGroup is what CreateGroup sends.
type NewGroup struct {
	Name        string
	ExternalID  string
	Collections []Access // ID names the collection
	Members     []string // membership ids
}

// CreateGroup makes a group.
func (c *Client) CreateGroup(ctx context.Context, orgID string, g NewGroup) (*Group, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(g.Name) == "" {
		return nil, errors.New("create group: a name is required")
	}
	var out Group
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "groups"), groupBody(g), &out); err != nil {
		return nil, fmt.Errorf("create group in organization %s: %w", orgID, err)
	}
	return &out, nil
}

func groupBody(g NewGroup) map[string]any {
	body := map[string]any{"name": strings.TrimSpace(g.Name), "collections": nonNil(g.Collections),
		"users": nonNil(g.Members)}
	if g.ExternalID != "" {
		body["externalId"] = g.ExternalID
	}
	return body
}

// DeleteGroup deletes a group; its members stay in the organization.
func (c *Client) DeleteGroup(ctx context.Context, orgID, groupID string) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	if err := c.call(ctx, http.MethodDelete, orgPath(orgID, "groups", groupID), nil, nil); err != nil {
		return fmt.Errorf("delete group %s: %w", groupID, err)
	}
	return nil
}

// GroupMembers lists the membership ids of a group.
func (c *Client) GroupMembers(ctx context.Context, orgID, groupID string) ([]string, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var ids []string
	if err := c.call(ctx, http.MethodGet, orgPath(orgID, "groups", groupID, "users"), nil, &ids); err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	return ids, nil
}

// SetGroupMembers replaces a group's members, keeping its name and collection grants.
func (c *Client) SetGroupMembers(ctx context.Context, orgID, groupID string, memberIDs []string) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	var g Group
	if err := c.call(ctx, http.MethodGet, orgPath(orgID, "groups", groupID, "details"), nil, &g); err != nil {
		return fmt.Errorf("read group %s: %w", groupID, err)
	}
	body := groupBody(NewGroup{Name: g.Name, ExternalID: g.ExternalID, Collections: g.Collections,
		Members: memberIDs})
	if err := c.call(ctx, http.MethodPut, orgPath(orgID, "groups", groupID), body, nil); err != nil {
		return fmt.Errorf("update group %s: %w", groupID, err)
	}
	return nil
}
