package policies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/app"
)

// policyBody is a policy as the routes answer it.
type policyBody struct {
	ID             *string
	OrganizationID string
	Type           int
	Data           json.RawMessage
	Enabled        bool
	RevisionDate   *string
	CanToggleState *bool
	Object         string
}

func TestPolicyRoutes(t *testing.T) {
	t.Parallel()
	onEveryEngine(t, testPolicyRoutes)
}

func testPolicyRoutes(t *testing.T, e *env) {
	owner := e.register("owner")
	orgID := e.org(owner)
	base := "/api/organizations/" + orgID + "/policies"

	var unset policyBody
	e.must(owner, "GET", base+"/4", nil).decode(t, &unset)
	if unset.ID != nil || unset.Enabled || unset.Type != 4 || unset.OrganizationID != orgID || unset.Object != "policy" ||
		string(unset.Data) != "null" {
		t.Errorf("a policy never set: %+v", unset)
	}

	// Data keys are stored camelCase; the response carries them as an object.
	var mp policyBody
	e.putPolicy(owner, orgID, 1, true, map[string]any{"MinLength": 14, "requireUpper": true}).
		must(t).decode(t, &mp)
	if !mp.Enabled || mp.ID == nil || string(mp.Data) != `{"minLength":14,"requireUpper":true}` {
		t.Errorf("master password policy: %+v data %s", mp, mp.Data)
	}
	// The vNext shape is accepted too.
	e.must(owner, "PUT", base+"/3/vnext", map[string]any{"policy": map[string]any{"enabled": true, "data": nil},
		"metadata": map[string]any{}})
	var rp policyBody
	e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": true, "extra": 1}).must(t).decode(t, &rp)
	if string(rp.Data) != `{"autoEnrollEnabled":true,"extra":1}` { // unknown fields are kept, as officially
		t.Errorf("account recovery data %s", rp.Data)
	}

	var list struct {
		Data   []policyBody
		Object string
	}
	e.must(owner, "GET", base, nil).decode(t, &list)
	if list.Object != "list" || len(list.Data) != 3 || list.Data[0].Type != 1 || list.Data[1].Type != 3 ||
		list.Data[2].Type != 8 {
		t.Errorf("list: %+v", list)
	}
	if n := e.events(orgID, 1700); n != 3 {
		t.Errorf("%d Policy_Updated events, want 3", n)
	}

	// Sync carries the policies of the organizations the caller is a confirmed member of.
	var sync struct{ Policies []policyBody }
	e.must(owner, "GET", "/api/sync?excludeDomains=true", nil).decode(t, &sync)
	if len(sync.Policies) != 3 || sync.Policies[0].Object != "policy" || sync.Policies[0].OrganizationID != orgID {
		t.Errorf("sync policies: %+v", sync.Policies)
	}
}

func TestPolicyRouteRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.PolicySettings{})
	owner, plain, custom, outsider := e.register("owner"), e.register("plain"), e.register("custom"),
		e.register("outsider")
	orgID := e.org(owner)
	e.join(owner, orgID, plain, 2)
	e.join(owner, orgID, custom, 4) // a custom member with managePolicies
	base := "/api/organizations/" + orgID + "/policies"

	before := e.snapshot()
	cases := []struct {
		name   string
		u      *user
		method string
		path   string
		body   any
		status int
	}{
		{"outsider reads", outsider, "GET", base, nil, http.StatusNotFound},
		{"outsider writes", outsider, "PUT", base + "/3", map[string]any{"enabled": true}, http.StatusNotFound},
		{"user reads", plain, "GET", base + "/3", nil, http.StatusNotFound},
		{"user writes", plain, "PUT", base + "/3", map[string]any{"enabled": true}, http.StatusNotFound},
		{"unknown type", owner, "PUT", base + "/23", map[string]any{"enabled": true}, http.StatusNotFound},
		{"type not a number", owner, "GET", base + "/x", nil, http.StatusNotFound},
		{"enabled missing", owner, "PUT", base + "/3", map[string]any{"data": nil}, http.StatusBadRequest},
		{"data not an object", owner, "PUT", base + "/1", map[string]any{"enabled": true, "data": []int{1}},
			http.StatusBadRequest},
		{"auto-enroll not a boolean", owner, "PUT", base + "/8",
			map[string]any{"enabled": true, "data": map[string]any{"autoEnrollEnabled": "yes"}}, http.StatusBadRequest},
		{"bad organization id", owner, "GET", "/api/organizations/nope/policies", nil, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.u.Token, c.method, c.path, c.body)
			if r.Status != c.status {
				t.Errorf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
		})
	}
	if after := e.snapshot(); after != before {
		t.Errorf("refusals changed the database:\n%s\n%s", before, after)
	}
	// The custom member with managePolicies may change policies.
	if r := e.putPolicy(custom, orgID, 3, true, nil); r.Status != http.StatusOK {
		t.Errorf("custom member with managePolicies: %d %s", r.Status, r.Body)
	}
}

