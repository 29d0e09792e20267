package vault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Organization items. A user reaches an organization's item through the collections it is in: as
// a confirmed member of an enabled organization, granted the collection directly or through a group
// (orgs.UserAccessQuery). Several paths to one item merge the official way: the item is read-only,
// or hides its passwords, only if every path says so. An organization's item belongs to no user
// (user_id is NULL); a change to it moves the revision date of every member of the organization.

// orgCipherQuery selects the organization items userID reaches, one row per collection path: the
// columns of scanCipher, then the collection, read_only and hide_passwords.
func orgCipherQuery(userID string) (string, []any) {
	sub, args := orgs.UserAccessQuery(userID)
	return `SELECT ` + cipherColumns + `, cc.collection_id, a.read_only, a.hide_passwords FROM ciphers c
		JOIN cipher_collections cc ON cc.cipher_id = c.id
		JOIN collections col ON col.id = cc.collection_id AND col.organization_id = c.organization_id
		JOIN (` + sub + `) a ON a.collection_id = cc.collection_id
		LEFT JOIN cipher_user_prefs p ON p.cipher_id = c.id AND p.user_id = ?
		WHERE c.organization_id IS NOT NULL`, append(args, userID)
}

// orgCiphers lists the organization items userID reaches, narrowed by extra (an AND clause on c)
// with its arguments, with their merged access and the collections userID reaches them through.
func orgCiphers(ctx context.Context, q storage.Querier, userID, extra string,
	extraArgs ...any) ([]Cipher, error) {
	query, args := orgCipherQuery(userID)
	rows, err := q.QueryContext(ctx, query+extra, append(args, extraArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("list organization ciphers: %w", err)
	}
	defer rows.Close()
	var out []Cipher
	index := map[string]int{}
	for rows.Next() {
		var c Cipher
		var coll string
		var readOnly, hide bool
		if err := scanCipherWith(rows, &c, &coll, &readOnly, &hide); err != nil {
			return nil, fmt.Errorf("read organization cipher: %w", err)
		}
		i, seen := index[c.ID]
		if !seen {
			c.ReadOnly, c.HidePasswords = readOnly, hide
			index[c.ID], out = len(out), append(out, c)
			i = index[c.ID]
		}
		o := &out[i]
		o.ReadOnly, o.HidePasswords = o.ReadOnly && readOnly, o.HidePasswords && hide
		o.CollectionIDs = append(o.CollectionIDs, coll)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list organization ciphers: %w", err)
	}
	return out, nil
}

// orgCipher returns one organization item as userID reaches it, or storage.ErrNotFound.
func orgCipher(ctx context.Context, q storage.Querier, userID, id string) (Cipher, error) {
	list, err := orgCiphers(ctx, q, userID, ` AND c.id = ?`, id)
	if err != nil {
		return Cipher{}, err
	}
	if len(list) == 0 {
		return Cipher{}, fmt.Errorf("read cipher: %w", storage.ErrNotFound)
	}
	return list[0], nil
}

// editableOrgIDs returns those of ids that are organization items userID reaches without
// read-only on some path, and so may change, trash, restore or delete.
func editableOrgIDs(ctx context.Context, q storage.Querier, userID string,
	ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := inList(ids)
	list, err := orgCiphers(ctx, q, userID, ` AND c.id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range list {
		if !c.ReadOnly {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// touchItems moves the revision date of userID and of every member of the organizations that own
// any of ids, in the transaction of the change.
func (s SQLStore) touchItems(ctx context.Context, q storage.Querier, userID string, ids []string,
	now time.Time) error {
	if err := s.touch(ctx, q, userID, now); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT organization_id FROM ciphers
		WHERE organization_id IS NOT NULL AND id IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("find item organizations: %w", err)
	}
	var orgIDs []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return fmt.Errorf("find item organizations: %w", err)
		}
		orgIDs = append(orgIDs, id)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("find item organizations: %w", err)
	}
	return orgs.BumpOrganizationMembers(ctx, q, orgIDs, now)
}

// OrganizationCiphers lists an organization's items that are not in the trash, with all their
// collections, for the organization export.
func (s SQLStore) OrganizationCiphers(ctx context.Context, orgID string) ([]Cipher, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+cipherColumns+` FROM ciphers c
		LEFT JOIN cipher_user_prefs p ON p.cipher_id = c.id AND p.user_id = ''
		WHERE c.organization_id = ? AND c.deleted_at IS NULL`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list organization ciphers: %w", err)
	}
	defer rows.Close()
	var out []Cipher
	for rows.Next() {
		out = append(out, Cipher{})
		if err := scanCipher(rows, &out[len(out)-1]); err != nil {
			return nil, fmt.Errorf("read cipher: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list organization ciphers: %w", err)
	}
	ids, err := s.collectionIDs(ctx, s.DB,
		`JOIN ciphers c ON c.id = cc.cipher_id WHERE c.organization_id = ?`, orgID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].CollectionIDs = ids[out[i].ID]
	}
	return out, nil
}

// ImportOrganization stores an organization import at once: first write (the organization concern
// creates the new collections), then the items with their collections; all of it, or none.
func (s SQLStore) ImportOrganization(ctx context.Context, userID, orgID string, ciphers []Cipher,
	write func(ctx context.Context, q storage.Querier) error, now time.Time) error {
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		if write != nil {
			if err := write(ctx, tx); err != nil {
				return err
			}
		}
		if err := s.insertCiphers(ctx, tx, userID, ciphers); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, userID, now); err != nil {
			return err
		}
		return orgs.BumpOrganizationMembers(ctx, tx, []string{orgID}, now)
	})
}

// notFoundErr reports whether err is the store's not-found.
func notFoundErr(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// isOrgItem reports whether id is an organization's item.
func isOrgItem(ctx context.Context, q storage.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM ciphers WHERE id = ? AND organization_id IS NOT NULL`, id).
		Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read cipher: %w", err)
	}
	return n > 0, nil
}

