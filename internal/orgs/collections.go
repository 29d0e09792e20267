package orgs

import (
	"context"
	"fmt"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
)

// CollectionRequest is the body of POST and PUT /api/organizations/{orgId}/collections[/{id}].
// Groups and Users left out (null) keep the collection's current grants on update.
type CollectionRequest struct {
	Name       string           `json:"name"`
	ExternalID string           `json:"externalId"`
	Groups     *[]AccessRequest `json:"groups"`
	Users      *[]AccessRequest `json:"users"`
}

// maxCollectionNameLen bounds the encrypted name (the official EncryptedStringLength).
const maxCollectionNameLen = 1000

func (r CollectionRequest) validate() error {
	if httpx.TextLen(r.Name) > maxCollectionNameLen {
		return httpx.TooLongEncrypted("Name", maxCollectionNameLen)
	}
	if err := checkEnc("Name", r.Name, bwcrypto.EncAESCBC256HMAC); err != nil {
		return err
	}
	if httpx.TextLen(r.ExternalID) > maxExternalIDLen {
		return httpx.Invalid("ExternalId", fmt.Sprintf(
			"The field ExternalId must be a string with a maximum length of %d.", maxExternalIDLen))
	}
	return nil
}

// collectionView is what an actor may see of the organization's collections: every one (owners,
// admins, custom members who edit or delete any collection), or those they reach.
type collectionView struct {
	all  bool
	mine map[string]Access // the actor's merged grants
}

func (s *Service) viewOf(ctx context.Context, q Queries, a actor) (collectionView, error) {
	v := collectionView{all: a.can(rightSeeAllColls), mine: map[string]Access{}}
	ucs, err := q.UserCollections(ctx, a.userID)
	if err != nil {
		return v, err
	}
	for _, uc := range ucs {
		if uc.OrganizationID == a.m.OrganizationID {
			v.mine[uc.ID] = Access{ID: uc.ID, ReadOnly: uc.ReadOnly,
				HidePasswords: uc.HidePasswords, Manage: uc.Manage}
		}
	}
	return v, nil
}

func (v collectionView) sees(id string) bool {
	_, ok := v.mine[id]
	return v.all || ok
}

// Collections lists the collections the caller may see in the organization; with details, each
// carries the caller's grant and, for those the caller manages, its group and member grants.
func (s *Service) Collections(ctx context.Context, userID, orgID string,
	details bool) ([]CollectionResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return nil, err
	}
	v, err := s.viewOf(ctx, s.store, a)
	if err != nil {
		return nil, err
	}
	cs, err := s.store.Collections(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var users, groups map[string][]Access
	if details {
		if users, err = s.store.CollectionUsers(ctx, orgID, ""); err != nil {
			return nil, err
		}
		if groups, err = s.store.CollectionGroups(ctx, orgID, ""); err != nil {
			return nil, err
		}
	}
	out := []CollectionResponse{}
	for _, c := range cs {
		if !v.sees(c.ID) {
			continue
		}
		if details {
			out = append(out, s.accessDetails(a, v, c, users[c.ID], groups[c.ID]))
		} else {
			out = append(out, newCollectionResponse(c))
		}
	}
	return out, nil
}

// accessDetails renders the collectionAccessDetails shape; the access lists are shown to those who
// may edit the collection.
func (s *Service) accessDetails(a actor, v collectionView, c Collection, users,
	groups []Access) CollectionResponse {
	mine, assigned := v.mine[c.ID]
	r := newCollectionResponse(c).withGrant(mine, "collectionAccessDetails")
	manages := false
	for _, u := range users {
		manages = manages || u.Manage
	}
	for _, g := range groups {
		manages = manages || g.Manage
	}
	unmanaged := !manages
	r.Assigned, r.Unmanaged = &assigned, &unmanaged
	if a.can(rightEditAnyColl) || mine.Manage {
		r.Users, r.Groups = accessResponses(users), accessResponses(groups)
	}
	if r.Users == nil {
		r.Users = []AccessResponse{}
	}
	if r.Groups == nil {
		r.Groups = []AccessResponse{}
	}
	return r
}

