package orgs_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/orgs"
)

// fakeClaims claims, for each organization, the addresses on its domains.
type fakeClaims map[string][]string

func (f fakeClaims) ClaimedEmails(_ context.Context, orgID string, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, e := range emails {
		for _, d := range f[orgID] {
			if strings.HasSuffix(e, "@"+d) {
				out[e] = true
			}
		}
	}
	return out, nil
}

// TestClaimedAccounts checks the claimed-account rules: a member on a domain the organization claims
// (Accepted, Confirmed or Revoked) cannot be removed or leave, and the lists show the claim.
func TestClaimedAccounts(t *testing.T) {
	a := newAPI(t, orgs.Config{})
	owner := a.user("owner@acme.example")
	org := a.org(owner)
	bob := a.user("bob@acme.example")
	bobM := a.confirmed(owner, org, bob, 2)
	carol := a.user("carol@other.example")
	carolM := a.confirmed(owner, org, carol, 2)
	erin := a.user("erin@acme.example")
	erinM := a.join(owner, org, erin, 2) // Accepted
	danM := a.invite(owner, org, 2, "dan@acme.example")
	a.svc.SetDomainClaims(fakeClaims{org: {"acme.example"}})
	users := "/api/organizations/" + org + "/users/"

	refused := func(user, method, path string, body any, want string) {
		t.Helper()
		before := a.snapshot(org)
		r := a.do(user, method, path, body)
		var e errorBody
		r.decode(t, &e)
		if r.Status != http.StatusBadRequest || !strings.Contains(e.Message, want) {
			t.Fatalf("%s %s: %d %s, want 400 with %q", method, path, r.Status, r.Body, want)
		}
		if a.snapshot(org) != before {
			t.Fatalf("%s %s changed the organization", method, path)
		}
	}
	refused(owner, "DELETE", users+bobM, nil, "cannot be removed. Revoke the member")
	refused(owner, "POST", users+erinM+"/remove", nil, "cannot be removed")
	refused(bob, "POST", "/api/organizations/"+org+"/leave", nil, "cannot leave")

	var list struct {
		Data []struct {
			ID                    string
			ClaimedByOrganization bool
		}
	}
	a.must(owner, "GET", users[:len(users)-1], nil).decode(t, &list)
	claimed := map[string]bool{}
	for _, m := range list.Data {
		claimed[m.ID] = m.ClaimedByOrganization
	}
	if !claimed[bobM] || !claimed[erinM] || claimed[carolM] || claimed[danM] {
		t.Fatalf("claimedByOrganization = %v", claimed)
	}
	var one struct{ ClaimedByOrganization bool }
	if a.must(owner, "GET", users+bobM, nil).decode(t, &one); !one.ClaimedByOrganization {
		t.Fatal("member details do not show the claim")
	}
	profile, err := a.svc.ProfileOrganizations(context.Background(), bob)
	if err != nil || len(profile) != 1 || !profile[0].UserIsClaimedByOrganization {
		t.Fatalf("bob's profile = %+v, %v", profile, err)
	}
	profile, _ = a.svc.ProfileOrganizations(context.Background(), carol)
	if profile[0].UserIsClaimedByOrganization {
		t.Fatal("carol's account is claimed")
	}

	// A bulk removal refuses the claimed member and removes the others.
	var bulk struct{ Data []struct{ ID, Error string } }
	a.must(owner, "DELETE", users[:len(users)-1], map[string]any{"ids": []string{bobM, carolM, danM}}).
		decode(t, &bulk)
	errs := map[string]string{}
	for _, r := range bulk.Data {
		errs[r.ID] = r.Error
	}
	if !strings.Contains(errs[bobM], "cannot be removed") || errs[carolM] != "" || errs[danM] != "" {
		t.Fatalf("bulk results = %+v", bulk.Data)
	}
	// Revoking stays possible, and a revoked claimed member is still claimed.
	a.must(owner, "PUT", users+bobM+"/revoke", nil)
	refused(owner, "DELETE", users+bobM, nil, "cannot be removed")
	// Without the claim, the member can be removed again.
	a.svc.SetDomainClaims(fakeClaims{})
	a.must(owner, "DELETE", users+bobM, nil)
	a.must(erin, "POST", "/api/organizations/"+org+"/leave", nil)
}
