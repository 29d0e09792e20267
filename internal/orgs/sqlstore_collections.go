package orgs

import (
	"context"
	"fmt"
	"sort"

	"github.com/castellan-vault/castellan/internal/storage"
)

const collectionColumns = `c.id, c.organization_id, c.name, COALESCE(c.external_id, ''), c.type, c.created_at,
	c.revision_date`

func scanCollection(r rowScanner, extra ...any) (Collection, error) {
	var c Collection
	var created, revised int64
	dest := append([]any{&c.ID, &c.OrganizationID, &c.Name, &c.ExternalID, &c.Type, &created,
		&revised}, extra...)
	if err := r.Scan(dest...); err != nil {
		return Collection{}, err
	}
	c.CreatedAt, c.RevisionDate = storage.FromMillis(created), storage.FromMillis(revised)
	return c, nil
}

// CreateCollection inserts c.
func (s queries) CreateCollection(ctx context.Context, c Collection) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO collections (id, organization_id, name, external_id, type,
		created_at, revision_date) VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.OrganizationID, c.Name,
		nullable(c.ExternalID), c.Type, storage.Millis(c.CreatedAt), storage.Millis(c.RevisionDate))
	if err != nil {
		return fmt.Errorf("insert collection: %w", storage.MapError(err))
	}
	return nil
}

// Collection returns one collection of the organization.
func (s queries) Collection(ctx context.Context, orgID, id string) (Collection, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+collectionColumns+` FROM collections c
		WHERE c.organization_id = ? AND c.id = ?`, orgID, id)
	c, err := scanCollection(row)
	if err != nil {
		return Collection{}, fmt.Errorf("read collection: %w", storage.MapError(err))
	}
	return c, nil
}

// Collections lists the organization's collections.
func (s queries) Collections(ctx context.Context, orgID string) ([]Collection, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+collectionColumns+` FROM collections c
		WHERE c.organization_id = ? ORDER BY c.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	return collect(rows, "list collections", func(r rowScanner) (Collection, error) {
		return scanCollection(r)
	})
}

// UpdateCollection stores the editable fields of c.
func (s queries) UpdateCollection(ctx context.Context, c Collection) error {
	return s.update(ctx, "update collection", "collections", c.ID,
		`UPDATE collections SET name = ?, external_id = ?, revision_date = ?
		WHERE id = ? AND organization_id = ?`,
		c.Name, nullable(c.ExternalID), storage.Millis(c.RevisionDate), c.ID, c.OrganizationID)
}

// DeleteCollections deletes collections of the organization, and takes the organization's items out
// of them (the vault's cipher_collections rows have no foreign key to collections).
func (s queries) DeleteCollections(ctx context.Context, orgID string, ids []string) error {
	for _, chunk := range chunks(ids, maxInArgs) {
		in, args := inList(chunk)
		_, err := s.q.ExecContext(ctx, `DELETE FROM cipher_collections WHERE collection_id IN (SELECT id
			FROM collections WHERE organization_id = ? AND id IN (`+in+`))`, append([]any{orgID}, args...)...)
		if err != nil {
			return fmt.Errorf("empty collections: %w", err)
		}
		_, err = s.q.ExecContext(ctx,
			`DELETE FROM collections WHERE organization_id = ? AND id IN (`+in+`)`,
			append([]any{orgID}, args...)...)
		if err != nil {
			return fmt.Errorf("delete collections: %w", err)
		}
	}
	return nil
}

// CollectionUsers returns the member grants of the organization's collections.
func (s queries) CollectionUsers(ctx context.Context, orgID,
	collectionID string) (map[string][]Access, error) {
	q := `SELECT cu.collection_id, cu.organization_user_id, cu.read_only, cu.hide_passwords, cu.manage
		FROM collection_users cu JOIN collections c ON c.id = cu.collection_id WHERE c.organization_id = ?`
	return s.grants(ctx, q, orgID, "c.id", collectionID,
		"cu.collection_id, cu.organization_user_id")
}

// SetCollectionUsers replaces the member grants of a collection.
func (s queries) SetCollectionUsers(ctx context.Context, collectionID string,
	grants []Access) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM collection_users WHERE collection_id = ?`,
		collectionID); err != nil {
		return fmt.Errorf("clear collection users: %w", err)
	}
	rows := make([][]any, len(grants))
	for i, g := range grants {
		rows[i] = []any{collectionID, g.ID, g.ReadOnly, g.HidePasswords, g.Manage}
	}
	return insertRows(ctx, s.q, "collection_users", collectionUserColumns, rows)
}

