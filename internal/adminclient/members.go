package adminclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// Member is a membership as the member list shows it.
type Member struct {
	ID     string `json:"id"`
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email"`
	Name   string `json:"name,omitempty"`
	Type   Role   `json:"type"`
	Status Status `json:"status"`
	// ExternalID is the directory's id for the member (SCIM, Directory Connector), if any.
	ExternalID       string       `json:"externalId,omitempty"`
	TwoFactorEnabled bool         `json:"twoFactorEnabled"`
	Permissions      *Permissions `json:"permissions,omitempty"`
	Collections      []Access     `json:"collections,omitempty"`
	Groups           []string     `json:"groups,omitempty"`
}

// Members lists the organization's memberships with their collections and groups.
func (c *Client) Members(ctx context.Context, orgID string) ([]Member, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	ms, err := getList[Member](ctx, c, orgPath(orgID, "users")+"?includeCollections=true&includeGroups=true")
	if err != nil {
		return nil, fmt.Errorf("list members of organization %s: %w", orgID, err)
	}
	return ms, nil
}

// Member fetches one membership.
func (c *Client) Member(ctx context.Context, orgID, memberID string) (*Member, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var m Member
	if err := c.call(ctx, http.MethodGet, orgPath(orgID, "users", memberID), nil, &m); err != nil {
		return nil, fmt.Errorf("read member %s: %w", memberID, err)
	}
	return &m, nil
}

// Invitation is what Invite sends.
type Invitation struct {
	Emails      []string
	Type        Role
	Collections []Access // ID names the collection
	Groups      []string
	// Permissions are the rights of a custom role (RoleCustom only).
	Permissions *Permissions
}

// Invite invites addresses into the organization; the server e-mails each an invitation.
func (c *Client) Invite(ctx context.Context, orgID string, inv Invitation) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	if len(inv.Emails) == 0 {
		return errors.New("invite: no e-mail address given")
	}
	perms := inv.Permissions
	if perms == nil {
		perms = &Permissions{}
	}
	body := map[string]any{
		"emails": inv.Emails, "type": inv.Type, "accessSecretsManager": false, "permissions": perms,
		"collections": nonNil(inv.Collections), "groups": nonNil(inv.Groups),
	}
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "users", "invite"), body, nil); err != nil {
		return fmt.Errorf("invite to organization %s: %w", orgID, err)
	}
	return nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// MemberKey is a member's public key, as the public-keys route hands it out for confirmation.
type MemberKey struct {
	MemberID  string `json:"id"`
	UserID    string `json:"userId"`
	PublicKey string `json:"key"` // base64 DER SubjectPublicKeyInfo
}

// Fingerprint is the phrase the official clients show for the member's public key; the member sees
// the same phrase in their own client, so comparing them proves the key is theirs.
func (k MemberKey) Fingerprint() (string, error) {
	der, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil {
		return "", fmt.Errorf("member %s: public key is not base64: %w", k.MemberID, err)
	}
	return bwcrypto.FingerprintPhrase(k.UserID, der)
}

// PublicKeys fetches the public keys of memberships (those bound to an account that has keys).
func (c *Client) PublicKeys(ctx context.Context, orgID string, memberIDs []string) ([]MemberKey, error) {
	if err := c.requireLogin(); err != nil {
		return nil, err
	}
	var l list[MemberKey]
	body := map[string]any{"ids": nonNil(memberIDs)}
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "users", "public-keys"), body, &l); err != nil {
		return nil, fmt.Errorf("read public keys of members of organization %s: %w", orgID, err)
	}
	return l.Data, nil
}

// BulkResult is the outcome for one membership of a bulk change; Error is "" on success.
type BulkResult struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// DefaultUserCollectionName is the name of a member's own collection, sent (encrypted) at
// confirmation for organizations whose data-ownership policy creates one.
const DefaultUserCollectionName = "My Items"

