package orgs

import (
	"context"
	"fmt"
	"strings"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// GroupRequest is the body of POST and PUT /api/organizations/{orgId}/groups[/{id}]. Collections
// and Users left out (null) keep the group's current ones on update.
type GroupRequest struct {
	Name        string           `json:"name"`
	ExternalID  string           `json:"externalId"`
	Collections *[]AccessRequest `json:"collections"`
	Users       *[]string        `json:"users"`
}

// Official field limits of groups.
const (
	maxGroupNameLen  = 100
	maxExternalIDLen = 300
)

func (r GroupRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return httpx.Invalid("Name", "The Name field is required.")
	case httpx.TextLen(r.Name) > maxGroupNameLen:
		return httpx.Invalid("Name",
			fmt.Sprintf("The field Name must be a string with a maximum length of %d.",
				maxGroupNameLen))
	case httpx.TextLen(r.ExternalID) > maxExternalIDLen:
		return httpx.Invalid("ExternalId", fmt.Sprintf(
			"The field ExternalId must be a string with a maximum length of %d.", maxExternalIDLen))
	}
	return nil
}

// canReadGroups reports whether the actor may see the organization's groups: those who manage
// groups, users or collections, since each of their screens offers groups to pick.
func (a actor) canReadGroups() bool {
	return a.can(rightManageGroups) || a.can(rightManageUsers) || a.can(rightSeeAllColls) ||
		a.can(rightCreateColl)
}

// Groups lists the organization's groups, with their collection grants when details is set.
func (s *Service) Groups(ctx context.Context, userID, orgID string,
	details bool) ([]GroupResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return nil, err
	}
	if !a.canReadGroups() {
		return nil, notFound()
	}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var colls map[string][]Access
	if details {
		if colls, err = s.store.GroupCollections(ctx, orgID, ""); err != nil {
			return nil, err
		}
	}
	out := make([]GroupResponse, len(gs))
	for i, g := range gs {
		out[i] = newGroupResponse(g, colls[g.ID], details)
	}
	return out, nil
}

// Group returns one group with its collection grants when details is set.
func (s *Service) Group(ctx context.Context, userID, orgID, groupID string,
	details bool) (GroupResponse, error) {
	a, err := actorIn(ctx, s.store, orgID, userID)
	if err != nil {
		return GroupResponse{}, err
	}
	if !a.canReadGroups() {
		return GroupResponse{}, notFound()
	}
	g, err := s.store.Group(ctx, orgID, groupID)
	if err != nil {
		return GroupResponse{}, storeNotFound(err)
	}
	colls, err := s.store.GroupCollections(ctx, orgID, groupID)
	if err != nil {
		return GroupResponse{}, err
	}
	return newGroupResponse(g, colls[g.ID], details), nil
}

// GroupMemberIDs lists the memberships of a group.
func (s *Service) GroupMemberIDs(ctx context.Context, userID, orgID,
	groupID string) ([]string, error) {
	if _, err := s.Group(ctx, userID, orgID, groupID, false); err != nil {
		return nil, err
	}
	ids, err := s.store.GroupMembers(ctx, groupID)
	if ids == nil {
		ids = []string{}
	}
	return ids, err
}

// lockForGroups locks the organization and loads the caller, who must manage groups.
func (s *Service) lockForGroups(ctx context.Context, q Queries, orgID,
	userID string) (actor, error) {
	if _, err := q.LockOrganization(ctx, orgID); err != nil {
		return actor{}, storeNotFound(err)
	}
	a, err := actorIn(ctx, q, orgID, userID)
	if err != nil {
		return actor{}, err
	}
	return a, a.require(rightManageGroups)
}