func TestPolicyDependencyGuards(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.PolicySettings{})
	owner := e.register("owner")
	orgID := e.org(owner)

	before := e.snapshot()
	e.refused(e.putPolicy(owner, orgID, 4, true, nil), before, "Turn on the Single organization policy first")
	e.refused(e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": false}), before,
		"Turn on the Single organization policy first")

	e.putPolicy(owner, orgID, 3, true, nil).must(t)
	e.putPolicy(owner, orgID, 4, true, nil).must(t)
	before = e.snapshot()
	e.refused(e.putPolicy(owner, orgID, 3, false, nil), before,
		"Turn off the Require single sign-on authentication policy first")

	e.putPolicy(owner, orgID, 4, false, nil).must(t)
	e.putPolicy(owner, orgID, 8, true, nil).must(t)
	before = e.snapshot()
	e.refused(e.putPolicy(owner, orgID, 3, false, nil), before,
		"Turn off the Account recovery administration policy first")
	e.putPolicy(owner, orgID, 8, false, nil).must(t)
	e.putPolicy(owner, orgID, 3, false, nil).must(t)
}

func TestSingleOrgEnableRevokesNonCompliantMembers(t *testing.T) {
	t.Parallel()
	onEveryEngine(t, testSingleOrgEnableRevokesNonCompliantMembers)
}

func testSingleOrgEnableRevokesNonCompliantMembers(t *testing.T, e *env) {
	owner, otherOwner := e.register("owner"), e.register("other-owner")
	orgID, otherID := e.org(owner), e.org(otherOwner)
	confirmedU, acceptedU, admin, invitedU, loyal := e.register("confirmed"), e.register("accepted"),
		e.register("admin"), e.register("invited"), e.register("loyal")

	confirmedM := e.join(owner, orgID, confirmedU, 2)
	acceptedM := e.invite(owner, orgID, acceptedU, 4)
	e.accept(acceptedU, orgID, acceptedM, nil).must(t)
	adminM := e.join(owner, orgID, admin, 1)
	loyalM := e.join(owner, orgID, loyal, 2)
	invitedM := e.invite(owner, orgID, invitedU, 2)
	for _, u := range []*user{confirmedU, acceptedU, admin} {
		e.join(otherOwner, otherID, u, 2)
	}
	e.join(otherOwner, otherID, owner, 2) // the owner is exempt
	// invitedU is only invited elsewhere: an invitation does not count.
	e.invite(otherOwner, otherID, invitedU, 2)

	e.putPolicy(owner, orgID, 3, true, nil).must(t)
	want := map[string][2]int{confirmedM: {-1, 4}, acceptedM: {-1, 4}, adminM: {2, -9}, loyalM: {2, -9},
		invitedM: {0, -9}}
	for id, w := range want {
		if st, reason, _ := e.member(id); st != w[0] || reason != w[1] {
			t.Errorf("member %s: status %d reason %d, want %v", id, st, reason, w)
		}
	}
	if n := e.events(orgID, 1511); n != 2 {
		t.Errorf("%d OrganizationUser_Revoked events, want 2", n)
	}
	// Turning it on again revokes nobody else; the revoked keep the status they had, for a restore
	// once they comply.
	e.putPolicy(owner, orgID, 3, true, nil).must(t)
	if n := e.events(orgID, 1511); n != 2 {
		t.Errorf("%d OrganizationUser_Revoked events after a second save, want 2", n)
	}
	before := e.snapshot()
	r := e.call(owner.Token, "PUT", "/api/organizations/"+orgID+"/users/"+confirmedM+"/restore", nil)
	e.refused(r, before, confirmedU.Email+" cannot be restored until they leave all other organizations")
	e.must(confirmedU, "POST", "/api/organizations/"+otherID+"/leave", nil)
	e.must(owner, "PUT", "/api/organizations/"+orgID+"/users/"+confirmedM+"/restore", nil)
	if st, _, _ := e.member(confirmedM); st != 2 {
		t.Errorf("restored member status %d, want 2", st)
	}
}