// ShareCipher moves userID's personal item c.ID into organization c.OrganizationID and collections
// c.CollectionIDs, with the contents re-encrypted under the organization key by the client: the
// item stops being userID's, keeps userID's folder and favorite flag, and every member's revision
// date moves. With lastKnown set it fails with ErrStale like UpdateCipher.
func (s SQLStore) ShareCipher(ctx context.Context, userID string, c Cipher,
	lastKnown *time.Time) (Cipher, error) {
	var out Cipher
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		rev, err := lockCipher(ctx, tx, userID, c.ID, false)
		if err != nil {
			return err
		}
		if lastKnown != nil && rev.Sub(*lastKnown).Abs() > staleTolerance {
			return ErrStale
		}
		if err := checkFolder(ctx, tx, userID, c.FolderID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE ciphers SET user_id = NULL, organization_id = ?, type = ?,
			data = ?,
			cipher_key = ?, reprompt = ?, updated_at = ? WHERE id = ?`, c.OrganizationID, c.Type, c.Data,
			nullable(c.Key), c.Reprompt, storage.Millis(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("share cipher: %w", err)
		}
		if err := setPrefs(ctx, tx, userID, c.ID, c.FolderID, c.Favorite); err != nil {
			return err
		}
		if err := setCollections(ctx, tx, c.ID, c.CollectionIDs); err != nil {
			return err
		}
		if err := s.touchItems(ctx, tx, userID, []string{c.ID}, c.UpdatedAt); err != nil {
			return err
		}
		out, err = s.cipher(ctx, tx, userID, c.ID)
		if notFoundErr(err) { // shared into collections the sharer does not reach
			out, err = c, nil
		}
		return err
	})
	return out, err
}

// SetCipherCollections replaces the collections of an organization item that userID may edit, and
// returns it as userID now sees it (storage.ErrNotFound, after the change, if no longer at all).
func (s SQLStore) SetCipherCollections(ctx context.Context, userID, id string, collectionIDs []string,
	now time.Time) (Cipher, error) {
	var out Cipher
	gone := false
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		editable, err := editableOrgIDs(ctx, tx, userID, []string{id})
		if err != nil {
			return err
		}
		if len(editable) == 0 {
			return fmt.Errorf("read cipher: %w", storage.ErrNotFound)
		}
		if _, err := lockCipher(ctx, tx, userID, id, true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ciphers SET updated_at = ? WHERE id = ?`,
			storage.Millis(now), id); err != nil {
			return fmt.Errorf("update cipher: %w", err)
		}
		if err := setCollections(ctx, tx, id, collectionIDs); err != nil {
			return err
		}
		if err := s.touchItems(ctx, tx, userID, []string{id}, now); err != nil {
			return err
		}
		out, err = s.cipher(ctx, tx, userID, id)
		if gone = notFoundErr(err); gone {
			return nil // the change stands; the caller just no longer sees the item
		}
		return err
	})
	if err == nil && gone {
		err = fmt.Errorf("read cipher: %w", storage.ErrNotFound)
	}
	return out, err
}

// setCollections replaces the collections of an item.
func setCollections(ctx context.Context, q storage.Querier, cipherID string,
	collectionIDs []string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM cipher_collections WHERE cipher_id = ?`,
		cipherID); err != nil {
		return fmt.Errorf("clear cipher collections: %w", err)
	}
	rows := make([][]any, len(collectionIDs))
	for i, col := range collectionIDs {
		rows[i] = []any{cipherID, col}
	}
	return insertRows(ctx, q, "cipher_collections", []string{"cipher_id", "collection_id"}, rows)
}