// SaveGroup creates a group (groupID "") or updates one, with its collection grants and members,
// in one transaction.
func (s *Service) SaveGroup(ctx context.Context, userID, orgID, groupID string, r GroupRequest,
	meta Meta) (GroupResponse, error) {
	if err := r.validate(); err != nil {
		return GroupResponse{}, err
	}
	var out GroupResponse
	err := s.store.InTx(ctx, func(q Queries) error {
		a, err := s.lockForGroups(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		g := Group{ID: s.newID(), OrganizationID: orgID, CreatedAt: now}
		typ := EventGroupCreated
		if groupID != "" {
			if g, err = q.Group(ctx, orgID, groupID); err != nil {
				return storeNotFound(err)
			}
			typ = EventGroupUpdated
		}
		g.Name, g.ExternalID, g.RevisionDate = strings.TrimSpace(r.Name), r.ExternalID, now
		grants, err := s.saveGroup(ctx, q, g, groupID == "", r)
		if err != nil {
			return err
		}
		e := s.event(typ, orgID, a.userID, meta, now)
		e.GroupID = g.ID
		if err := q.AddEvents(ctx, []Event{e}); err != nil {
			return err
		}
		out = newGroupResponse(g, grants, true)
		return q.BumpMemberRevisions(ctx, orgID, nil, now)
	})
	return out, err
}

// saveGroup writes a group and its links, and returns its collection grants.
func (s *Service) saveGroup(ctx context.Context, q Queries, g Group, create bool,
	r GroupRequest) ([]Access, error) {
	var grants []Access
	var err error
	if r.Collections != nil {
		known, err := collectionIDs(ctx, q, g.OrganizationID)
		if err != nil {
			return nil, err
		}
		if grants, err = checkAccess("Collections", *r.Collections, known); err != nil {
			return nil, err
		}
	}
	var members []string
	if r.Users != nil {
		known, err := memberIDs(ctx, q, g.OrganizationID, *r.Users)
		if err != nil {
			return nil, err
		}
		if members, err = checkIDs("Users", *r.Users, known); err != nil {
			return nil, err
		}
	}
	if create {
		err = q.CreateGroup(ctx, g)
	} else {
		err = q.UpdateGroup(ctx, g)
	}
	if err != nil {
		return nil, err
	}
	if r.Collections != nil {
		if err := q.SetGroupCollections(ctx, g.ID, grants); err != nil {
			return nil, err
		}
	} else if m, err := q.GroupCollections(ctx, g.OrganizationID, g.ID); err != nil {
		return nil, err
	} else {
		grants = m[g.ID]
	}
	if r.Users != nil {
		if err := q.SetGroupMembers(ctx, g.ID, members); err != nil {
			return nil, err
		}
	}
	return grants, nil
}

// SetGroupMembers replaces the members of a group.
func (s *Service) SetGroupMembers(ctx context.Context, userID, orgID, groupID string, ids []string,
	meta Meta) error {
	return s.changeGroup(ctx, userID, orgID, groupID, meta, func(q Queries, g Group) error {
		known, err := memberIDs(ctx, q, orgID, ids)
		if err != nil {
			return err
		}
		list, err := checkIDs("Users", ids, known)
		if err != nil {
			return err
		}
		return q.SetGroupMembers(ctx, g.ID, list)
	})
}

// RemoveGroupMember takes one member out of a group.
func (s *Service) RemoveGroupMember(ctx context.Context, userID, orgID, groupID, memberID string,
	meta Meta) error {
	return s.changeGroup(ctx, userID, orgID, groupID, meta, func(q Queries, g Group) error {
		ids, err := q.GroupMembers(ctx, g.ID)
		if err != nil {
			return err
		}
		kept := make([]string, 0, len(ids))
		for _, id := range ids {
			if id != memberID {
				kept = append(kept, id)
			}
		}
		if len(kept) == len(ids) {
			return httpx.NotFound(msgUserNotFound)
		}
		return q.SetGroupMembers(ctx, g.ID, kept)
	})
}

// changeGroup runs change on an existing group in one transaction, with its audit event.
func (s *Service) changeGroup(ctx context.Context, userID, orgID, groupID string, meta Meta,
	change func(q Queries, g Group) error) error {
	return s.store.InTx(ctx, func(q Queries) error {
		a, err := s.lockForGroups(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		g, err := q.Group(ctx, orgID, groupID)
		if err != nil {
			return storeNotFound(err)
		}
		if err := change(q, g); err != nil {
			return err
		}
		now := s.clock.Now()
		e := s.event(EventGroupUpdated, orgID, a.userID, meta, now)
		e.GroupID = g.ID
		if err := q.AddEvents(ctx, []Event{e}); err != nil {
			return err
		}
		return q.BumpMemberRevisions(ctx, orgID, nil, now)
	})
}

// DeleteGroups deletes groups of the organization; members keep their direct grants.
func (s *Service) DeleteGroups(ctx context.Context, userID, orgID string,
	ids []string, meta Meta) error {
	if len(ids) == 0 {
		return httpx.Invalid("Ids", "The Ids field is required.")
	}
	return s.store.InTx(ctx, func(q Queries) error {
		a, err := s.lockForGroups(ctx, q, orgID, userID)
		if err != nil {
			return err
		}
		known, err := groupIDs(ctx, q, orgID)
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
		if err := q.BumpMemberRevisions(ctx, orgID, nil, now); err != nil {
			return err
		}
		if err := q.DeleteGroups(ctx, orgID, list); err != nil {
			return err
		}
		events := make([]Event, len(list))
		for i, id := range list {
			events[i] = s.event(EventGroupDeleted, orgID, a.userID, meta, now)
			events[i].GroupID = id
		}
		return q.AddEvents(ctx, events)
	})
}
