package vault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// CipherRequest is the item a client sends to create, update or import it.
// The type-specific objects are decoded loosely and checked field by field in clean.go.
type CipherRequest struct {
	EncryptedFor          *string `json:"encryptedFor"`
	Type                  int     `json:"type"`
	FolderID              *string `json:"folderId"`
	OrganizationID        *string `json:"organizationId"`
	Name                  *string `json:"name"`
	Notes                 *string `json:"notes"`
	Favorite              bool    `json:"favorite"`
	Reprompt              int     `json:"reprompt"`
	Key                   *string `json:"key"`
	LastKnownRevisionDate *string `json:"lastKnownRevisionDate"`

	Login           any `json:"login"`
	SecureNote      any `json:"secureNote"`
	Card            any `json:"card"`
	Identity        any `json:"identity"`
	SSHKey          any `json:"sshKey"`
	BankAccount     any `json:"bankAccount"`
	DriversLicense  any `json:"driversLicense"`
	Passport        any `json:"passport"`
	Fields          any `json:"fields"`
	PasswordHistory any `json:"passwordHistory"`
}

// typeObject returns the request's object for cipher type t.
func (r *CipherRequest) typeObject(t int) any {
	switch t {
	case TypeLogin:
		return r.Login
	case TypeSecureNote:
		if r.SecureNote == nil {
			return map[string]any{"type": float64(0)} // the clients expect a secure note object
		}
		return r.SecureNote
	case TypeCard:
		return r.Card
	case TypeIdentity:
		return r.Identity
	case TypeSSHKey:
		return r.SSHKey
	case TypeBankAccount:
		return r.BankAccount
	case TypeDriversLicense:
		return r.DriversLicense
	case TypePassport:
		return r.Passport
	}
	return nil
}

// cipherFields is what a valid CipherRequest becomes, before ownership and times are set.
type cipherFields struct {
	Type           int
	Data           string
	Key            string
	Reprompt       int
	FolderID       string
	Favorite       bool
	OrganizationID string
	LastKnown      *time.Time
}

// validate checks the request for the caller userID and returns the fields to store. Problems go
// to p, under field paths that start with prefix; the fields are only meaningful when p stays
// empty. The document keeps only the object of the item's own type, as the official server does:
// a login sent with card data stores no card data.
func (r *CipherRequest) validate(userID, prefix string, p problems) (cipherFields, error) {
	out := cipherFields{Type: r.Type, Reprompt: r.Reprompt, Favorite: r.Favorite}
	tf, known := typeFields[r.Type]
	if !known {
		p.add(prefix+"type", "The item type is not supported.")
	}
	if r.Reprompt != 0 && r.Reprompt != 1 {
		p.add(prefix+"reprompt", "The value must be 0 or 1.")
	}
	if ef := r.EncryptedFor; ef != nil && *ef != "" && !strings.EqualFold(*ef, userID) {
		p.add(prefix+"encryptedFor", "The item was encrypted for another user. Sync and try again.")
	}
	out.FolderID = optionalID(r.FolderID, prefix+"folderId", p)
	out.OrganizationID = optionalID(r.OrganizationID, prefix+"organizationId", p)
	if r.Key != nil {
		if k, _ := cleanEnc(*r.Key, 0, prefix+"key", p).(string); k != "" {
			out.Key = k
		}
	}
	out.LastKnown = optionalDate(r.LastKnownRevisionDate, prefix+"lastKnownRevisionDate", p)
	doc := r.document(tf, known, prefix, p)
	if len(p) > 0 {
		return cipherFields{}, nil
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return cipherFields{}, fmt.Errorf("encode cipher document: %w", err)
	}
	out.Data = string(data)
	return out, nil
}

// document builds the stored JSON document: name, notes, fields, password history and the
// type-specific object, each cleaned.
func (r *CipherRequest) document(tf field, known bool, prefix string, p problems) map[string]any {
	doc := map[string]any{"notes": nil, "fields": nil, "passwordHistory": nil}
	if r.Name == nil || *r.Name == "" {
		p.add(prefix+"name", "The name is required.")
	} else {
		doc["name"] = cleanEnc(*r.Name, maxEncShort, prefix+"name", p)
	}
	if r.Notes != nil {
		doc["notes"] = cleanEnc(*r.Notes, maxEncNotes, prefix+"notes", p)
	}
	doc["fields"] = cleanValue(field{kind: kindList, sub: fieldShape}, r.Fields, prefix+"fields", p)
	doc["passwordHistory"] = cleanValue(field{kind: kindList, sub: historyShape}, r.PasswordHistory,
		prefix+"passwordHistory", p)
	if known {
		doc[tf.name] = cleanValue(tf, r.typeObject(r.Type), prefix+tf.name, p)
	}
	return doc
}

// optionalID checks an optional GUID and returns it lower-cased, or "".
func optionalID(s *string, path string, p problems) string {
	if s == nil || *s == "" {
		return ""
	}
	id, ok := canonicalID(*s)
	if !ok {
		p.add(path, "The value is not a valid id.")
	}
	return id
}

func optionalDate(s *string, path string, p problems) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, *s); err == nil {
			return &t
		}
	}
	p.add(path, "The value is not a date.")
	return nil
}

// canonicalID returns s as a lower-case canonical GUID, if it is one.
func canonicalID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// canonicalIDs returns the ids that are GUIDs, canonical; the others cannot name anything.
func canonicalIDs(raw []string) []string {
	ids := make([]string, 0, len(raw))
	for _, s := range raw {
		if id, ok := canonicalID(s); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

func invalid(p problems) error {
	return &httpx.Error{Status: http.StatusBadRequest, Message: "The model state is invalid.",
		ValidationErrors: p}
}

// FolderRequest creates or renames a folder.
type FolderRequest struct {
	Name *string `json:"name"`
}

func (r *FolderRequest) validate(prefix string, p problems) string {
	if r.Name == nil || *r.Name == "" {
		p.add(prefix+"name", "The name is required.")
	} else {
		cleanEnc(*r.Name, maxEncShort, prefix+"name", p)
	}
	if r.Name == nil {
		return ""
	}
	return *r.Name
}

// CipherCreateRequest is a new item with the collections it goes in (POST /api/ciphers/create).
type CipherCreateRequest struct {
	Cipher        *CipherRequest `json:"cipher"`
	CollectionIDs []string       `json:"collectionIds"`
}

// IDsRequest names items for a bulk operation.
type IDsRequest struct {
	IDs            []string `json:"ids"`
	OrganizationID *string  `json:"organizationId"`
}

// ImportRequest is a personal import: items, new folders, and which item goes in which folder
// (by index into Ciphers and Folders).
type ImportRequest struct {
	Ciphers             []CipherRequest `json:"ciphers"`
	Folders             []FolderRequest `json:"folders"`
	FolderRelationships []struct {
		Key   int `json:"key"`
		Value int `json:"value"`
	} `json:"folderRelationships"`
}
