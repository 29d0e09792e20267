package orgs

import (
	"context"
	"fmt"

	"github.com/castellan-vault/castellan/internal/storage"
)

const groupColumns = `id, organization_id, name, COALESCE(external_id, ''), created_at, revision_date`

func scanGroup(r rowScanner) (Group, error) {
	var g Group
	var created, revised int64
	if err := r.Scan(&g.ID, &g.OrganizationID, &g.Name, &g.ExternalID,
		&created, &revised); err != nil {
		return Group{}, err
	}
	g.CreatedAt, g.RevisionDate = storage.FromMillis(created), storage.FromMillis(revised)
	return g, nil
}

// CreateGroup inserts g.
func (s queries) CreateGroup(ctx context.Context, g Group) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO org_groups (id, organization_id, name, external_id,
		created_at,
		revision_date) VALUES (?, ?, ?, ?, ?, ?)`,
		g.ID, g.OrganizationID, g.Name, nullable(g.ExternalID), storage.Millis(g.CreatedAt),
		storage.Millis(g.RevisionDate))
	if err != nil {
		return fmt.Errorf("insert group: %w", storage.MapError(err))
	}
	return nil
}

// Group returns one group of the organization.
func (s queries) Group(ctx context.Context, orgID, id string) (Group, error) {
	row := s.q.QueryRowContext(ctx,
		`SELECT `+groupColumns+` FROM org_groups WHERE organization_id = ? AND id = ?`,
		orgID, id)
	g, err := scanGroup(row)
	if err != nil {
		return Group{}, fmt.Errorf("read group: %w", storage.MapError(err))
	}
	return g, nil
}

// Groups lists the organization's groups.
func (s queries) Groups(ctx context.Context, orgID string) ([]Group, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+groupColumns+` FROM org_groups WHERE organization_id = ?
		ORDER BY name, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return collect(rows, "list groups", scanGroup)
}

// UpdateGroup stores the editable fields of g.
func (s queries) UpdateGroup(ctx context.Context, g Group) error {
	return s.update(ctx, "update group", "org_groups", g.ID,
		`UPDATE org_groups SET name = ?, external_id = ?, revision_date = ?
		WHERE id = ? AND organization_id = ?`,
		g.Name, nullable(g.ExternalID), storage.Millis(g.RevisionDate), g.ID, g.OrganizationID)
}

// DeleteGroups deletes groups of the organization; their links go by cascade.
func (s queries) DeleteGroups(ctx context.Context, orgID string, ids []string) error {
	for _, chunk := range chunks(ids, maxInArgs) {
		in, args := inList(chunk)
		_, err := s.q.ExecContext(ctx,
			`DELETE FROM org_groups WHERE organization_id = ? AND id IN (`+in+`)`,
			append([]any{orgID}, args...)...)
		if err != nil {
			return fmt.Errorf("delete groups: %w", err)
		}
	}
	return nil
}

// GroupCollections returns the collection grants of the organization's groups.
func (s queries) GroupCollections(ctx context.Context, orgID,
	groupID string) (map[string][]Access, error) {
	q := `SELECT cg.group_id, cg.collection_id, cg.read_only, cg.hide_passwords, cg.manage
		FROM collection_groups cg JOIN org_groups g ON g.id = cg.group_id WHERE g.organization_id = ?`
	return s.grants(ctx, q, orgID, "g.id", groupID, "cg.group_id, cg.collection_id")
}

// SetGroupCollections replaces a group's collection grants.
func (s queries) SetGroupCollections(ctx context.Context, groupID string, grants []Access) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM collection_groups WHERE group_id = ?`,
		groupID); err != nil {
		return fmt.Errorf("clear group collections: %w", err)
	}
	rows := make([][]any, len(grants))
	for i, g := range grants {
		rows[i] = []any{g.ID, groupID, g.ReadOnly, g.HidePasswords, g.Manage}
	}
	return insertRows(ctx, s.q, "collection_groups", collectionGroupColumns, rows)
}

var collectionGroupColumns = []string{"collection_id", "group_id", "read_only",
	"hide_passwords", "manage"}

// GroupMembers lists the memberships of a group.
func (s queries) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT organization_user_id FROM group_users WHERE group_id = ?
		ORDER BY organization_user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	return collect(rows, "list group members", func(r rowScanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// SetGroupMembers replaces the members of a group.
func (s queries) SetGroupMembers(ctx context.Context, groupID string, memberIDs []string) error {
	if _, err := s.q.ExecContext(ctx,
		`DELETE FROM group_users WHERE group_id = ?`, groupID); err != nil {
		return fmt.Errorf("clear group members: %w", err)
	}
	rows := make([][]any, len(memberIDs))
	for i, m := range memberIDs {
		rows[i] = []any{groupID, m}
	}
	return insertRows(ctx, s.q, "group_users", []string{"group_id", "organization_user_id"}, rows)
}