// CollectionGroups returns the group grants of the organization's collections.
func (s queries) CollectionGroups(ctx context.Context, orgID,
	collectionID string) (map[string][]Access, error) {
	q := `SELECT cg.collection_id, cg.group_id, cg.read_only, cg.hide_passwords, cg.manage
		FROM collection_groups cg JOIN collections c ON c.id = cg.collection_id WHERE c.organization_id = ?`
	return s.grants(ctx, q, orgID, "c.id", collectionID, "cg.collection_id, cg.group_id")
}

// SetCollectionGroups replaces the group grants of a collection.
func (s queries) SetCollectionGroups(ctx context.Context, collectionID string,
	grants []Access) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM collection_groups WHERE collection_id = ?`,
		collectionID); err != nil {
		return fmt.Errorf("clear collection groups: %w", err)
	}
	rows := make([][]any, len(grants))
	for i, g := range grants {
		rows[i] = []any{collectionID, g.ID, g.ReadOnly, g.HidePasswords, g.Manage}
	}
	return insertRows(ctx, s.q, "collection_groups", collectionGroupColumns, rows)
}

// UserAccessQuery returns a subquery, with its arguments, whose rows are (collection_id, read_only,
// hide_passwords, manage): one row per path by which userID reaches a collection, as a confirmed
// member of an enabled organization, directly or through a group. Several rows may name one
// collection; callers merge them (see MergeAccess). The vault concern joins it to find the items a
// user sees.
func UserAccessQuery(userID string) (string, []any) {
	const q = `SELECT cu.collection_id, cu.read_only, cu.hide_passwords, cu.manage FROM collection_users cu
		JOIN organization_users ou ON ou.id = cu.organization_user_id
		JOIN organizations o ON o.id = ou.organization_id
		WHERE ou.user_id = ? AND ou.status = ? AND o.enabled = ?
		UNION ALL
		SELECT cg.collection_id, cg.read_only, cg.hide_passwords, cg.manage FROM collection_groups cg
		JOIN group_users gu ON gu.group_id = cg.group_id
		JOIN organization_users ou ON ou.id = gu.organization_user_id
		JOIN organizations o ON o.id = ou.organization_id
		WHERE ou.user_id = ? AND ou.status = ? AND o.enabled = ?`
	confirmed := int16(StatusConfirmed)
	return q, []any{userID, confirmed, true, userID, confirmed, true}
}

// MergeAccess folds a second path to a collection into a, the way the official server does: an
// item is read-only or hides passwords only if every path says so; manage holds if any path grants it.
func MergeAccess(a, b Access) Access {
	return Access{ID: a.ID, ReadOnly: a.ReadOnly && b.ReadOnly,
		HidePasswords: a.HidePasswords && b.HidePasswords, Manage: a.Manage || b.Manage}
}

// UserCollections lists the collections a user reaches, with merged grants.
func (s queries) UserCollections(ctx context.Context, userID string) ([]UserCollection, error) {
	sub, args := UserAccessQuery(userID)
	rows, err := s.q.QueryContext(ctx, `SELECT `+collectionColumns+`, a.read_only, a.hide_passwords, a.manage
		FROM (`+sub+`) a JOIN collections c ON c.id = a.collection_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list user collections: %w", err)
	}
	list, err := collect(rows, "list user collections", func(r rowScanner) (UserCollection, error) {
		var uc UserCollection
		c, err := scanCollection(r, &uc.ReadOnly, &uc.HidePasswords, &uc.Manage)
		uc.Collection = c
		return uc, err
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]int{}
	var out []UserCollection
	for _, uc := range list {
		i, seen := byID[uc.ID]
		if !seen {
			byID[uc.ID] = len(out)
			out = append(out, uc)
			continue
		}
		m := MergeAccess(Access{ReadOnly: out[i].ReadOnly, HidePasswords: out[i].HidePasswords,
			Manage: out[i].Manage},
			Access{ReadOnly: uc.ReadOnly, HidePasswords: uc.HidePasswords, Manage: uc.Manage})
		out[i].ReadOnly, out[i].HidePasswords, out[i].Manage = m.ReadOnly, m.HidePasswords, m.Manage
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