func TestSingleOrgRefusesJoining(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.PolicySettings{})
	owner, otherOwner := e.register("owner"), e.register("other-owner")
	orgID, otherID := e.org(owner), e.org(otherOwner)
	e.putPolicy(owner, orgID, 3, true, nil).must(t)

	// A member of another organization cannot accept, and cannot be confirmed.
	multi := e.register("multi")
	e.join(otherOwner, otherID, multi, 2)
	m := e.invite(owner, orgID, multi, 2)
	before := e.snapshot()
	e.refused(e.accept(multi, orgID, m, nil), before, "until you leave all other organizations")

	// Accepted here, then signed in through the other organization's SSO, which bound its invitation
	// to the account (an Invited membership with the account, as provisioning leaves it): joining
	// elsewhere is not possible, but that membership blocks the confirmation.
	late := e.register("late")
	lateM := e.invite(owner, orgID, late, 2)
	e.accept(late, orgID, lateM, nil).must(t)
	jit := e.invite(otherOwner, otherID, late, 2)
	if _, err := e.db.ExecContext(context.Background(), `UPDATE organization_users SET user_id = ?, email = NULL
		WHERE id = ?`, late.ID, jit); err != nil {
		t.Fatal(err)
	}
	before = e.snapshot()
	e.refused(e.confirm(owner, orgID, lateM, late), before, late.Email+" cannot be confirmed until they leave")
	var bulk struct{ Data []struct{ ID, Error string } }
	e.must(owner, "POST", "/api/organizations/"+orgID+"/users/confirm",
		map[string]any{"keys": []map[string]any{{"id": lateM, "key": encTo(t, late)}}}).decode(t, &bulk)
	if len(bulk.Data) != 1 || bulk.Data[0].Error == "" {
		t.Errorf("bulk confirm: %+v", bulk)
	}

	// An owner or admin of the organization is exempt from its policy.
	boss := e.register("boss")
	e.join(otherOwner, otherID, boss, 2)
	e.join(owner, orgID, boss, 1)

	// The reverse: a confirmed user of the organization may not join another one.
	member := e.register("member")
	e.join(owner, orgID, member, 2)
	om := e.invite(otherOwner, otherID, member, 2)
	before = e.snapshot()
	e.refused(e.accept(member, otherID, om, nil), before, "another organization whose Single organization policy")
	// ... but an admin there may.
	boss2 := e.register("boss2")
	e.join(owner, orgID, boss2, 1)
	e.join(otherOwner, otherID, boss2, 2)
}

func TestRequireSSOAtTheTokenEndpoint(t *testing.T) {
	t.Parallel()
	onEveryEngine(t, testRequireSSOAtTheTokenEndpoint)
}

