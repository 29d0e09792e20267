package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/storage"
)

// SQLStore implements Store on a castellan database (the tables of migration 00003).
type SQLStore struct{ DB *storage.DB }

// cipherColumns is the select list that scanCipher reads; the query must join cipher_user_prefs as
// p for the viewing user.
const cipherColumns = `c.id, COALESCE(c.user_id, ''), COALESCE(c.organization_id, ''), c.type, c.data,
	COALESCE(c.cipher_key, ''), c.reprompt, c.created_at, c.updated_at, c.deleted_at,
	COALESCE(p.folder_id, ''), COALESCE(p.favorite, FALSE)`

// cipherFrom selects the personal items a user sees, with that user's folder and favorite flag. The
// first argument is the viewing user for the join, the second the owner. Organization items come
// from orgCipherQuery (sqlstore_orgs.go).
const cipherFrom = ` FROM ciphers c
	LEFT JOIN cipher_user_prefs p ON p.cipher_id = c.id AND p.user_id = ?
	WHERE c.user_id = ?`

type rowScanner interface{ Scan(dest ...any) error }

func scanCipher(r rowScanner, c *Cipher) error { return scanCipherWith(r, c) }

// scanCipherWith scans the cipherColumns into c and the columns that follow into extra.
func scanCipherWith(r rowScanner, c *Cipher, extra ...any) error {
	var created, updated int64
	var deleted sql.NullInt64
	err := r.Scan(append([]any{&c.ID, &c.UserID, &c.OrganizationID, &c.Type, &c.Data, &c.Key, &c.Reprompt,
		&created, &updated, &deleted, &c.FolderID, &c.Favorite}, extra...)...)
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = storage.FromMillis(created), storage.FromMillis(updated)
	c.DeletedAt = nil
	if deleted.Valid {
		t := storage.FromMillis(deleted.Int64)
		c.DeletedAt = &t
	}
	return nil
}

// Cipher returns one item as userID sees it.
func (s SQLStore) Cipher(ctx context.Context, userID, id string) (Cipher, error) {
	return s.cipher(ctx, s.DB, userID, id)
}

func (s SQLStore) cipher(ctx context.Context, q storage.Querier, userID, id string) (Cipher, error) {
	var c Cipher
	row := q.QueryRowContext(ctx, `SELECT `+cipherColumns+cipherFrom+` AND c.id = ?`, userID, userID, id)
	if err := scanCipher(row, &c); notFoundErr(storage.MapError(err)) {
		return orgCipher(ctx, q, userID, id)
	} else if err != nil {
		return Cipher{}, fmt.Errorf("read cipher: %w", storage.MapError(err))
	}
	ids, err := s.collectionIDs(ctx, q, `WHERE cc.cipher_id = ?`, id)
	if err != nil {
		return Cipher{}, err
	}
	c.CollectionIDs = ids[c.ID]
	return c, nil
}

// Ciphers lists the items userID sees.
func (s SQLStore) Ciphers(ctx context.Context, userID string) ([]Cipher, error) {
	// No ORDER BY: the clients do not care, and sorting thousands of rows is most of the query.
	rows, err := s.DB.QueryContext(ctx, `SELECT `+cipherColumns+cipherFrom, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("list ciphers: %w", err)
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
		return nil, fmt.Errorf("list ciphers: %w", err)
	}
	ids, err := s.collectionIDs(ctx, s.DB,
		`JOIN ciphers c ON c.id = cc.cipher_id WHERE c.user_id = ?`, userID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].CollectionIDs = ids[out[i].ID]
	}
	shared, err := orgCiphers(ctx, s.DB, userID, "")
	if err != nil {
		return nil, err
	}
	return append(out, shared...), nil
}

