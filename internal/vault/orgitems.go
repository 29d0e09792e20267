package vault

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
)

// exportOrganization answers GET /api/organizations/{orgId}/export: every collection and every item
// (out of the trash) of the organization, for members with the export right. The clients read
// "collections" and "ciphers" as plain arrays.
func (h *Handlers) exportOrganization(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	orgID, ok := canonicalID(r.PathValue("orgId"))
	if !ok || h.Orgs == nil {
		return notFound("Organization")
	}
	collections, err := h.Orgs.ExportCollections(r.Context(), userID, orgID)
	if err != nil {
		return err
	}
	ciphers, err := h.Store.OrganizationCiphers(r.Context(), orgID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(`{"collections":`)
	if err := newEncoder(&buf).Encode(collections); err != nil {
		return fmt.Errorf("encode export collections: %w", err)
	}
	buf.WriteString(`,"ciphers":`)
	if err := ciphersJSON(&buf, ciphers); err != nil {
		return err
	}
	buf.WriteString(`,"object":"organizationExport"}`)
	writeRaw(w, buf.Bytes())
	return nil
}

// OrgImportRequest is an organization import (POST /api/ciphers/import-organization?organizationId=):
// items, collections (existing by id, or new), and which item goes in which collection (by index
// into Ciphers and Collections).
type OrgImportRequest struct {
	Ciphers                 []CipherRequest         `json:"ciphers"`
	Collections             []orgs.ImportCollection `json:"collections"`
	CollectionRelationships []struct {
		Key   int `json:"key"`
		Value int `json:"value"`
	} `json:"collectionRelationships"`
}

// importOrganization stores an organization import: every item is checked first; the new
// collections and the items are then written in one transaction, so one bad item stores nothing.
func (h *Handlers) importOrganization(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	orgID, ok := canonicalID(r.URL.Query().Get("organizationId"))
	if !ok || h.Orgs == nil {
		return notFound("Organization")
	}
	var req OrgImportRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Ciphers) > MaxImportCiphers || len(req.Collections) > MaxImportFolders {
		return httpx.BadRequest(fmt.Sprintf("An import may hold at most %d items and %d collections.",
			MaxImportCiphers, MaxImportFolders))
	}
	plan, err := h.Orgs.PlanImport(r, userID, orgID, req.Collections)
	if err != nil {
		return err
	}
	ciphers, err := h.buildOrgImport(userID, orgID, &req, plan.CollectionIDs)
	if err != nil {
		return err
	}
	if err := h.Store.ImportOrganization(r.Context(), userID, orgID, ciphers, plan.Write,
		h.Clock.Now()); err != nil {
		return storeError(err, "Item")
	}
	h.Logger.InfoContext(r.Context(), "organization import", "user_id", userID, "org_id", orgID,
		"ciphers", len(ciphers), "collections", len(req.Collections))
	writeEmpty(w)
	return nil
}

// buildOrgImport validates the items of an organization import and puts them in their collections.
func (h *Handlers) buildOrgImport(userID, orgID string, req *OrgImportRequest,
	collIDs []string) ([]Cipher, error) {
	p := problems{}
	now := h.Clock.Now()
	ciphers := make([]Cipher, len(req.Ciphers))
	for i := range req.Ciphers {
		f, err := req.Ciphers[i].validate(userID, fmt.Sprintf("ciphers[%d].", i), p)
		if err != nil {
			return nil, err
		}
		id, err := h.newID()
		if err != nil {
			return nil, err
		}
		ciphers[i] = Cipher{ID: id, OrganizationID: orgID, Type: f.Type, Data: f.Data, Key: f.Key,
			Reprompt: f.Reprompt, CreatedAt: now, UpdatedAt: now}
	}
	for i, rel := range req.CollectionRelationships {
		if rel.Key < 0 || rel.Key >= len(ciphers) || rel.Value < 0 || rel.Value >= len(collIDs) {
			p.add(fmt.Sprintf("collectionRelationships[%d]", i),
				"The item or collection index is out of range.")
			continue
		}
		c := &ciphers[rel.Key]
		c.CollectionIDs = append(c.CollectionIDs, collIDs[rel.Value])
	}
	if len(p) > 0 {
		return nil, invalid(p)
	}
	for i := range ciphers {
		ciphers[i].CollectionIDs = uniqueIDs(ciphers[i].CollectionIDs)
	}
	return ciphers, nil
}

func uniqueIDs(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
