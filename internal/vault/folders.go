package vault

import (
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

func (h *Handlers) listFolders(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	folders, err := h.Store.Folders(r.Context(), userID)
	if err != nil {
		return err
	}
	out := make([]folderResponse, len(folders))
	for i, f := range folders {
		out[i] = newFolderResponse(f)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "continuationToken": nil, "object": "list"})
	return nil
}

func (h *Handlers) createFolder(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	name, err := decodeFolder(r)
	if err != nil {
		return err
	}
	id, err := h.newID()
	if err != nil {
		return err
	}
	now := h.Clock.Now()
	f := Folder{ID: id, UserID: userID, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := h.Store.CreateFolder(r.Context(), f); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newFolderResponse(f))
	return nil
}

func decodeFolder(r *http.Request) (string, error) {
	var req FolderRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return "", err
	}
	p := problems{}
	name := req.validate("", p)
	if len(p) > 0 {
		return "", invalid(p)
	}
	return name, nil
}

func (h *Handlers) getFolder(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Folder")
	if err != nil {
		return err
	}
	f, err := h.Store.Folder(r.Context(), userID, id)
	if err != nil {
		return storeError(err, "Folder")
	}
	httpx.WriteJSON(w, http.StatusOK, newFolderResponse(f))
	return nil
}

func (h *Handlers) updateFolder(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Folder")
	if err != nil {
		return err
	}
	name, err := decodeFolder(r)
	if err != nil {
		return err
	}
	f, err := h.Store.RenameFolder(r.Context(), userID, id, name, h.Clock.Now())
	if err != nil {
		return storeError(err, "Folder")
	}
	httpx.WriteJSON(w, http.StatusOK, newFolderResponse(f))
	return nil
}

func (h *Handlers) deleteFolder(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "Folder")
	if err != nil {
		return err
	}
	if err := h.Store.DeleteFolder(r.Context(), userID, id, h.Clock.Now()); err != nil {
		return storeError(err, "Folder")
	}
	writeEmpty(w)
	return nil
}