// Confirm confirms accepted members: it encrypts the organization key to each member's public key.
// One key goes through the single route (as the official CLI does), several through the bulk
// route, whose per-member results are returned. The caller checks the fingerprints first.
func (c *Client) Confirm(ctx context.Context, orgID string, keys []MemberKey) ([]BulkResult, error) {
	if len(keys) == 0 {
		return nil, errors.New("confirm: no member given")
	}
	orgKey, err := c.OrgKey(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	collName, err := orgKey.Encrypt(c.rand, []byte(DefaultUserCollectionName))
	if err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	type keyItem struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	items := make([]keyItem, 0, len(keys))
	for _, k := range keys {
		enc, err := bwcrypto.ShareKey(c.rand, orgKey, k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("confirm member %s: %w", k.MemberID, err)
		}
		items = append(items, keyItem{ID: k.MemberID, Key: enc})
	}
	if len(items) == 1 {
		body := map[string]string{"key": items[0].Key, "defaultUserCollectionName": collName.String()}
		if err := c.call(ctx, http.MethodPost, orgPath(orgID, "users", items[0].ID, "confirm"), body, nil); err != nil {
			return nil, fmt.Errorf("confirm member %s: %w", items[0].ID, err)
		}
		return []BulkResult{{ID: items[0].ID}}, nil
	}
	var l list[BulkResult]
	body := map[string]any{"keys": items, "defaultUserCollectionName": collName.String()}
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "users", "confirm"), body, &l); err != nil {
		return nil, fmt.Errorf("confirm: %w", err)
	}
	return l.Data, nil
}

// Revoke revokes a membership: the member keeps the account but loses the organization's items.
func (c *Client) Revoke(ctx context.Context, orgID, memberID string) error {
	return c.memberAction(ctx, http.MethodPut, "revoke", orgID, memberID, "revoke")
}

// Restore restores a revoked membership to the status it had before.
func (c *Client) Restore(ctx context.Context, orgID, memberID string) error {
	return c.memberAction(ctx, http.MethodPut, "restore", orgID, memberID, "restore")
}

// Remove deletes a membership.
func (c *Client) Remove(ctx context.Context, orgID, memberID string) error {
	return c.memberAction(ctx, http.MethodDelete, "remove", orgID, memberID, "")
}

// DeleteAccount deletes the whole account of a member the organization claims through a verified
// domain: the account, its vault and its memberships in every organization. The server refuses it
// for members who are not claimed, invited members, the caller and sole owners.
func (c *Client) DeleteAccount(ctx context.Context, orgID, memberID string) error {
	return c.memberAction(ctx, http.MethodDelete, "delete account of", orgID, memberID, "delete-account")
}

// Reinvite sends an invited member a fresh invitation.
func (c *Client) Reinvite(ctx context.Context, orgID, memberID string) error {
	return c.memberAction(ctx, http.MethodPost, "reinvite", orgID, memberID, "reinvite")
}

func (c *Client) memberAction(ctx context.Context, method, verb, orgID, memberID, suffix string) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	if strings.TrimSpace(memberID) == "" {
		return fmt.Errorf("%s: no member given", verb)
	}
	path := orgPath(orgID, "users", memberID)
	if suffix != "" {
		path += "/" + suffix
	}
	if err := c.call(ctx, method, path, nil, nil); err != nil {
		return fmt.Errorf("%s member %s: %w", verb, memberID, err)
	}
	return nil
}

// Accept accepts an invitation as the logged-in user, with the token from the invitation e-mail.
func (c *Client) Accept(ctx context.Context, orgID, memberID, token string) error {
	if err := c.requireLogin(); err != nil {
		return err
	}
	body := map[string]string{"token": token}
	if err := c.call(ctx, http.MethodPost, orgPath(orgID, "users", memberID, "accept"), body, nil); err != nil {
		return fmt.Errorf("accept invitation: %w", err)
	}
	c.profile = nil
	return nil
}
