package vault

import (
	"context"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

var folderColumns = []string{"id", "user_id", "name", "created_at", "updated_at"}

func scanFolder(r rowScanner, f *Folder) error {
	var created, updated int64
	if err := r.Scan(&f.ID, &f.UserID, &f.Name, &created, &updated); err != nil {
		return err
	}
	f.CreatedAt, f.UpdatedAt = storage.FromMillis(created), storage.FromMillis(updated)
	return nil
}

// CreateFolder stores a new folder.
func (s SQLStore) CreateFolder(ctx context.Context, f Folder) error {
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		err := insertRows(ctx, tx, "folders", folderColumns,
			[][]any{{f.ID, f.UserID, f.Name, storage.Millis(f.CreatedAt), storage.Millis(f.UpdatedAt)}})
		if err != nil {
			return err
		}
		return s.touch(ctx, tx, f.UserID, f.UpdatedAt)
	})
}

// Folder returns one of userID's folders.
func (s SQLStore) Folder(ctx context.Context, userID, id string) (Folder, error) {
	return folder(ctx, s.DB, userID, id)
}

func folder(ctx context.Context, q storage.Querier, userID, id string) (Folder, error) {
	var f Folder
	row := q.QueryRowContext(ctx, `SELECT id, user_id, name, created_at, updated_at FROM folders
		WHERE id = ? AND user_id = ?`, id, userID)
	if err := scanFolder(row, &f); err != nil {
		return Folder{}, fmt.Errorf("read folder: %w", storage.MapError(err))
	}
	return f, nil
}

// Folders lists userID's folders.
func (s SQLStore) Folders(ctx context.Context, userID string) ([]Folder, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, user_id, name, created_at, updated_at FROM folders
		WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	defer rows.Close()
	out := []Folder{}
	for rows.Next() {
		var f Folder
		if err := scanFolder(rows, &f); err != nil {
			return nil, fmt.Errorf("read folder: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	return out, nil
}

// RenameFolder sets a folder's name.
func (s SQLStore) RenameFolder(ctx context.Context, userID, id, name string, now time.Time) (Folder, error) {
	var out Folder
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := folder(ctx, tx, userID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE folders SET name = ?, updated_at = ? WHERE id = ?`,
			name, storage.Millis(now), id)
		if err != nil {
			return fmt.Errorf("rename folder: %w", err)
		}
		if out, err = folder(ctx, tx, userID, id); err != nil {
			return err
		}
		return s.touch(ctx, tx, userID, now)
	})
	return out, err
}

// DeleteFolder deletes a folder; the foreign key takes its items out of it.
func (s SQLStore) DeleteFolder(ctx context.Context, userID, id string, now time.Time) error {
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := folder(ctx, tx, userID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM folders WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete folder: %w", err)
		}
		return s.touch(ctx, tx, userID, now)
	})
}
