package vault

import (
	"errors"
	"time"
)

// Folder is one of a user's folders. Its name is an EncString under the user key.
type Folder struct {
	ID        string
	UserID    string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Cipher is a vault item. Everything the client encrypts lives in Data, a JSON object with the
// item's name, notes, custom fields, password history and the one type-specific object its Type
// calls for (login, card, ...). The server never decrypts it: it only checked, when the client sent
// it, that each encrypted value is a well-formed EncString (see clean.go).
type Cipher struct {
	ID             string
	UserID         string // owner of a personal item; "" for an organization's item
	OrganizationID string // "" for a personal item
	Type           int
	Data           string // the cleaned JSON document
	Key            string // per-item key, an EncString under the user or org key; "" if none
	Reprompt       int    // 0 none, 1 ask for the master password again
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      *time.Time // set while the item is in the trash

	// FolderID and Favorite are the caller's own view of the item: on a shared item each member
	// files it in their own folder.
	FolderID string
	Favorite bool
	// CollectionIDs are the organization collections the item is in (for an organization's item
	// read for a user: those through which the user reaches it).
	CollectionIDs []string
	// ReadOnly and HidePasswords are the caller's limits on an organization's item, from the
	// collections through which they reach it; always false for a personal item.
	ReadOnly      bool
	HidePasswords bool
}

// The cipher types of the official clients.
const (
	TypeLogin          = 1
	TypeSecureNote     = 2
	TypeCard           = 3
	TypeIdentity       = 4
	TypeSSHKey         = 5
	TypeBankAccount    = 6
	TypeDriversLicense = 7
	TypePassport       = 8
)

// Limits on requests that touch many items at once.
const (
	// MaxBulkIDs bounds the ids of one bulk delete or restore.
	MaxBulkIDs = 500
	// MaxImportCiphers and MaxImportFolders bound one import.
	MaxImportCiphers = 10000
	MaxImportFolders = 2000
)

var (
	// ErrStale means an update was based on an older copy of the item than the stored one.
	ErrStale = errors.New("stale cipher")
	// ErrFolderNotFound means the folder an item was filed in is not one of the caller's folders.
	ErrFolderNotFound = errors.New("folder not found")
)

// staleTolerance is how far a client's lastKnownRevisionDate may be from the stored revision date
// and still count as the same copy. The official server allows one second, because some clients
// keep dates with less precision than the server sends.
const staleTolerance = time.Second
