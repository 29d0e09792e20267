package policies_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
)

// TestPoliciesByInvitation: the holder of an invitation reads the organization's enabled policies
// without an access token; a wrong token, address, membership or organization, or an expired
// token, is a 404 that tells nothing.
func TestPoliciesByInvitation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.PolicySettings{})
	owner, member := e.register("owner"), e.register("member")
	orgID, otherOrg := e.org(owner), e.org(owner)
	e.putPolicy(owner, orgID, 3, true, nil).must(t)
	e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": true}).must(t)
	e.putPolicy(owner, orgID, 1, true, map[string]any{"minLength": 14}).must(t)
	e.putPolicy(owner, orgID, 1, false, map[string]any{"minLength": 14}).must(t) // off again: not listed
	memberM := e.invite(owner, orgID, member, 2)
	token := e.mail.lastToken(t, member.Email)
	path := func(org, memberID, email, tok string) string {
		return "/api/organizations/" + org + "/policies/token?" + url.Values{"organizationUserId": {memberID},
			"email": {email}, "token": {tok}}.Encode()
	}

	var l struct {
		Data []struct {
			Type    int
			Enabled bool
			Data    map[string]any
		}
		Object string
	}
	e.call("", "GET", path(orgID, memberM, member.Email, token), nil).must(t).decode(t, &l)
	types := map[int]map[string]any{}
	for _, p := range l.Data {
		if !p.Enabled {
			t.Errorf("policy %d listed though turned off", p.Type)
		}
		types[p.Type] = p.Data
	}
	if _, single := types[3]; len(types) != 2 || !single || types[8]["autoEnrollEnabled"] != true ||
		l.Object != "list" {
		t.Errorf("policies %+v, want Single organization and account recovery with auto-enrolment", l)
	}

	for name, p := range map[string]string{
		"wrong token":        path(orgID, memberM, member.Email, token+"x"),
		"no token":           path(orgID, memberM, member.Email, ""),
		"other address":      path(orgID, memberM, "eve@example.com", token),
		"other organization": path(otherOrg, memberM, member.Email, token),
		"not a membership":   path(orgID, "9d0c8a4e-1b2c-4d5e-8f90-123456789abc", member.Email, token),
		"bad membership id":  path(orgID, "x", member.Email, token),
	} {
		if r := e.call("", "GET", p, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", name, r.Status, r.Body)
		}
	}
	e.clock.Advance(121 * time.Hour)
	if r := e.call("", "GET", path(orgID, memberM, member.Email, token), nil); r.Status != http.StatusNotFound {
		t.Errorf("expired invitation: %d %s, want 404", r.Status, r.Body)
	}
}
