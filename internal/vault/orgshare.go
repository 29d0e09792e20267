package vault

import (
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// CipherShareRequest moves a personal item into an organization (PUT /api/ciphers/{id}/share, the
// CLI's `bw move`): the item re-encrypted under the organization key, and its collections.
type CipherShareRequest struct {
	Cipher        *CipherRequest `json:"cipher"`
	CollectionIDs []string       `json:"collectionIds"`
}

// collectionIDsRequest is the body of PUT /api/ciphers/{id}/collections[_v2].
type collectionIDsRequest struct {
	CollectionIDs []string `json:"collectionIds"`
}

// parseCollectionIDs turns the request's collection ids into canonical ones, refusing any other.
func parseCollectionIDs(raw []string) ([]string, error) {
	p := problems{}
	out := make([]string, 0, len(raw))
	for i, s := range raw {
		id, ok := canonicalID(s)
		if !ok {
			p.add(fmt.Sprintf("collectionIds[%d]", i), "The value is not a valid id.")
		}
		out = append(out, id)
	}
	if len(p) > 0 {
		return nil, invalid(p)
	}
	return uniqueIDs(out), nil
}

// shareCipher moves one of the caller's personal items into an organization, once the
// organization concern agreed to the collections.
func (h *Handlers) shareCipher(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	var req CipherShareRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Cipher == nil {
		return httpx.Invalid("Cipher", "The item is required.")
	}
	cols, err := parseCollectionIDs(req.CollectionIDs)
	if err != nil {
		return err
	}
	f, err := validateCipher(req.Cipher, userID, "cipher.")
	if err != nil {
		return err
	}
	if f.OrganizationID == "" {
		return httpx.Invalid("Cipher.OrganizationId", "An item is shared with an organization.")
	}
	if len(cols) == 0 {
		return httpx.Invalid("CollectionIds", "You must select at least one collection.")
	}
	if err := h.checkOrganization(r.Context(), userID, f.OrganizationID, cols); err != nil {
		return err
	}
	c := Cipher{ID: id, OrganizationID: f.OrganizationID, Type: f.Type, Data: f.Data, Key: f.Key,
		Reprompt: f.Reprompt, UpdatedAt: h.Clock.Now(), FolderID: f.FolderID, Favorite: f.Favorite,
		CollectionIDs: cols}
	out, err := h.Store.ShareCipher(r.Context(), userID, c, f.LastKnown)
	if err != nil {
		return storeError(err, "Item")
	}
	return writeCipher(w, &out)
}

// updateCipherCollections replaces the collections of an organization item the caller may edit
// (PUT /api/ciphers/{id}/collections). The collections_v2 spelling answers
// {cipher, unavailable}: unavailable when the caller no longer reaches the item afterwards.
func (h *Handlers) updateCipherCollections(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	var req collectionIDsRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	cols, err := parseCollectionIDs(req.CollectionIDs)
	if err != nil {
		return err
	}
	cur, err := h.Store.Cipher(r.Context(), userID, id)
	if err != nil || cur.OrganizationID == "" {
		return storeError(orNotFound(err), "Item")
	}
	if err := h.checkOrganization(r.Context(), userID, cur.OrganizationID, cols); err != nil {
		return err
	}
	out, err := h.Store.SetCipherCollections(r.Context(), userID, id, cols, h.Clock.Now())
	v2 := len(r.URL.Path) > 3 && r.URL.Path[len(r.URL.Path)-3:] == "_v2"
	switch {
	case v2 && notFoundErr(err):
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"unavailable": true, "cipher": nil,
			"object": "optionalCipherDetails"})
		return nil
	case err != nil:
		return storeError(err, "Item")
	case !v2:
		return writeCipher(w, &out)
	}
	body, err := cipherJSON(&out)
	if err != nil {
		return err
	}
	writeRaw(w, append(append([]byte(`{"unavailable":false,"cipher":`), body...),
		[]byte(`,"object":"optionalCipherDetails"}`)...))
	return nil
}

// orNotFound turns a nil error (a row the caller may not use) into storage.ErrNotFound.
func orNotFound(err error) error {
	if err == nil {
		return storage.ErrNotFound
	}
	return err
}
