package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"unicode"
	"unicode/utf8"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// PutRequest is the body of PUT /api/organizations/{orgId}/policies/{type}: the flat shape
// {enabled, data} of the older clients, or the shape {policy: {enabled, data}, metadata} that the
// newer ones send to .../{type}/vnext.
type PutRequest struct {
	Enabled *bool           `json:"enabled"`
	Data    json.RawMessage `json:"data"`
	Policy  *struct {
		Enabled *bool           `json:"enabled"`
		Data    json.RawMessage `json:"data"`
	} `json:"policy"`
}

// fields returns the request's enabled flag and data, whichever shape carried them.
func (r PutRequest) fields() (bool, json.RawMessage, error) {
	enabled, data := r.Enabled, r.Data
	if r.Policy != nil {
		enabled, data = r.Policy.Enabled, r.Policy.Data
	}
	if enabled == nil {
		return false, nil, httpx.Invalid("Enabled", "The Enabled field is required.")
	}
	return *enabled, data, nil
}

// maxDataBytes bounds a policy's settings.
const maxDataBytes = 16 << 10

// normalizeData checks a policy's settings and returns them as they are stored: nil for none (null
// or an empty object, as the official server stores them), else a JSON object with camelCase keys.
// Fields are checked by type (data.go); fields castellan does not know are kept, as the official
// server keeps them. Two keys that are one after camel-casing are refused rather than one of them
// winning at random.
func normalizeData(t Type, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) > maxDataBytes {
		return nil, httpx.Invalid("Data", "The Data field is too large.")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, &httpx.Error{Status: 400, Message: "The model state is invalid.", Cause: err,
			ValidationErrors: map[string][]string{"Data": {"The Data field must be a JSON object."}}}
	}
	if len(obj) == 0 {
		return nil, nil
	}
	out := make(map[string]json.RawMessage, len(obj))
	for k, v := range obj {
		ck := camel(k)
		if _, dup := out[ck]; dup {
			return nil, httpx.Invalid("Data", "The Data field has the key "+ck+" twice.")
		}
		out[ck] = v
	}
	if problems := checkData(t, out); len(problems) > 0 {
		return nil, dataError(t, problems)
	}
	return json.Marshal(out)
}

// camel lower-cases the first letter of a key, as the official server stores policy data.
func camel(k string) string {
	r, n := utf8.DecodeRuneInString(k)
	if n == 0 {
		return k
	}
	return string(unicode.ToLower(r)) + k[n:]
}

// Put changes the organization's policy of type t for a caller who may manage policies: in one
// transaction it locks the organization, checks the caller, applies the guards that tie policies
// to each other and to the SSO and domain settings, stores the policy with its audit event
// (Policy_Updated, 1700), and applies the side effects of turning it on (Single organization
// revokes the members who are in another organization). A refusal changes nothing.
func (s *Service) Put(ctx context.Context, userID, orgID string, t Type, r PutRequest,
	meta orgs.Meta) (Response, error) {
	if !t.Valid() {
		return Response{}, notFound()
	}
	enabled, raw, err := r.fields()
	if err != nil {
		return Response{}, err
	}
	if t == TypeTwoFactor && enabled {
		return Response{}, errTwoFactorUnsupported
	}
	data, err := normalizeData(t, raw)
	if err != nil {
		return Response{}, err
	}
	var out Policy
	var revoked int
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		oq := orgs.QueriesOn(tx)
		if _, err := oq.LockOrganization(ctx, orgID); err != nil {
			return storeNotFound(err)
		}
		if err := orgs.RequireManagePolicies(ctx, oq, orgID, userID); err != nil {
			return err
		}
		out, revoked, err = s.apply(ctx, tx, change{orgID: orgID, typ: t, enabled: enabled, data: data,
			actorID: userID, meta: meta})
		return err
	})
	if err != nil {
		return Response{}, err
	}
	s.log.InfoContext(ctx, "policy changed", "org_id", orgID, "user_id", userID, "policy_type", int(t),
		"enabled", enabled, "revoked", revoked)
	return newResponse(orgID, t, &out, nil), nil
}

// errTwoFactorUnsupported refuses turning the Two-step login policy on: castellan has no two-factor
// login yet, so members could never satisfy it. Turning it off stays allowed.
var errTwoFactorUnsupported = httpx.BadRequest("The Two-step login policy cannot be turned on: " +
	"two-step login is not supported by this server yet.")