// Collection returns one collection the caller may see; details adds the access lists.
func (s *Service) Collection(ctx context.Context, userID, orgID, id string,
	details bool) (CollectionResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return CollectionResponse{}, err
	}
	v, err := s.viewOf(ctx, s.store, a)
	if err != nil {
		return CollectionResponse{}, err
	}
	c, err := s.store.Collection(ctx, orgID, id)
	if err != nil || !v.sees(id) {
		return CollectionResponse{}, storeNotFound(orNotFound(err))
	}
	if !details {
		return newCollectionResponse(c), nil
	}
	users, err := s.store.CollectionUsers(ctx, orgID, id)
	if err != nil {
		return CollectionResponse{}, err
	}
	groups, err := s.store.CollectionGroups(ctx, orgID, id)
	if err != nil {
		return CollectionResponse{}, err
	}
	return s.accessDetails(a, v, c, users[id], groups[id]), nil
}

// CollectionUsers lists the member grants of a collection the caller may edit.
func (s *Service) CollectionUsers(ctx context.Context, userID, orgID,
	id string) ([]AccessResponse, error) {
	r, err := s.Collection(ctx, userID, orgID, id, true)
	if err != nil {
		return nil, err
	}
	return r.Users, nil
}

// orNotFound turns a nil error into a not-found one, for a row the caller may not see.
func orNotFound(err error) error {
	if err == nil {
		return notFound()
	}
	return err
}

// SaveCollection creates a collection (id "") or updates one, with its grants, in one transaction.
// Creation needs the right to create collections; a creator who cannot edit every collection is
// given manage on the new one. Update needs the right to edit any collection or manage on it.
func (s *Service) SaveCollection(ctx context.Context, userID, orgID, id string, r CollectionRequest,
	meta Meta) (CollectionResponse, error) {
	if err := r.validate(); err != nil {
		return CollectionResponse{}, err
	}
	var out CollectionResponse
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := q.LockOrganization(ctx, orgID); err != nil {
			return storeNotFound(err)
		}
		a, err := actorIn(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		c, typ, err := s.collectionToSave(ctx, q, a, orgID, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		c.Name, c.ExternalID, c.RevisionDate = r.Name, r.ExternalID, now
		if out, err = s.saveCollection(ctx, q, a, c, id == "", r); err != nil {
			return err
		}
		e := s.event(typ, orgID, a.userID, meta, now)
		e.CollectionID = c.ID
		if err := q.AddEvents(ctx, []Event{e}); err != nil {
			return err
		}
		return q.BumpMemberRevisions(ctx, orgID, nil, now)
	})
	return out, err
}

// collectionToSave checks the caller's right and returns the collection to write: a new one, or
// the stored one.
func (s *Service) collectionToSave(ctx context.Context, q Queries, a actor, orgID,
	id string) (Collection, EventType, error) {
	if id == "" {
		if err := a.require(rightCreateColl); err != nil {
			return Collection{}, 0, err
		}
		now := s.clock.Now()
		return Collection{ID: s.newID(), OrganizationID: orgID, Type: CollectionShared, CreatedAt: now},
			EventCollectionCreated, nil
	}
	c, err := q.Collection(ctx, orgID, id)
	if err != nil {
		return Collection{}, 0, storeNotFound(err)
	}
	v, err := s.viewOf(ctx, q, a)
	if err != nil {
		return Collection{}, 0, err
	}
	if !a.can(rightEditAnyColl) && !v.mine[id].Manage {
		return Collection{}, 0, notFound()
	}
	return c, EventCollectionUpdated, nil
}

// saveCollection writes the collection and its grants and renders it.
func (s *Service) saveCollection(ctx context.Context, q Queries, a actor, c Collection, create bool,
	r CollectionRequest) (CollectionResponse, error) {
	users, groups, err := s.collectionGrants(ctx, q, a, c, create, r)
	if err != nil {
		return CollectionResponse{}, err
	}
	if create {
		err = q.CreateCollection(ctx, c)
	} else {
		err = q.UpdateCollection(ctx, c)
	}
	if err != nil {
		return CollectionResponse{}, err
	}
	if users != nil {
		if err := q.SetCollectionUsers(ctx, c.ID, users); err != nil {
			return CollectionResponse{}, err
		}
	}
	if groups != nil {
		if err := q.SetCollectionGroups(ctx, c.ID, groups); err != nil {
			return CollectionResponse{}, err
		}
	}
	v, err := s.viewOf(ctx, q, a)
	if err != nil {
		return CollectionResponse{}, err
	}
	us, err := q.CollectionUsers(ctx, c.OrganizationID, c.ID)
	if err != nil {
		return CollectionResponse{}, err
	}
	gs, err := q.CollectionGroups(ctx, c.OrganizationID, c.ID)
	if err != nil {
		return CollectionResponse{}, err
	}
	v.all = true // the caller just wrote it
	return s.accessDetails(a, v, c, us[c.ID], gs[c.ID]), nil
}