// collectionIDs reads cipher_collections rows (as cc) selected by where, grouped by cipher.
func (s SQLStore) collectionIDs(ctx context.Context, q storage.Querier, where string,
	args ...any) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT cc.cipher_id, cc.collection_id FROM cipher_collections cc `+
		where+` ORDER BY cc.cipher_id, cc.collection_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list cipher collections: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var cid, col string
		if err := rows.Scan(&cid, &col); err != nil {
			return nil, fmt.Errorf("read cipher collection: %w", err)
		}
		out[cid] = append(out[cid], col)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cipher collections: %w", err)
	}
	return out, nil
}

// CreateCipher stores a new item. An organization's item moves the revision date of every member.
func (s SQLStore) CreateCipher(ctx context.Context, userID string, c Cipher) error {
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		if err := s.insertCiphers(ctx, tx, userID, []Cipher{c}); err != nil {
			return err
		}
		return s.touchItems(ctx, tx, userID, []string{c.ID}, c.UpdatedAt)
	})
}

// insertCiphers inserts items with their folders, favorites and collections, after checking that
// each folder is one of userID's.
func (s SQLStore) insertCiphers(ctx context.Context, tx *storage.Tx, userID string, cs []Cipher) error {
	var cipherRows, prefRows, collRows [][]any
	for _, c := range cs {
		if err := checkFolder(ctx, tx, userID, c.FolderID); err != nil {
			return err
		}
		cipherRows = append(cipherRows, []any{c.ID, nullable(c.UserID), nullable(c.OrganizationID), c.Type,
			c.Data, nullable(c.Key), c.Reprompt, storage.Millis(c.CreatedAt),
			storage.Millis(c.UpdatedAt), millisOrNil(c.DeletedAt)})
		if c.FolderID != "" || c.Favorite {
			prefRows = append(prefRows, []any{c.ID, userID, nullable(c.FolderID), c.Favorite})
		}
		for _, col := range c.CollectionIDs {
			collRows = append(collRows, []any{c.ID, col})
		}
	}
	err := insertRows(ctx, tx, "ciphers", []string{"id", "user_id", "organization_id", "type", "data",
		"cipher_key", "reprompt", "created_at", "updated_at", "deleted_at"}, cipherRows)
	if err == nil {
		err = insertRows(ctx, tx, "cipher_user_prefs",
			[]string{"cipher_id", "user_id", "folder_id", "favorite"}, prefRows)
	}
	if err == nil {
		err = insertRows(ctx, tx, "cipher_collections", []string{"cipher_id", "collection_id"}, collRows)
	}
	return err
}

// checkFolder fails with ErrFolderNotFound unless folderID is empty or one of userID's folders.
func checkFolder(ctx context.Context, q storage.Querier, userID, folderID string) error {
	if folderID == "" {
		return nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM folders WHERE id = ? AND user_id = ?`, folderID, userID).
		Scan(&one)
	if err = storage.MapError(err); errors.Is(err, storage.ErrNotFound) {
		return ErrFolderNotFound
	} else if err != nil {
		return fmt.Errorf("check folder: %w", err)
	}
	return nil
}

// UpdateCipher replaces an item's contents.
func (s SQLStore) UpdateCipher(ctx context.Context, userID string, c Cipher,
	lastKnown *time.Time) (Cipher, error) {
	var out Cipher
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		org, err := editableOrgIDs(ctx, tx, userID, []string{c.ID})
		if err != nil {
			return err
		}
		rev, err := lockCipher(ctx, tx, userID, c.ID, len(org) == 1)
		if err != nil {
			return err
		}
		if lastKnown != nil && rev.Sub(*lastKnown).Abs() > staleTolerance {
			return ErrStale
		}
		if err := checkFolder(ctx, tx, userID, c.FolderID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE ciphers SET type = ?, data = ?, cipher_key = ?, reprompt = ?,
			updated_at = ? WHERE id = ?`, c.Type, c.Data, nullable(c.Key), c.Reprompt,
			storage.Millis(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("update cipher: %w", err)
		}
		if err := setPrefs(ctx, tx, userID, c.ID, c.FolderID, c.Favorite); err != nil {
			return err
		}
		if out, err = s.cipher(ctx, tx, userID, c.ID); err != nil {
			return err
		}
		return s.touchItems(ctx, tx, userID, []string{c.ID}, c.UpdatedAt)
	})
	return out, err
}

