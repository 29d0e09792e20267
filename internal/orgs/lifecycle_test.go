package orgs_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

func TestGroupsAndCollections(t *testing.T) {
	forEachEngine(t, testGroupsAndCollectionsAPI)
}

func testGroupsAndCollectionsAPI(t *testing.T, e storagetest.Engine) {
	a, f := newFixtureOn(t, e, orgs.Config{})
	base := "/api/organizations/" + f.org
	coll := firstCollection(a, f)
	var c struct {
		ID     string
		Object string
		Users  []struct {
			ID     string
			Manage bool
		}
	}
	a.must(f.owner, "POST", base+"/collections", map[string]any{"name": enc(t, "Ops"), "externalId": "ops",
		"users": []any{map[string]any{"id": f.adminM, "manage": true}}}).decode(t, &c)
	if c.Object != "collectionAccessDetails" || len(c.Users) != 1 || !c.Users[0].Manage {
		t.Fatalf("created collection %+v", c)
	}
	var g struct {
		ID          string
		Object      string
		Collections []struct{ ID string }
	}
	a.must(f.owner, "POST", base+"/groups", map[string]any{"name": "Ops team",
		"collections": []any{map[string]any{"id": c.ID, "hidePasswords": true}},
		"users":       []string{f.acceptedM}}).decode(t, &g)
	if g.Object != "groupDetails" || len(g.Collections) != 1 {
		t.Fatalf("created group %+v", g)
	}
	var ids []string
	a.must(f.owner, "GET", base+"/groups/"+g.ID+"/users", nil).decode(t, &ids)
	if len(ids) != 1 || ids[0] != f.acceptedM {
		t.Fatalf("group users %v", ids)
	}
	a.must(f.owner, "PUT", base+"/groups/"+g.ID, map[string]any{"name": "Operations"}) // links kept
	a.must(f.owner, "GET", base+"/groups/"+g.ID+"/users", nil).decode(t, &ids)
	if len(ids) != 1 {
		t.Fatalf("an update without users dropped them: %v", ids)
	}
	var details struct {
		Data []struct {
			ID     string
			Groups []struct{ ID string }
			Users  []struct{ ID string }
		}
	}
	a.must(f.owner, "GET", base+"/collections/details", nil).decode(t, &details)
	if len(details.Data) != 2 {
		t.Fatalf("collection details %+v", details)
	}
	// The custom member who only manages users sees no collections; the admin sees all.
	var list struct{ Data []struct{ ID string } }
	a.must(f.custom, "GET", base+"/collections", nil).decode(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("a custom member without collection rights sees %+v", list.Data)
	}
	if r := a.do(f.custom, "POST", base+"/groups",
		map[string]any{"name": "x"}); r.Status != http.StatusNotFound {
		t.Fatalf("a custom member without manageGroups made a group: %d", r.Status)
	}
	if r := a.do(f.owner, "POST", base+"/groups", map[string]any{"name": strings.Repeat("g",
		101)}); r.Status != 400 {
		t.Fatalf("a 101-character group name: %d", r.Status)
	}
	if r := a.do(f.owner, "POST", base+"/collections",
		map[string]any{"name": "plain text"}); r.Status != 400 {
		t.Fatalf("an unencrypted collection name: %d", r.Status)
	}
	a.must(f.owner, "DELETE", base+"/groups/"+g.ID, nil)
	a.must(f.owner, "POST", base+"/collections/delete", map[string]any{"ids": []string{c.ID, coll}})
	a.must(f.owner, "GET", base+"/collections", nil).decode(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("collections left after the bulk delete: %+v", list.Data)
	}
	var evs struct{ Data []struct{ Type int } }
	a.must(f.owner, "GET", base+"/events", nil).decode(t, &evs)
	seen := map[int]int{}
	for _, e := range evs.Data {
		seen[e.Type]++
	}
	if seen[1300] != 1 || seen[1302] != 2 || seen[1400] != 1 || seen[1401] != 1 || seen[1402] != 1 {
		t.Fatalf("group and collection events %v", seen)
	}
}

func TestReinviteLeaveRestoreSeatsAndDelete(t *testing.T) {
	forEachEngine(t, testReinviteLeaveRestoreDelete)
}

