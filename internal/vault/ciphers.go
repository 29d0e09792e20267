package vault

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// validateCipher checks one item request, answering 400 with every problem found under field paths
// that start with prefix ("cipher." where the item is nested in the request).
func validateCipher(req *CipherRequest, userID, prefix string) (cipherFields, error) {
	p := problems{}
	f, err := req.validate(userID, prefix, p)
	if err != nil {
		return f, err
	}
	if len(p) > 0 {
		return f, invalid(p)
	}
	return f, nil
}

func (h *Handlers) listCiphers(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	ciphers, err := h.Store.Ciphers(r.Context(), userID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ciphersJSON(&buf, ciphers); err != nil {
		return err
	}
	writeRaw(w, listJSON(buf.Bytes()))
	return nil
}

func (h *Handlers) getCipher(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	c, err := h.Store.Cipher(r.Context(), userID, id)
	if err != nil {
		return storeError(err, "Item")
	}
	return writeCipher(w, &c)
}

func writeCipher(w http.ResponseWriter, c *Cipher) error {
	body, err := cipherJSON(c)
	if err != nil {
		return err
	}
	writeRaw(w, body)
	return nil
}

func (h *Handlers) createCipher(w http.ResponseWriter, r *http.Request) error {
	var req CipherRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	return h.create(w, r, &req, nil, "")
}

func (h *Handlers) createCipherWithCollections(w http.ResponseWriter, r *http.Request) error {
	var req CipherCreateRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Cipher == nil {
		return httpx.Invalid("Cipher", "The item is required.")
	}
	p := problems{}
	cols := make([]string, 0, len(req.CollectionIDs))
	for i, raw := range req.CollectionIDs {
		id, ok := canonicalID(raw)
		if !ok {
			p.add(fmt.Sprintf("collectionIds[%d]", i), "The value is not a valid id.")
		}
		cols = append(cols, id)
	}
	if len(p) > 0 {
		return invalid(p)
	}
	return h.create(w, r, req.Cipher, cols, "cipher.")
}

// create stores a new item for the caller: a personal one, or one of an organization when the
// Organizations seam allows it. prefix is the item's field path in the request.
func (h *Handlers) create(w http.ResponseWriter, r *http.Request, req *CipherRequest,
	cols []string, prefix string) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	f, err := validateCipher(req, userID, prefix)
	if err != nil {
		return err
	}
	if err := h.checkOrganization(r.Context(), userID, f.OrganizationID, cols); err != nil {
		return err
	}
	id, err := h.newID()
	if err != nil {
		return err
	}
	now := h.Clock.Now()
	c := Cipher{ID: id, UserID: userID, OrganizationID: f.OrganizationID, Type: f.Type, Data: f.Data,
		Key: f.Key, Reprompt: f.Reprompt, CreatedAt: now, UpdatedAt: now, FolderID: f.FolderID,
		Favorite: f.Favorite, CollectionIDs: cols}
	if c.OrganizationID != "" {
		c.UserID = "" // the organization owns it
	}
	if err := h.Store.CreateCipher(r.Context(), userID, c); err != nil {
		return storeError(err, "Item")
	}
	return writeCipher(w, &c)
}

// checkOrganization lets a new item into an organization only through the Organizations seam.
func (h *Handlers) checkOrganization(ctx context.Context, userID, orgID string, cols []string) error {
	if orgID == "" {
		if len(cols) > 0 {
			return httpx.Invalid("CollectionIds", "Only an organization's items can be in collections.")
		}
		return nil
	}
	if h.Orgs == nil {
		return httpx.BadRequest("Organization not found.")
	}
	return h.Orgs.CheckNewCipher(ctx, userID, orgID, cols)
}

func (h *Handlers) updateCipher(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	var req CipherRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	f, err := validateCipher(&req, userID, "")
	if err != nil {
		return err
	}
	cur, err := h.Store.Cipher(r.Context(), userID, id)
	if err != nil {
		return storeError(err, "Item")
	}
	if f.OrganizationID != cur.OrganizationID {
		return httpx.BadRequest("An update cannot change the item's organization. Sync and try again.")
	}
	c := Cipher{ID: id, Type: f.Type, Data: f.Data, Key: f.Key, Reprompt: f.Reprompt,
		UpdatedAt: h.Clock.Now(), FolderID: f.FolderID, Favorite: f.Favorite}
	out, err := h.Store.UpdateCipher(r.Context(), userID, c, f.LastKnown)
	if err != nil {
		return storeError(err, "Item")
	}
	return writeCipher(w, &out)
}

// partialRequest changes only the caller's own view of an item.
type partialRequest struct {
	FolderID *string `json:"folderId"`
	Favorite bool    `json:"favorite"`
}

// partialCipher files an item in a folder and sets its favorite flag (PUT /api/ciphers/{id}/partial),
// which a member may do even to an item they cannot edit.
func (h *Handlers) partialCipher(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	var req partialRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	p := problems{}
	folderID := optionalID(req.FolderID, "folderId", p)
	if len(p) > 0 {
		return invalid(p)
	}
	n, err := h.Store.FileCiphers(r.Context(), userID, []string{id}, folderID, &req.Favorite, h.Clock.Now())
	if err != nil {
		return storeError(err, "Item")
	}
	if n == 0 {
		return notFound("Item")
	}
	c, err := h.Store.Cipher(r.Context(), userID, id)
	if err != nil {
		return storeError(err, "Item")
	}
	return writeCipher(w, &c)
}