// lockCipher returns the revision date of one of userID's items (or, with org set, of an
// organization's item the caller checked userID may edit) and, on the engines that have row
// locks, locks the row until the transaction ends, so that two updates of one item run one after
// the other and the second sees the first one's revision date. (SQLite transactions here begin
// IMMEDIATE and so already exclude each other.)
func lockCipher(ctx context.Context, tx *storage.Tx, userID, id string, org bool) (time.Time, error) {
	q, args := `SELECT updated_at FROM ciphers WHERE id = ? AND user_id = ?`, []any{id, userID}
	if org {
		q, args = `SELECT updated_at FROM ciphers WHERE id = ? AND user_id IS NULL`, []any{id}
	}
	if tx.Dialect() != storage.SQLite {
		q += ` FOR UPDATE`
	}
	var rev int64
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&rev); err != nil {
		return time.Time{}, fmt.Errorf("read cipher: %w", storage.MapError(err))
	}
	return storage.FromMillis(rev), nil
}

// setPrefs records userID's folder and favorite flag for an item.
func setPrefs(ctx context.Context, q storage.Querier, userID, cipherID, folderID string,
	favorite bool) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM cipher_user_prefs WHERE cipher_id = ? AND user_id = ?`,
		cipherID, userID); err != nil {
		return fmt.Errorf("clear cipher folder: %w", err)
	}
	if folderID == "" && !favorite {
		return nil
	}
	_, err := q.ExecContext(ctx, `INSERT INTO cipher_user_prefs (cipher_id, user_id, folder_id, favorite)
		VALUES (?, ?, ?, ?)`, cipherID, userID, nullable(folderID), favorite)
	if err != nil {
		return fmt.Errorf("set cipher folder: %w", storage.MapError(err))
	}
	return nil
}

// FileCiphers moves items to a folder, and sets their favorite flag when favorite is set.
func (s SQLStore) FileCiphers(ctx context.Context, userID string, ids []string, folderID string,
	favorite *bool, now time.Time) (int, error) {
	var n int
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		if err := checkFolder(ctx, tx, userID, folderID); err != nil {
			return err
		}
		owned, err := ownedIDs(ctx, tx, userID, ids)
		if err != nil || len(owned) == 0 {
			return err
		}
		n = len(owned)
		for _, id := range owned {
			c, err := s.cipher(ctx, tx, userID, id)
			if err != nil {
				return err
			}
			fav := c.Favorite
			if favorite != nil {
				fav = *favorite
			}
			if err := setPrefs(ctx, tx, userID, id, folderID, fav); err != nil {
				return err
			}
		}
		return s.touch(ctx, tx, userID, now) // a folder is the user's own view: only they sync
	})
	return n, err
}

// SoftDeleteCiphers moves items to the trash.
func (s SQLStore) SoftDeleteCiphers(ctx context.Context, userID string, ids []string,
	now time.Time) (int, error) {
	var n int
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		owned, err := ownedIDs(ctx, tx, userID, ids)
		if err != nil || len(owned) == 0 {
			return err
		}
		n = len(owned)
		in, args := inList(owned)
		_, err = tx.ExecContext(ctx, `UPDATE ciphers SET deleted_at = ?, updated_at = ?
			WHERE deleted_at IS NULL AND id IN (`+in+`)`,
			append([]any{storage.Millis(now), storage.Millis(now)}, args...)...)
		if err != nil {
			return fmt.Errorf("trash ciphers: %w", err)
		}
		return s.touchItems(ctx, tx, userID, owned, now)
	})
	return n, err
}

// RestoreCiphers takes items out of the trash.
func (s SQLStore) RestoreCiphers(ctx context.Context, userID string, ids []string,
	now time.Time) ([]Cipher, error) {
	var out []Cipher
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		owned, err := ownedIDs(ctx, tx, userID, ids)
		if err != nil || len(owned) == 0 {
			return err
		}
		in, args := inList(owned)
		_, err = tx.ExecContext(ctx, `UPDATE ciphers SET deleted_at = NULL, updated_at = ?
			WHERE deleted_at IS NOT NULL AND id IN (`+in+`)`, append([]any{storage.Millis(now)}, args...)...)
		if err != nil {
			return fmt.Errorf("restore ciphers: %w", err)
		}
		for _, id := range owned {
			c, err := s.cipher(ctx, tx, userID, id)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return s.touchItems(ctx, tx, userID, owned, now)
	})
	return out, err
}

// DeleteCiphers deletes items for good; their folder, favorite and collection rows go with them.
func (s SQLStore) DeleteCiphers(ctx context.Context, userID string, ids []string,
	now time.Time) (int, error) {
	var n int
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		owned, err := ownedIDs(ctx, tx, userID, ids)
		if err != nil || len(owned) == 0 {
			return err
		}
		n = len(owned)
		if err := s.touchItems(ctx, tx, userID, owned, now); err != nil { // before the rows go
			return err
		}
		in, args := inList(owned)
		if _, err := tx.ExecContext(ctx, `DELETE FROM ciphers WHERE id IN (`+in+`)`, args...); err != nil {
			return fmt.Errorf("delete ciphers: %w", err)
		}
		return nil
	})
	return n, err
}

// ownedIDs returns those of ids that are items owned by userID, followed by the organization items
// among ids that userID may edit (reached without read-only).
func ownedIDs(ctx context.Context, q storage.Querier, userID string, ids []string) ([]string, error) {
	mine, err := personalIDs(ctx, q, userID, ids)
	if err != nil {
		return nil, err
	}
	shared, err := editableOrgIDs(ctx, q, userID, ids)
	return append(mine, shared...), err
}

// personalIDs returns those of ids that are items owned by userID.
func personalIDs(ctx context.Context, q storage.Querier, userID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx,
		`SELECT id FROM ciphers WHERE user_id = ? AND id IN (`+in+`) ORDER BY id`,
		append([]any{userID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find ciphers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find ciphers: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Import stores folders and items in one transaction.
func (s SQLStore) Import(ctx context.Context, userID string, folders []Folder, ciphers []Cipher,
	now time.Time) error {
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		rows := make([][]any, len(folders))
		for i, f := range folders {
			rows[i] = []any{f.ID, userID, f.Name, storage.Millis(f.CreatedAt), storage.Millis(f.UpdatedAt)}
		}
		if err := insertRows(ctx, tx, "folders", folderColumns, rows); err != nil {
			return err
		}
		if err := s.insertCiphers(ctx, tx, userID, ciphers); err != nil {
			return err
		}
		return s.touch(ctx, tx, userID, now)
	})
}

// touch moves userID's account revision date to now, in the transaction of the change; the
// accounts concern owns that column.
func (s SQLStore) touch(ctx context.Context, q storage.Querier, userID string, now time.Time) error {
	return accounts.BumpAccountRevision(ctx, q, userID, now)
}

// insertBatch is how many rows one INSERT statement carries: large enough that an import of
// thousands of items is a few dozen statements, small enough for every engine's parameter limit.
const insertBatch = 100

// insertRows inserts rows into table in multi-row statements.
func insertRows(ctx context.Context, q storage.Querier, table string, cols []string, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += insertBatch {
		batch := rows[start:min(start+insertBatch, len(rows))]
		values := strings.TrimSuffix(strings.Repeat(one+", ", len(batch)), ", ")
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			args = append(args, r...)
		}
		q1 := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + values
		_, err := q.ExecContext(ctx, q1, args...)
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, storage.MapError(err))
		}
	}
	return nil
}

// inList returns "?, ?, ..." and the arguments for an IN clause.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", "), args
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func millisOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return storage.Millis(*t)
}
