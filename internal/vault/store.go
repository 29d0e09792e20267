package vault

import (
	"context"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// Store keeps folders and items. Every method that changes something runs in one transaction and,
// when it changed anything, moves the owner's account revision date to now in that same
// transaction, so that clients polling /api/accounts/revision-date sync again.
//
// Items another user owns are reported exactly like missing ones (storage.ErrNotFound, or left out
// of a bulk count), so that callers cannot tell the two apart.
type Store interface {
	// CreateFolder stores a new folder.
	CreateFolder(ctx context.Context, f Folder) error
	// Folder returns one of userID's folders, or storage.ErrNotFound.
	Folder(ctx context.Context, userID, id string) (Folder, error)
	// Folders lists userID's folders.
	Folders(ctx context.Context, userID string) ([]Folder, error)
	// RenameFolder sets a folder's name and returns the folder, or storage.ErrNotFound.
	RenameFolder(ctx context.Context, userID, id, name string, now time.Time) (Folder, error)
	// DeleteFolder deletes a folder; the items filed in it stay, in no folder. storage.ErrNotFound
	// if userID has no such folder.
	DeleteFolder(ctx context.Context, userID, id string, now time.Time) error

	// CreateCipher stores a new item that userID creates, with userID's folder and favorite flag
	// and the item's collections. It fails with ErrFolderNotFound when c.FolderID is not one of
	// userID's folders.
	CreateCipher(ctx context.Context, userID string, c Cipher) error
	// Cipher returns one item as userID sees it, or storage.ErrNotFound.
	Cipher(ctx context.Context, userID, id string) (Cipher, error)
	// Ciphers lists every item userID can see, trashed ones included, as userID sees them.
	Ciphers(ctx context.Context, userID string) ([]Cipher, error)
	// UpdateCipher replaces the type, document, key, reprompt and revision date of userID's item
	// c.ID, and userID's folder and favorite flag for it (owner, organization, collections and
	// creation date stay), and returns it as userID sees it. With lastKnown set, it fails with
	// ErrStale when the stored revision date is more than a second away from it.
	UpdateCipher(ctx context.Context, userID string, c Cipher, lastKnown *time.Time) (Cipher, error)
	// FileCiphers sets userID's folder (and, with favorite set, the favorite flag) of the listed
	// items of userID, and returns how many of the ids are userID's items. The items' own revision
	// dates stay: nothing encrypted changed. It fails with ErrFolderNotFound when folderID is not
	// "" or one of userID's folders.
	FileCiphers(ctx context.Context, userID string, ids []string, folderID string, favorite *bool,
		now time.Time) (int, error)
	// SoftDeleteCiphers moves the listed items of userID to the trash and returns how many of the
	// ids are userID's items (already trashed ones count, and stay as they were).
	SoftDeleteCiphers(ctx context.Context, userID string, ids []string, now time.Time) (int, error)
	// RestoreCiphers takes the listed items of userID out of the trash and returns them all.
	RestoreCiphers(ctx context.Context, userID string, ids []string, now time.Time) ([]Cipher, error)
	// DeleteCiphers deletes the listed items of userID for good and returns how many there were.
	DeleteCiphers(ctx context.Context, userID string, ids []string, now time.Time) (int, error)
	// Import stores new folders and items for userID at once: all of them, or none.
	Import(ctx context.Context, userID string, folders []Folder, ciphers []Cipher, now time.Time) error

	// ShareCipher moves userID's personal item c.ID into organization c.OrganizationID and its
	// collections c.CollectionIDs, with c's re-encrypted contents, and returns it as userID sees it.
	ShareCipher(ctx context.Context, userID string, c Cipher, lastKnown *time.Time) (Cipher, error)
	// SetCipherCollections replaces the collections of an organization item userID may edit and
	// returns it as userID then sees it (storage.ErrNotFound if userID no longer reaches it).
	SetCipherCollections(ctx context.Context, userID, id string, collectionIDs []string, now time.Time) (Cipher, error)
	// OrganizationCiphers lists an organization's items out of the trash, with all their
	// collections (the organization export).
	OrganizationCiphers(ctx context.Context, orgID string) ([]Cipher, error)
	// ImportOrganization runs write (the organization concern's part: new collections) and stores
	// the organization's new items, in one transaction, and moves every member's revision date.
	ImportOrganization(ctx context.Context, userID, orgID string, ciphers []Cipher,
		write func(ctx context.Context, q storage.Querier) error, now time.Time) error
}
