package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Accounts describes the caller in /api/sync. The accounts concern implements it.
type Accounts interface {
	// SyncAccount returns the user's Profile and UserDecryption objects, ready to encode as JSON.
	SyncAccount(ctx context.Context, userID string) (profile, userDecryption any, err error)
}

// Organizations is what the vault needs of the organizations concern (internal/orgs): who may put a
// new item in which collections, the collections of /api/sync, the export and import of an
// organization's items, and the events clients report. Without one the vault refuses every
// organization id. Refusals are *httpx.Error values with status 400 or 404, never 401 or 403.
type Organizations interface {
	// CheckNewCipher returns nil when userID may create an item of orgID in collectionIDs.
	CheckNewCipher(ctx context.Context, userID, orgID string, collectionIDs []string) error
	// SyncCollections returns the "collections" of /api/sync: those userID reaches.
	SyncCollections(ctx context.Context, userID string) (any, error)
	// ExportCollections checks that userID may export orgID and returns its collections.
	ExportCollections(ctx context.Context, userID, orgID string) (any, error)
	// PlanImport checks that userID may import into orgID and resolves the import's collections;
	// r is the request, for the audit log.
	PlanImport(r *http.Request, userID, orgID string, cols []orgs.ImportCollection) (orgs.ImportPlan, error)
	// RecordClientEvents stores what a client reports of organization items (/events/collect).
	RecordClientEvents(r *http.Request, userID string, events []orgs.ClientEvent) error
}

// Policies gives /api/sync its "policies": those of the organizations the user is a confirmed
// member of (internal/policies).
type Policies interface {
	SyncPolicies(ctx context.Context, userID string) (any, error)
}

// Handlers serve the vault routes. Every field but Orgs and Policies must be set.
type Handlers struct {
	Store    Store
	Accounts Accounts
	Orgs     Organizations // nil: no organizations yet
	Policies Policies      // nil: no policies
	Clock    clock.Clock
	Rand     io.Reader // source of new ids
	Logger   *slog.Logger
}

// Route is one vault endpoint; every one of them needs an authenticated caller.
type Route struct {
	Pattern string // a net/http ServeMux pattern with method
	Handler httpx.Handler
}

// Routes lists the vault's endpoints. Some official routes have legacy POST spellings that older
// clients still use; they are served too.
func (h *Handlers) Routes() []Route {
	return []Route{
		{"GET /api/sync", h.sync},
		{"GET /api/folders", h.listFolders},
		{"POST /api/folders", h.createFolder},
		{"GET /api/folders/{id}", h.getFolder},
		{"PUT /api/folders/{id}", h.updateFolder},
		{"POST /api/folders/{id}", h.updateFolder},
		{"DELETE /api/folders/{id}", h.deleteFolder},
		{"POST /api/folders/{id}/delete", h.deleteFolder},
		{"GET /api/ciphers", h.listCiphers},
		{"POST /api/ciphers", h.createCipher},
		{"POST /api/ciphers/create", h.createCipherWithCollections},
		{"POST /api/ciphers/import", h.importCiphers},
		{"GET /api/ciphers/{id}", h.getCipher},
		{"GET /api/ciphers/{id}/details", h.getCipher},
		{"PUT /api/ciphers/{id}", h.updateCipher},
		{"POST /api/ciphers/{id}", h.updateCipher},
		{"PUT /api/ciphers/{id}/partial", h.partialCipher},
		{"POST /api/ciphers/{id}/partial", h.partialCipher},
		{"PUT /api/ciphers/move", h.moveCiphers},
		{"POST /api/ciphers/move", h.moveCiphers},
		{"PUT /api/ciphers/{id}/delete", h.softDeleteCipher},
		{"PUT /api/ciphers/delete", h.softDeleteCiphers},
		{"DELETE /api/ciphers/{id}", h.deleteCipher},
		{"POST /api/ciphers/{id}/delete", h.deleteCipher},
		{"DELETE /api/ciphers", h.deleteCiphers},
		{"POST /api/ciphers/delete", h.deleteCiphers},
		{"PUT /api/ciphers/{id}/restore", h.restoreCipher},
		{"PUT /api/ciphers/restore", h.restoreCiphers},
		{"POST /events/collect", h.collectEvents},
		{"PUT /api/ciphers/{id}/share", h.shareCipher},
		{"POST /api/ciphers/{id}/share", h.shareCipher},
		{"PUT /api/ciphers/{id}/collections", h.updateCipherCollections},
		{"POST /api/ciphers/{id}/collections", h.updateCipherCollections},
		{"PUT /api/ciphers/{id}/collections_v2", h.updateCipherCollections},
		{"POST /api/ciphers/{id}/collections_v2", h.updateCipherCollections},
		{"GET /api/organizations/{orgId}/export", h.exportOrganization},
		{"POST /api/ciphers/import-organization", h.importOrganization},
	}
}

func (h *Handlers) newID() (string, error) {
	u, err := uuid.NewRandomFromReader(h.Rand)
	if err != nil {
		return "", fmt.Errorf("make id: %w", err)
	}
	return u.String(), nil
}

// pathID returns the {id} of the route as a canonical GUID; anything else cannot name a resource.
func pathID(r *http.Request, what string) (string, error) {
	id, ok := canonicalID(r.PathValue("id"))
	if !ok {
		return "", notFound(what)
	}
	return id, nil
}

func notFound(what string) error { return httpx.NotFound(what + " not found.") }

// staleMessage is the official server's words for an update based on an old copy; clients show it.
const staleMessage = "The client copy of this cipher is out of date. Resync the client and try again."

// storeError turns the store's sentinels into client errors.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &httpx.Error{Status: http.StatusNotFound, Message: what + " not found.", Cause: err}
	case errors.Is(err, ErrStale):
		return &httpx.Error{Status: http.StatusBadRequest, Message: staleMessage, Cause: err}
	case errors.Is(err, ErrFolderNotFound):
		return &httpx.Error{Status: http.StatusBadRequest, Message: "The model state is invalid.",
			ValidationErrors: map[string][]string{"FolderId": {"The folder does not exist."}}, Cause: err}
	}
	return err
}

func caller(r *http.Request) (string, error) {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return "", err
	}
	return p.UserID, nil
}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeEmpty answers a change that has no body to return: the clients take any 2xx.
func writeEmpty(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }
