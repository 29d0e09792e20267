package vault

import (
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// importCiphers stores a personal import (POST /api/ciphers/import): every item and folder is
// checked first, and then all are written in one transaction, so one bad item stores nothing.
func (h *Handlers) importCiphers(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	var req ImportRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Ciphers) > MaxImportCiphers || len(req.Folders) > MaxImportFolders {
		return httpx.BadRequest(fmt.Sprintf("An import may hold at most %d items and %d folders.",
			MaxImportCiphers, MaxImportFolders))
	}
	folders, ciphers, err := h.buildImport(userID, &req)
	if err != nil {
		return err
	}
	if err := h.Store.Import(r.Context(), userID, folders, ciphers, h.Clock.Now()); err != nil {
		return storeError(err, "Item")
	}
	h.Logger.InfoContext(r.Context(), "vault import", "user_id", userID, "ciphers", len(ciphers),
		"folders", len(folders))
	writeEmpty(w)
	return nil
}

// buildImport validates an import and turns it into new folders and items. The folder
// relationships put item Key in folder Value (indexes into the request's lists). A personal import
// ignores organization ids, as the official server does.
func (h *Handlers) buildImport(userID string, req *ImportRequest) ([]Folder, []Cipher, error) {
	p := problems{}
	now := h.Clock.Now()
	folders := make([]Folder, len(req.Folders))
	for i := range req.Folders {
		name := req.Folders[i].validate(fmt.Sprintf("folders[%d].", i), p)
		id, err := h.newID()
		if err != nil {
			return nil, nil, err
		}
		folders[i] = Folder{ID: id, UserID: userID, Name: name, CreatedAt: now, UpdatedAt: now}
	}
	ciphers := make([]Cipher, len(req.Ciphers))
	for i := range req.Ciphers {
		f, err := req.Ciphers[i].validate(userID, fmt.Sprintf("ciphers[%d].", i), p)
		if err != nil {
			return nil, nil, err
		}
		id, err := h.newID()
		if err != nil {
			return nil, nil, err
		}
		ciphers[i] = Cipher{ID: id, UserID: userID, Type: f.Type, Data: f.Data, Key: f.Key,
			Reprompt: f.Reprompt, CreatedAt: now, UpdatedAt: now, FolderID: f.FolderID, Favorite: f.Favorite}
	}
	for i, rel := range req.FolderRelationships {
		if rel.Key < 0 || rel.Key >= len(ciphers) || rel.Value < 0 || rel.Value >= len(folders) {
			p.add(fmt.Sprintf("folderRelationships[%d]", i), "The item or folder index is out of range.")
			continue
		}
		ciphers[rel.Key].FolderID = folders[rel.Value].ID
	}
	if len(p) > 0 {
		return nil, nil, invalid(p)
	}
	return folders, ciphers, nil
}
