package orgs

import (
	"context"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// This file holds what the vault concern needs of organizations for their items: who may put an
// item in which collections, the collections of /api/sync, the organization export and import, and
// the revision bump of every member when an organization's item changes.

// msgNoCollectionAccess refuses an item in a collection the caller cannot write to.
const msgNoCollectionAccess = "You do not have permissions to edit this."

// CheckNewCipher returns nil when userID may create an item of orgID in collectionIDs: a confirmed
// member who can edit any collection (owners, admins, custom editAnyCollection) may use any of the
// organization's collections (colls), or none; anyone else needs at least one collection, each reached
// without read-only. Refusals are 400, or 404 for a caller outside the organization.
func (s *Service) CheckNewCipher(ctx context.Context, userID, orgID string, colls []string) error {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return err
	}
	known, err := collectionIDs(ctx, s.store, orgID)
	if err != nil {
		return err
	}
	if _, err := checkIDs("CollectionIds", colls, known); err != nil {
		return err
	}
	if a.can(rightEditAnyColl) {
		return nil
	}
	if len(colls) == 0 {
		return httpx.BadRequest("You must select at least one collection.")
	}
	v, err := s.viewOf(ctx, s.store, a)
	if err != nil {
		return err
	}
	for _, id := range colls {
		if g, ok := v.mine[id]; !ok || g.ReadOnly {
			return httpx.BadRequest(msgNoCollectionAccess)
		}
	}
	return nil
}

// ExportCollections checks that userID may export orgID's vault (owners, admins, custom
// accessImportExport) and returns every collection of it, for GET /api/organizations/{id}/export.
func (s *Service) ExportCollections(ctx context.Context, userID,
	orgID string) ([]CollectionResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return nil, err
	}
	if err := a.require(rightImportExport); err != nil {
		return nil, err
	}
	cs, err := s.store.Collections(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]CollectionResponse, len(cs))
	for i, c := range cs {
		out[i] = newCollectionResponse(c)
	}
	return out, nil
}

// ImportCollection is one collection of an organization import: an existing one (ID of the
// organization's) or a new one to create with Name (an EncString under the organization key).
type ImportCollection struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ExternalID string `json:"externalId"`
}

// ImportPlan is an organization import's collections, resolved.
type ImportPlan struct {
	// CollectionIDs are the ids of the request's collections, by index.
	CollectionIDs []string
	// Write creates the new collections, gives the importing member manage on them and writes the
	// audit events. The vault runs it in the transaction that stores the imported items.
	Write func(ctx context.Context, q storage.Querier) error
}

// PlanImport checks that userID may import into orgID (the export right) and resolves the
// collections of the import: an id of the organization names an existing collection; anything else
// is a new one.
func (s *Service) PlanImport(ctx context.Context, userID, orgID string, cols []ImportCollection,
	meta Meta) (ImportPlan, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return ImportPlan{}, err
	}
	if err := a.require(rightImportExport); err != nil {
		return ImportPlan{}, err
	}
	known, err := collectionIDs(ctx, s.store, orgID)
	if err != nil {
		return ImportPlan{}, err
	}
	now := s.clock.Now()
	plan := ImportPlan{CollectionIDs: make([]string, len(cols))}
	var fresh []Collection
	for i, c := range cols {
		if known[c.ID] {
			plan.CollectionIDs[i] = c.ID
			continue
		}
		r := CollectionRequest{Name: c.Name, ExternalID: c.ExternalID}
		if err := r.validate(); err != nil {
			return ImportPlan{}, httpx.Under(fmt.Sprintf("Collections[%d].", i), err)
		}
		n := Collection{ID: s.newID(), OrganizationID: orgID, Name: c.Name, ExternalID: c.ExternalID,
			CreatedAt: now, RevisionDate: now}
		fresh = append(fresh, n)
		plan.CollectionIDs[i] = n.ID
	}
	plan.Write = func(ctx context.Context, q storage.Querier) error {
		return s.writeImport(ctx, queries{q: q}, a, fresh, meta, now)
	}
	return plan, nil
}

func (s *Service) writeImport(ctx context.Context, q queries, a actor, fresh []Collection, meta Meta,
	now time.Time) error {
	events := make([]Event, 0, len(fresh))
	for _, c := range fresh {
		if err := q.CreateCollection(ctx, c); err != nil {
			return err
		}
		if err := q.SetCollectionUsers(ctx, c.ID, []Access{{ID: a.m.ID, Manage: true}}); err != nil {
			return err
		}
		e := s.event(EventCollectionCreated, c.OrganizationID, a.userID, meta, now)
		e.CollectionID = c.ID
		events = append(events, e)
	}
	if len(events) > 0 {
		return q.AddEvents(ctx, events)
	}
	return nil
}

// BumpOrganizationMembers moves the account revision date of every member of the organizations
// to now, inside the caller's transaction q: the vault calls it when an organization's item
// changes, so that every member's client syncs again.
func BumpOrganizationMembers(ctx context.Context, q storage.Querier,
	orgIDs []string, now time.Time) error {
	for _, id := range dedupe(orgIDs) {
		if id == "" {
			continue
		}
		if err := (queries{q: q}).BumpMemberRevisions(ctx, id, nil, now); err != nil {
			return err
		}
	}
	return nil
}