// change is one policy change, by an administrator (actorID) or by castellan itself (systemUser).
type change struct {
	orgID      string
	typ        Type
	enabled    bool
	data       json.RawMessage
	actorID    string
	systemUser *int
	meta       orgs.Meta
}

// apply performs a checked change inside tx, whose organization the caller has locked, and returns
// the stored policy and how many memberships its side effects revoked.
func (s *Service) apply(ctx context.Context, tx storage.Querier, c change) (Policy, int, error) {
	st, oq := s.store.On(tx), orgs.QueriesOn(tx)
	cur, err := found(st.Get(ctx, c.orgID, c.typ))
	if err != nil {
		return Policy{}, 0, err
	}
	if err := s.guard(ctx, st, c, cur); err != nil {
		return Policy{}, 0, err
	}
	now := s.clock.Now()
	p := Policy{ID: s.newID(), OrganizationID: c.orgID, Type: c.typ, Enabled: c.enabled, Data: c.data,
		CreatedAt: now, RevisionDate: now}
	if cur != nil {
		p.ID, p.CreatedAt = cur.ID, cur.CreatedAt
		err = st.Update(ctx, p)
	} else {
		err = st.Insert(ctx, p)
	}
	if err != nil {
		return Policy{}, 0, err
	}
	ev := s.event(orgs.EventPolicyUpdated, c.orgID, c.actorID, c.meta)
	ev.PolicyID, ev.SystemUser = p.ID, c.systemUser
	if err := oq.AddEvents(ctx, []orgs.Event{ev}); err != nil {
		return Policy{}, 0, err
	}
	if err := oq.BumpMemberRevisions(ctx, c.orgID, nil, now); err != nil {
		return Policy{}, 0, err
	}
	revoked := 0
	if c.typ == TypeSingleOrg && c.enabled && (cur == nil || !cur.Enabled) {
		if revoked, err = s.revokeNonCompliant(ctx, st, oq, c); err != nil {
			return Policy{}, 0, err
		}
	}
	return p, revoked, nil
}

// revokeNonCompliant revokes, with reason SingleOrgPolicyNonCompliance (4), the members that the
// Single organization policy just turned on excludes (Store.SingleOrgViolators), each with its
// OrganizationUser_Revoked event; their status is kept for a later restore.
func (s *Service) revokeNonCompliant(ctx context.Context, st Store, oq orgs.Queries, c change) (int, error) {
	ids, err := st.SingleOrgViolators(ctx, c.orgID, c.actorID)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	ms, err := oq.Members(ctx, c.orgID, ids)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	events := make([]orgs.Event, 0, len(ms))
	for _, m := range ms {
		before, reason := m.Status, orgs.RevokedSingleOrgNonCompliance
		m.Status, m.StatusBeforeRevoke, m.RevocationReason, m.RevisionDate = orgs.StatusRevoked, &before, &reason, now
		if err := oq.UpdateMember(ctx, m); err != nil {
			return 0, err
		}
		ev := s.memberEvent(orgs.EventMemberRevoked, m, c.actorID, c.meta)
		ev.SystemUser = c.systemUser
		events = append(events, ev)
	}
	if err := oq.AddEvents(ctx, events); err != nil {
		return 0, err
	}
	return len(ms), nil
}

// EnableAsSystem turns policy t of the organization on inside the caller's transaction q, as
// castellan itself (systemUser is the official EventSystemUser: 2 for domain verification), with
// the guards and side effects of an administrator's change. A claimed domain forces Single
// organization on this way; so does a trusted-device SSO configuration with Require SSO and account
// recovery. The organization is locked first. A policy that is already on with the same settings
// is left alone.
func (s *Service) EnableAsSystem(ctx context.Context, q storage.Querier, orgID string, t Type,
	data json.RawMessage, systemUser int) error {
	if _, err := orgs.QueriesOn(q).LockOrganization(ctx, orgID); err != nil {
		return err
	}
	data, err := normalizeData(t, data)
	if err != nil {
		return err
	}
	cur, err := found(s.store.On(q).Get(ctx, orgID, t))
	if err != nil || (cur != nil && cur.Enabled && bytes.Equal(cur.Data, data)) {
		return err
	}
	_, revoked, err := s.apply(ctx, q, change{orgID: orgID, typ: t, enabled: true, data: data,
		systemUser: &systemUser})
	if err == nil {
		s.log.InfoContext(ctx, "policy enabled by the system", "org_id", orgID, "policy_type", int(t),
			"system_user", systemUser, "revoked", revoked)
	}
	return err
}