func testReinviteLeaveRestoreDelete(t *testing.T, e storagetest.Engine) {
	seats := 5
	a, f := newFixtureOn(t, e, orgs.Config{DefaultSeats: &seats}) // 5 seats held
	base := "/api/organizations/" + f.org
	first := a.mail.lastInvite(t, "invited@acme.example")
	a.must(f.owner, "POST", base+"/users/reinvite", map[string]any{"ids": []string{f.invitedM}})
	second := a.mail.lastInvite(t, "invited@acme.example")
	if first.Token == second.Token {
		t.Fatal("a reinvitation reused the token")
	}
	if _, err := a.svc.ValidateInviteToken(context.Background(), f.invitedM,
		first.Token.Reveal()); err != nil {
		t.Fatalf("the first token stopped working: %v", err)
	}
	a.must(f.owner, "PUT", base+"/users/"+f.acceptedM+"/revoke", nil) // 4 held
	a.must(f.owner, "POST", base+"/users/invite", map[string]any{"type": 2,
		"emails": []string{"new@acme.example"}})
	r := a.do(f.owner, "PUT", base+"/users/"+f.acceptedM+"/restore", nil)
	var refused errorBody
	r.decode(t, &refused)
	if r.Status != 400 || !strings.HasPrefix(refused.Message,
		"This organization has 5 seats and 6 are needed.") {
		t.Fatalf("restore past the seat limit: %d %q", r.Status, refused.Message)
	}
	a.must(f.admin, "POST", base+"/leave", nil) // 4 held
	a.must(f.owner, "PUT", base+"/users/"+f.acceptedM+"/restore", nil)
	if m := a.memberByEmail(f.owner, f.org, "accepted@acme.example"); m.Status != 1 {
		t.Fatalf("restored to %d, want accepted (its status before revocation)", m.Status)
	}
	if r := a.do(f.admin, "GET", base+"/users", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a member who left still lists members: %d", r.Status)
	}
	a.must(f.owner, "DELETE", base, map[string]any{"masterPasswordHash": "right"})
	if r := a.do(f.owner, "GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("GET a deleted organization: %d", r.Status)
	}
	var profile struct{ Data []orgs.ProfileOrganization }
	a.must(f.owner, "GET", "/api/organizations", nil).decode(t, &profile)
	if len(profile.Data) != 0 {
		t.Fatalf("the deleted organization is still in the profile: %+v", profile.Data)
	}
}

func TestInviteTokens(t *testing.T) {
	a, f := newFixture(t, orgs.Config{InviteExpiry: time.Hour})
	ctx := context.Background()
	inv := a.mail.lastInvite(t, "invited@acme.example")
	if got := inv.ExpiresAt.Sub(a.clock.Now()); got <= 0 || got > time.Hour {
		t.Fatalf("a one-hour expiry gave %v", got)
	}
	if email, err := a.svc.ValidateInviteToken(ctx, f.invitedM, inv.Token.Reveal()); err != nil ||
		email != "invited@acme.example" {
		t.Fatalf("ValidateInviteToken = %q, %v", email, err)
	}
	for name, tok := range map[string]string{
		"other membership": a.mail.lastInvite(t, "accepted@acme.example").Token.Reveal(),
		"no prefix":        strings.TrimPrefix(inv.Token.Reveal(), orgs.InviteTokenPrefix),
		"empty":            "",
		"garbage":          orgs.InviteTokenPrefix + "AAAA",
	} {
		if _, err := a.svc.ValidateInviteToken(ctx, f.invitedM, tok); !errors.Is(err, orgs.ErrInvalidToken) {
			t.Errorf("%s: %v, want Invalid token.", name, err)
		}
	}
	// A token sealed by another installation (another key) does not open here.
	other := newAPI(t, orgs.Config{})
	owner := other.user("x@acme.example")
	other.invite(owner, other.org(owner), 2, "invited@acme.example")
	foreign := other.mail.lastInvite(t, "invited@acme.example").Token.Reveal()
	if _, err := a.svc.ValidateInviteToken(ctx, f.invitedM, foreign); !errors.Is(err, orgs.ErrInvalidToken) {
		t.Errorf("a foreign token: %v", err)
	}
	a.clock.Advance(time.Hour)
	if _, err := a.svc.ValidateInviteToken(ctx, f.invitedM, inv.Token.Reveal()); !errors.Is(err,
		orgs.ErrExpiredToken) {
		t.Errorf("after the expiry: %v, want Expired token.", err)
	}
}

func TestEventPages(t *testing.T) {
	a := newAPI(t, orgs.Config{})
	owner := a.user("owner@acme.example")
	org := a.org(owner)
	emails := make([]string, 230)
	for i := range emails {
		emails[i] = strings.Repeat("x",
			i%5+1) + "." + string(rune('a'+i%26)) + "@" + strings.Repeat("d", i/26+1) + ".example"
	}
	a.must(owner, "POST", "/api/organizations/"+org+"/users/invite", map[string]any{"type": 2,
		"emails": emails})
	seen := map[string]bool{}
	token := ""
	pages := 0
	for {
		var page struct {
			Data              []struct{ OrganizationUserID string }
			ContinuationToken *string
		}
		path := "/api/organizations/" + org + "/events"
		if token != "" {
			path += "?continuationToken=" + token
		}
		a.must(owner, "GET", path, nil).decode(t, &page)
		pages++
		for _, e := range page.Data {
			seen[e.OrganizationUserID] = true
		}
		if page.ContinuationToken == nil {
			break
		}
		token = *page.ContinuationToken
	}
	if len(seen) != 230 || pages != 3 {
		t.Fatalf("%d distinct events over %d pages, want 230 over 3", len(seen), pages)
	}
	if r := a.do(owner, "GET", "/api/organizations/"+org+"/events?continuationToken=%21",
		nil); r.Status != 400 {
		t.Fatalf("a forged continuation token: %d", r.Status)
	}
}