func testRequireSSOAtTheTokenEndpoint(t *testing.T, e *env) {
	owner, admin, plain, custom, accepted := e.register("owner"), e.register("admin"), e.register("plain"),
		e.register("custom"), e.register("accepted")
	orgID := e.org(owner)
	e.join(owner, orgID, admin, 1)
	e.join(owner, orgID, plain, 2)
	e.join(owner, orgID, custom, 4)
	am := e.invite(owner, orgID, accepted, 2)
	e.accept(accepted, orgID, am, nil).must(t)
	invited := e.register("invited")
	e.invite(owner, orgID, invited, 2)
	setIdentifier(t, e, orgID, "acme-sso")

	e.putPolicy(owner, orgID, 3, true, nil).must(t)
	e.putPolicy(owner, orgID, 4, true, nil).must(t)

	want := fmt.Sprintf(`{"error":"invalid_grant","error_description":"Sso authentication is required.",`+
		`"ErrorModel":{"Message":%q,"Object":"error"},"SsoOrganizationIdentifier":"acme-sso"}`,
		"Your organization requires single sign-on. Log in with SSO instead of the master password.")
	for _, u := range []*user{plain, custom, accepted} {
		r := e.passwordGrant(u)
		if r.Status != http.StatusBadRequest || !sameJSON(t, r.Body, want) {
			t.Errorf("%s: %d %s\nwant 400 %s", u.Email, r.Status, r.Body, want)
		}
	}
	for _, u := range []*user{owner, admin, invited} {
		if r := e.passwordGrant(u); r.Status != http.StatusOK {
			t.Errorf("%s (exempt): %d %s", u.Email, r.Status, r.Body)
		}
	}
	// A wrong password still gets the usual answer: the refusal tells nothing without the password.
	wrong := *plain.Account
	wrong.MasterPasswordHash = "d3JvbmcgaGFzaCB3cm9uZyBoYXNoIHdyb25nIGhhc2g="
	if r := e.passwordGrant(&user{Account: &wrong}); r.Status != 400 || !json.Valid(r.Body) ||
		!contains(r.Body, "invalid_username_or_password") {
		t.Errorf("wrong password: %d %s", r.Status, r.Body)
	}
	// The personal API key still logs in.
	var key struct{ APIKey string }
	e.must(plain, "POST", "/api/accounts/api-key", map[string]any{"masterPasswordHash": plain.Account.MasterPasswordHash}).
		decode(t, &key)
	r := e.clientCredentials(plain, key.APIKey)
	if r.Status != http.StatusOK {
		t.Errorf("API key login of a bound member: %d %s", r.Status, r.Body)
	}

	// With the instance setting, owners and admins are bound too; an admin bound by two
	// organizations gets no identifier (the client then shows the message).
	otherOwner := e.register("other-owner")
	otherID := e.org(otherOwner)
	setIdentifier(t, e, otherID, "other-sso")
	e.join(otherOwner, otherID, admin, 1)
	e.putPolicy(otherOwner, otherID, 3, true, nil).must(t)
	e.putPolicy(otherOwner, otherID, 4, true, nil).must(t)
	strict := newEnvOn(t, e.db, app.PolicySettings{EnforceSSOForAll: true})
	if r := strict.passwordGrant(owner); r.Status != http.StatusBadRequest || !contains(r.Body, `"acme-sso"`) {
		t.Errorf("owner under EnforceSSOForAll: %d %s", r.Status, r.Body)
	}
	if r := strict.passwordGrant(admin); r.Status != http.StatusBadRequest ||
		contains(r.Body, "SsoOrganizationIdentifier") {
		t.Errorf("admin of two organizations under EnforceSSOForAll: %d %s", r.Status, r.Body)
	}
	// Turning the policy off lets everyone in again.
	e.login(owner)
	e.putPolicy(owner, orgID, 4, false, nil).must(t)
	if r := e.passwordGrant(plain); r.Status != http.StatusOK {
		t.Errorf("after turning Require SSO off: %d %s", r.Status, r.Body)
	}
}

// setIdentifier gives an organization its SSO identifier, as saving an SSO configuration would.
func setIdentifier(t testing.TB, e *env, orgID, identifier string) {
	t.Helper()
	_, err := e.db.ExecContext(context.Background(), `UPDATE organizations SET identifier = ?, identifier_norm = ?
		WHERE id = ?`, identifier, strings.ToLower(identifier), orgID)
	if err != nil {
		t.Fatal(err)
	}
}

// sameJSON reports whether two JSON documents are equal.
func sameJSON(t testing.TB, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if json.Unmarshal(got, &g) != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// clientCredentials logs u in with its personal API key.
func (e *env) clientCredentials(u *user, secret string) response {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"user." + u.ID},
		"client_secret": {secret}, "scope": {"api"}, "deviceType": {"25"},
		"deviceIdentifier": {"6f0c2b3a-4f5e-4d6c-8b7a-9f8e7d6c5b4a"}, "deviceName": {"linux"}}
	req := httptest.NewRequest("POST", "/identity/connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes()}
}

// The Two-step login policy cannot be turned on (castellan has no two-factor login yet, so members
// could never comply); turning it off, in either request shape, still works.
func TestTwoFactorPolicyRefused(t *testing.T) {
	t.Parallel()
	onEveryEngine(t, func(t *testing.T, e *env) {
		owner := e.register("owner")
		orgID := e.org(owner)
		before := e.snapshot()
		e.refused(e.putPolicy(owner, orgID, 0, true, nil), before,
			"two-step login is not supported by this server yet")
		e.refused(e.call(owner.Token, "PUT", "/api/organizations/"+orgID+"/policies/0/vnext",
			map[string]any{"policy": map[string]any{"enabled": true, "data": nil}, "metadata": map[string]any{}}),
			before, "two-step login is not supported by this server yet")
		var off policyBody
		e.putPolicy(owner, orgID, 0, false, nil).must(t).decode(t, &off)
		if off.Enabled || off.Type != 0 {
			t.Errorf("disabled two-step login policy: %+v", off)
		}
		e.must(owner, "PUT", "/api/organizations/"+orgID+"/policies/0/vnext",
			map[string]any{"policy": map[string]any{"enabled": false, "data": nil}, "metadata": map[string]any{}})
	})
}
