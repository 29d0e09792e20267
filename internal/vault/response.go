package vault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// dateLayout is how castellan writes dates to the clients: UTC with milliseconds, the precision it
// stores.
const dateLayout = "2006-01-02T15:04:05.000Z"

func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

func formatOptionalDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatDate(*t)
	return &s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// folderResponse is a folder as the clients read it.
type folderResponse struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	RevisionDate string `json:"revisionDate"`
	Object       string `json:"object"`
}

func newFolderResponse(f Folder) folderResponse {
	return folderResponse{ID: f.ID, Name: f.Name, RevisionDate: formatDate(f.UpdatedAt), Object: "folder"}
}

type permissions struct {
	Delete  bool `json:"delete"`
	Restore bool `json:"restore"`
}

// cipherHead holds the fields of a CipherDetails response that the server itself decides; the
// encrypted document (name, notes, login, ...) is spliced in after them by appendCipher.
type cipherHead struct {
	ID                  string      `json:"id"`
	OrganizationID      *string     `json:"organizationId"`
	FolderID            *string     `json:"folderId"`
	Type                int         `json:"type"`
	Favorite            bool        `json:"favorite"`
	Reprompt            int         `json:"reprompt"`
	Key                 *string     `json:"key"`
	Edit                bool        `json:"edit"`
	ViewPassword        bool        `json:"viewPassword"`
	Permissions         permissions `json:"permissions"`
	OrganizationUseTotp bool        `json:"organizationUseTotp"`
	CollectionIDs       []string    `json:"collectionIds"`
	Attachments         []struct{}  `json:"attachments"` // TODO(attachments): null until they exist
	RevisionDate        string      `json:"revisionDate"`
	CreationDate        string      `json:"creationDate"`
	DeletedDate         *string     `json:"deletedDate"`
	ArchivedDate        *string     `json:"archivedDate"`
	Object              string      `json:"object"`
}

// appendCipher writes c as a CipherDetails object to buf. The caller owns every personal item
// outright, so Edit, ViewPassword and both permissions are true; on an organization's item they
// follow the caller's collection access (deleting and restoring need edit, as organizations do not
// limit item deletion further).
func appendCipher(buf *bytes.Buffer, enc *json.Encoder, c *Cipher) error {
	ids := c.CollectionIDs
	if ids == nil {
		ids = []string{}
	}
	head := cipherHead{
		ID: c.ID, OrganizationID: optional(c.OrganizationID), FolderID: optional(c.FolderID),
		Type: c.Type, Favorite: c.Favorite, Reprompt: c.Reprompt, Key: optional(c.Key),
		Edit: !c.ReadOnly, ViewPassword: !c.HidePasswords,
		Permissions:         permissions{Delete: !c.ReadOnly, Restore: !c.ReadOnly},
		OrganizationUseTotp: c.OrganizationID != "",
		CollectionIDs:       ids, RevisionDate: formatDate(c.UpdatedAt), CreationDate: formatDate(c.CreatedAt),
		DeletedDate: formatOptionalDate(c.DeletedAt), Object: "cipherDetails",
	}
	if len(c.Data) < 2 || c.Data[0] != '{' {
		return fmt.Errorf("cipher %s: stored document is not an object", c.ID)
	}
	if err := enc.Encode(head); err != nil {
		return fmt.Errorf("encode cipher %s: %w", c.ID, err)
	}
	// Encode wrote `{...}\n`: drop the closing brace and newline, then splice in the document's
	// members. The document is never empty (it always holds "name").
	buf.Truncate(buf.Len() - 2)
	buf.WriteByte(',')
	buf.WriteString(c.Data[1:])
	return nil
}

// cipherJSON renders one item.
func cipherJSON(c *Cipher) ([]byte, error) {
	var buf bytes.Buffer
	if err := appendCipher(&buf, newEncoder(&buf), c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ciphersJSON renders items as a JSON array.
func ciphersJSON(buf *bytes.Buffer, ciphers []Cipher) error {
	enc := newEncoder(buf)
	buf.WriteByte('[')
	for i := range ciphers {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := appendCipher(buf, enc, &ciphers[i]); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func newEncoder(buf *bytes.Buffer) *json.Encoder {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc
}

// listJSON wraps rendered items in the clients' list envelope.
func listJSON(items []byte) []byte {
	out := make([]byte, 0, len(items)+48)
	out = append(out, `{"data":`...)
	out = append(out, items...)
	return append(out, `,"continuationToken":null,"object":"list"}`...)
}
