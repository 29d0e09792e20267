package orgs

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// actor is the caller of an organization route: a confirmed member of it. Only confirmed
// memberships act in an organization, as on the official server.
type actor struct {
	userID string
	m      Member
}

// actorIn loads userID's confirmed membership of the organization. Anyone else gets 404, so that a
// caller learns nothing about an organization they do not belong to.
func actorIn(ctx context.Context, q Queries, orgID, userID string) (actor, error) {
	m, err := q.MemberByUser(ctx, orgID, userID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && m.Status != StatusConfirmed) {
		return actor{}, notFound()
	}
	if err != nil {
		return actor{}, err
	}
	return actor{userID: userID, m: m}, nil
}

func (a actor) owner() bool { return a.m.Type == RoleOwner }

// admin reports whether the actor is an owner or an admin.
func (a actor) admin() bool { return a.m.Type == RoleOwner || a.m.Type == RoleAdmin }

// can reports whether the actor holds a right: owners and admins hold every right of a custom
// role; custom members hold theirs; users none.
func (a actor) can(right func(Permissions) bool) bool {
	return a.admin() || (a.m.Type == RoleCustom && right(a.m.Permissions))
}

// Rights, as predicates over a custom role's permissions.
var (
	rightManageUsers  = func(p Permissions) bool { return p.ManageUsers }
	rightManageGroups = func(p Permissions) bool { return p.ManageGroups }
	rightEvents       = func(p Permissions) bool { return p.AccessEventLogs }
	rightImportExport = func(p Permissions) bool { return p.AccessImportExport }
	rightCreateColl   = func(p Permissions) bool { return p.CreateNewCollections }
	rightEditAnyColl  = func(p Permissions) bool { return p.EditAnyCollection }
	rightDeleteColl   = func(p Permissions) bool { return p.DeleteAnyCollection }
	rightSeeAllColls  = func(p Permissions) bool { return p.EditAnyCollection || p.DeleteAnyCollection }
)

// require fails with 404 unless the actor holds the right: the official server answers a member
// without the right as if the resource did not exist.
func (a actor) require(right func(Permissions) bool) error {
	if !a.can(right) {
		return notFound()
	}
	return nil
}

// checkManage checks that the actor may manage a member of type target (an existing one, or one
// being given that type): only owners manage owners, custom members manage neither owners nor admins.
func (a actor) checkManage(target Role) error {
	switch {
	case target == RoleOwner && !a.owner():
		return httpx.BadRequest(msgOnlyOwnersOwners)
	case target == RoleAdmin && !a.admin():
		return httpx.BadRequest(msgCustomNoAdmins)
	}
	return nil
}

// checkGrant checks that the actor may give a member the type role with permissions perms:
// the rules of checkManage, and a custom actor may grant only permissions it has itself.
func (a actor) checkGrant(role Role, perms Permissions) error {
	if !role.Valid() {
		return httpx.Invalid("Type", "The Type field is not a valid member type.")
	}
	if err := a.checkManage(role); err != nil {
		return err
	}
	if role == RoleCustom && !a.admin() && !perms.Within(a.m.Permissions) {
		return httpx.BadRequest(msgCustomOwnPerms)
	}
	return nil
}

// maxEmailLen is the official limit of an invited address.
const maxEmailLen = 256

// normalizeEmails checks a list of invited addresses and returns them trimmed, lower-cased and
// without repeats. Each must be a bare address (no display name), as the official strict email
// list requires.
func normalizeEmails(list []string) ([]string, error) {
	if len(list) == 0 {
		return nil, httpx.Invalid("Emails", "The Emails field is required.")
	}
	if len(list) > MaxInvites {
		return nil, httpx.Invalid("Emails", fmt.Sprintf("At most %d emails can be invited at once.",
			MaxInvites))
	}
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, raw := range list {
		e := accounts.NormalizeEmail(raw)
		if !validEmail(e) {
			return nil, &httpx.Error{Status: 400, Message: "The model state is invalid.",
				ValidationErrors: map[string][]string{"Emails": {
					"The field Emails must contain only valid email addresses of at most 256 characters."}}}
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// validEmail reports whether e is one bare address with a local part and a dotted domain.
func validEmail(e string) bool {
	if e == "" || httpx.TextLen(e) > maxEmailLen || strings.ContainsAny(e, " \t\r\n<>,;\"") {
		return false
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return false
	}
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".")
}

// MaxInvites bounds the addresses of one invitation request.
const MaxInvites = 5000

// AccessRequest is one collection grant as the clients send it; Id names the collection, the
// member or the group depending on where it appears.
type AccessRequest struct {
	ID            string `json:"id"`
	ReadOnly      bool   `json:"readOnly"`
	HidePasswords bool   `json:"hidePasswords"`
	Manage        bool   `json:"manage"`
}

// checkAccess validates grants whose ids must be among known (the organization's collections,
// members or groups), with field naming the list for messages. Repeated ids keep the last grant.
func checkAccess(field string, list []AccessRequest, known map[string]bool) ([]Access, error) {
	out := make([]Access, 0, len(list))
	index := map[string]int{}
	for _, r := range list {
		if r.Manage && (r.ReadOnly || r.HidePasswords) {
			return nil, httpx.BadRequest(msgManageExclusive)
		}
		if !known[r.ID] {
			return nil, httpx.Invalid(field,
				fmt.Sprintf("%s names %q, which is not part of this organization.",
					field, r.ID))
		}
		a := Access{ID: r.ID, ReadOnly: r.ReadOnly, HidePasswords: r.HidePasswords, Manage: r.Manage}
		if i, ok := index[r.ID]; ok {
			out[i] = a
			continue
		}
		index[r.ID] = len(out)
		out = append(out, a)
	}
	return out, nil
}

// checkIDs validates a list of ids that must be among known; repeats are dropped.
func checkIDs(field string, ids []string, known map[string]bool) ([]string, error) {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !known[id] {
			return nil, httpx.Invalid(field,
				fmt.Sprintf("%s names %q, which is not part of this organization.",
					field, id))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// collectionIDs returns the ids of the organization's collections.
func collectionIDs(ctx context.Context, q Queries, orgID string) (map[string]bool, error) {
	cs, err := q.Collections(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(cs))
	for _, c := range cs {
		out[c.ID] = true
	}
	return out, nil
}

// groupIDs returns the ids of the organization's groups.
func groupIDs(ctx context.Context, q Queries, orgID string) (map[string]bool, error) {
	gs, err := q.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(gs))
	for _, g := range gs {
		out[g.ID] = true
	}
	return out, nil
}

// memberIDs returns the ids of those of ids that are memberships of the organization.
func memberIDs(ctx context.Context, q Queries, orgID string,
	ids []string) (map[string]bool, error) {
	ms, err := q.Members(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ms))
	for _, m := range ms {
		out[m.ID] = true
	}
	return out, nil
}

// lastOwner fails when removing the memberships in leaving from the confirmed owners would leave
// the organization without one.
func lastOwner(ctx context.Context, q Queries, orgID string, leaving ...string) error {
	n, err := q.ConfirmedOwners(ctx, orgID, leaving)
	if err != nil {
		return err
	}
	if n == 0 {
		return httpx.BadRequest(msgNeedOwner)
	}
	return nil
}