// collectionGrants validates the requested grants; nil means "leave as it is".
func (s *Service) collectionGrants(ctx context.Context, q Queries, a actor, c Collection, create bool,
	r CollectionRequest) (users, groups []Access, err error) {
	if r.Users != nil {
		ids := make([]string, len(*r.Users))
		for i, u := range *r.Users {
			ids[i] = u.ID
		}
		known, err := memberIDs(ctx, q, c.OrganizationID, ids)
		if err != nil {
			return nil, nil, err
		}
		if users, err = checkAccess("Users", *r.Users, known); err != nil {
			return nil, nil, err
		}
	}
	if r.Groups != nil {
		known, err := groupIDs(ctx, q, c.OrganizationID)
		if err != nil {
			return nil, nil, err
		}
		if groups, err = checkAccess("Groups", *r.Groups, known); err != nil {
			return nil, nil, err
		}
	}
	if create && !a.can(rightEditAnyColl) {
		users = withManager(users, a.m.ID)
	}
	if users == nil && create {
		users = []Access{}
	}
	return users, groups, nil
}

// withManager makes sure memberID manages the collection.
func withManager(users []Access, memberID string) []Access {
	for i, u := range users {
		if u.ID == memberID {
			users[i] = Access{ID: memberID, Manage: true}
			return users
		}
	}
	return append(users, Access{ID: memberID, Manage: true})
}

// SetCollectionUsers replaces the member grants of a collection the caller may edit.
func (s *Service) SetCollectionUsers(ctx context.Context, userID, orgID, id string, users []AccessRequest,
	meta Meta) error {
	c, err := s.store.Collection(ctx, orgID, id)
	if err != nil {
		return storeNotFound(err)
	}
	_, err = s.SaveCollection(ctx, userID, orgID, id, CollectionRequest{Name: c.Name,
		ExternalID: c.ExternalID,
		Users:      &users}, meta)
	return err
}

// DeleteCollections deletes collections; their items stay in the organization. Only those who may
// delete any collection (owners, admins, custom members with that right) delete collections.
func (s *Service) DeleteCollections(ctx context.Context, userID, orgID string, ids []string,
	meta Meta) error {
	if len(ids) == 0 {
		return httpx.Invalid("Ids", "The Ids field is required.")
	}
	return s.store.InTx(ctx, func(q Queries) error {
		if _, err := q.LockOrganization(ctx, orgID); err != nil {
			return storeNotFound(err)
		}
		a, err := actorIn(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		if err := a.require(rightDeleteColl); err != nil {
			return err
		}
		known, err := collectionIDs(ctx, q, orgID)
		if err != nil {
			return err
		}
		if len(ids) == 1 && !known[ids[0]] {
			return notFound()
		}
		list, err := checkIDs("Ids", ids, known)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := q.DeleteCollections(ctx, orgID, list); err != nil {
			return err
		}
		events := make([]Event, len(list))
		for i, id := range list {
			events[i] = s.event(EventCollectionDeleted, orgID, a.userID, meta, now)
			events[i].CollectionID = id
		}
		if err := q.AddEvents(ctx, events); err != nil {
			return err
		}
		return q.BumpMemberRevisions(ctx, orgID, nil, now)
	})
}

// UserCollections lists the collections a user reaches in every organization, in the
// collectionDetails shape: the "collections" of /api/sync and GET /api/collections.
func (s *Service) UserCollections(ctx context.Context,
	userID string) ([]CollectionResponse, error) {
	ucs, err := s.store.UserCollections(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]CollectionResponse, len(ucs))
	for i, uc := range ucs {
		out[i] = newCollectionResponse(uc.Collection).withGrant(Access{ID: uc.ID, ReadOnly: uc.ReadOnly,
			HidePasswords: uc.HidePasswords, Manage: uc.Manage}, "collectionDetails")
	}
	return out, nil
}
