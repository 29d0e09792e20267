package vault

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// Trash, restore and delete, for one item named in the path or many named in the body. A single
// item that is not the caller's is a 404; in a bulk request such ids are skipped.

func (h *Handlers) softDeleteCipher(w http.ResponseWriter, r *http.Request) error {
	return h.onOne(w, r, func(userID, id string) (int, error) {
		return h.Store.SoftDeleteCiphers(r.Context(), userID, []string{id}, h.Clock.Now())
	})
}

func (h *Handlers) deleteCipher(w http.ResponseWriter, r *http.Request) error {
	return h.onOne(w, r, func(userID, id string) (int, error) {
		return h.Store.DeleteCiphers(r.Context(), userID, []string{id}, h.Clock.Now())
	})
}

// onOne runs op on the item of the path and answers 404 when op found no item of the caller's.
func (h *Handlers) onOne(w http.ResponseWriter, r *http.Request,
	op func(userID, id string) (int, error)) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	n, err := op(userID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("Item")
	}
	writeEmpty(w)
	return nil
}

func (h *Handlers) restoreCipher(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Item")
	if err != nil {
		return err
	}
	restored, err := h.Store.RestoreCiphers(r.Context(), userID, []string{id}, h.Clock.Now())
	if err != nil {
		return err
	}
	if len(restored) == 0 {
		return notFound("Item")
	}
	return writeCipher(w, &restored[0])
}

func (h *Handlers) softDeleteCiphers(w http.ResponseWriter, r *http.Request) error {
	return h.onMany(w, r, func(userID string, ids []string) error {
		_, err := h.Store.SoftDeleteCiphers(r.Context(), userID, ids, h.Clock.Now())
		return err
	})
}

func (h *Handlers) deleteCiphers(w http.ResponseWriter, r *http.Request) error {
	return h.onMany(w, r, func(userID string, ids []string) error {
		_, err := h.Store.DeleteCiphers(r.Context(), userID, ids, h.Clock.Now())
		return err
	})
}

func (h *Handlers) restoreCiphers(w http.ResponseWriter, r *http.Request) error {
	var restored []Cipher
	err := h.onMany(nil, r, func(userID string, ids []string) (err error) {
		restored, err = h.Store.RestoreCiphers(r.Context(), userID, ids, h.Clock.Now())
		return err
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ciphersJSON(&buf, restored); err != nil {
		return err
	}
	writeRaw(w, listJSON(buf.Bytes()))
	return nil
}

// onMany decodes a bulk request and runs op on its ids; with w set it answers an empty 200.
func (h *Handlers) onMany(w http.ResponseWriter, r *http.Request,
	op func(userID string, ids []string) error) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	var req IDsRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.IDs) > MaxBulkIDs {
		return httpx.BadRequest(fmt.Sprintf("At most %d items can be changed at once.", MaxBulkIDs))
	}
	if req.OrganizationID != nil && *req.OrganizationID != "" {
		// TODO(orgs): bulk changes by an organization's admins (issue 4).
		return httpx.BadRequest("Organization not found.")
	}
	ids := canonicalIDs(req.IDs)
	if err := op(userID, ids); err != nil {
		return err
	}
	if w != nil {
		writeEmpty(w)
	}
	return nil
}

// moveRequest files several items in one folder ("" or null: no folder).
type moveRequest struct {
	IDs      []string `json:"ids"`
	FolderID *string  `json:"folderId"`
}

// moveCiphers answers PUT /api/ciphers/move; ids that are not the caller's items are skipped.
func (h *Handlers) moveCiphers(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	var req moveRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.IDs) > MaxBulkIDs {
		return httpx.BadRequest(fmt.Sprintf("At most %d items can be changed at once.", MaxBulkIDs))
	}
	p := problems{}
	folderID := optionalID(req.FolderID, "folderId", p)
	if len(p) > 0 {
		return invalid(p)
	}
	ids := canonicalIDs(req.IDs)
	if _, err := h.Store.FileCiphers(r.Context(), userID, ids, folderID, nil, h.Clock.Now()); err != nil {
		return storeError(err, "Item")
	}
	writeEmpty(w)
	return nil
}
