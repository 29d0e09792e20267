package orgs_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// refusal is a request that must be refused with an official-shaped error and change nothing.
type refusal struct {
	name    string
	setup   func(a *api, f *fixture) (user, method, path string, body any)
	status  int
	message string
	field   string // a validationErrors key the answer must have, if any
	// every: run on PostgreSQL and MariaDB too (the list of bad input); the others run on
	// SQLite only, since the rules do not depend on the engine.
	every bool
}

// fixture is an organization with an owner, an admin, a custom member who manages users only, an
// invited address, an accepted member and a second account not in the organization.
type fixture struct {
	org                                     string
	owner, admin, custom, accepted, outside string
	ownerM, adminM, customM, acceptedM      string
	invitedM                                string
}

func newFixture(t *testing.T, cfg orgs.Config) (*api, *fixture) {
	return newFixtureOn(t, storagetest.Engines()[0], cfg)
}

func newFixtureOn(t *testing.T, e storagetest.Engine, cfg orgs.Config) (*api, *fixture) {
	a := newAPIOn(t, storagetest.OpenFresh(t, e), cfg)
	f := &fixture{owner: a.user("owner@acme.example"), admin: a.user("admin@acme.example"),
		custom: a.user("custom@acme.example"), accepted: a.user("accepted@acme.example"),
		outside: a.user("outside@else.example")}
	a.user("invited@acme.example") // an account exists, but has not accepted
	f.org = a.org(f.owner)
	f.ownerM = a.memberByEmail(f.owner, f.org, "owner@acme.example").ID
	f.adminM = a.confirmed(f.owner, f.org, f.admin, 1)
	f.customM = a.join(f.owner, f.org, f.custom, 4)
	a.must(f.owner, "PUT", "/api/organizations/"+f.org+"/users/"+f.customM, map[string]any{
		"type": 4, "permissions": map[string]any{"manageUsers": true}})
	a.must(f.owner, "POST", "/api/organizations/"+f.org+"/users/"+f.customM+"/confirm",
		map[string]any{"key": rsaEnc(t)})
	f.acceptedM = a.join(f.owner, f.org, f.accepted, 2)
	f.invitedM = a.invite(f.owner, f.org, 2, "invited@acme.example")
	return a, f
}

func usersPath(f *fixture, rest string) string {
	return "/api/organizations/" + f.org + "/users" + rest
}

func TestRefusalsChangeNothing(t *testing.T) {
	seats := 6 // the fixture holds 5
	cases := []refusal{
		{name: "InvalidEmail", every: true, status: 400, message: "The model state is invalid.",
			field: "Emails",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails": []string{"good@acme.example", "not an email"}}
			}},
		{name: "DisplayNameEmail", status: 400, message: "The model state is invalid.", field: "Emails",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails": []string{"Eve <eve@acme.example>"}}
			}},
		{name: "DuplicateInvitation", every: true, status: 400,
			message: "This user has already been invited.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails": []string{"INVITED@acme.example"}}
			}},
		{name: "InviteExistingMemberByAccountEmail", status: 400,
			message: "This user has already been invited.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails": []string{"accepted@acme.example"}}
			}},
		{name: "SeatsExceeded", every: true, status: 400,
			message: "This organization has 6 seats and 7 are needed.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails": []string{"n1@acme.example", "n2@acme.example"}}
			}},
		{name: "AdminMakesOwner", status: 400,
			message: "Only an Owner can configure another Owner's account.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.admin, "POST", usersPath(f, "/invite"), map[string]any{"type": 0,
					"emails": []string{"boss@acme.example"}}
			}},
		{name: "CustomGrantsMoreThanItHas", status: 400,
			message: "Custom users can only grant the same custom permissions that they have.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.custom, "POST", usersPath(f, "/invite"), map[string]any{"type": 4,
					"emails": []string{"c2@acme.example"}, "permissions": map[string]any{"manageGroups": true}}
			}},
		{name: "CustomInvitesAdmin", status: 400, message: "Custom users can not manage Admins or Owners.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.custom, "POST", usersPath(f, "/invite"), map[string]any{"type": 1,
					"emails": []string{"a2@acme.example"}}
			}},
		{name: "ManageWithReadOnly", every: true, status: 400,
			message: "The Manage property is mutually exclusive",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				cid := firstCollection(a, f)
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails":      []string{"m@acme.example"},
					"collections": []any{map[string]any{"id": cid, "readOnly": true, "manage": true}}}
			}},
		{name: "ForeignCollection", status: 400, message: "The model state is invalid.", field: "Collections",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails":      []string{"m@acme.example"},
					"collections": []any{map[string]any{"id": "00000000-0000-4000-8000-000000000001"}}}
			}},
		{name: "AcceptByDifferentAccount", every: true, status: 400,
			message: "User email does not match invite.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				tok := a.mail.lastInvite(a.t, "invited@acme.example").Token.Reveal()
				return f.outside, "POST", usersPath(f, "/"+f.invitedM+"/accept"), map[string]any{"token": tok}
			}},
		{name: "SecondAcceptance", every: true, status: 400, message: "Invitation already accepted.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				tok := a.mail.lastInvite(a.t, "accepted@acme.example").Token.Reveal()
				return f.accepted, "POST", usersPath(f,
					"/"+f.acceptedM+"/accept"), map[string]any{"token": tok}
			}},
		{name: "AcceptAfterAnotherAccountAccepted", status: 400,
			message: "This invitation has already been accepted.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				tok := a.mail.lastInvite(a.t, "accepted@acme.example").Token.Reveal()
				return f.outside, "POST", usersPath(f,
					"/"+f.acceptedM+"/accept"), map[string]any{"token": tok}
			}},
		{name: "AcceptWithTokenOfAnotherInvitation", status: 400, message: "Invalid token.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				tok := a.mail.lastInvite(a.t, "accepted@acme.example").Token.Reveal()
				return a.userID("invited@acme.example"), "POST", usersPath(f, "/"+f.invitedM+"/accept"),
					map[string]any{"token": tok}
			}},
		{name: "AcceptWithAlteredToken", status: 400, message: "Invalid token.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				tok := a.mail.lastInvite(a.t, "invited@acme.example").Token.Reveal()
				tok = tok[:len(tok)-2] + flip(tok[len(tok)-2:])
				return a.userID("invited@acme.example"), "POST", usersPath(f, "/"+f.invitedM+"/accept"),
					map[string]any{"token": tok}
			}},
		{name: "AcceptExpiredToken", status: 400, message: "Expired token.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				tok := a.mail.lastInvite(a.t, "invited@acme.example").Token.Reveal()
				a.clock.Advance(orgs.DefaultInviteExpiry + time.Second)
				return a.userID("invited@acme.example"), "POST", usersPath(f, "/"+f.invitedM+"/accept"),
					map[string]any{"token": tok}
			}},
		{name: "AcceptRevokedInvitation", status: 400,
			message: "Your access to this organization has been revoked.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				a.must(f.owner, "PUT", usersPath(f, "/"+f.invitedM+"/revoke"), nil)
				tok := a.mail.lastInvite(a.t, "invited@acme.example").Token.Reveal()
				return a.userID("invited@acme.example"), "POST", usersPath(f, "/"+f.invitedM+"/accept"),
					map[string]any{"token": tok}
			}},
		{name: "ConfirmNotAccepted", every: true, status: 400, message: "User not valid.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f,
					"/"+f.invitedM+"/confirm"), map[string]any{"key": rsaEnc(a.t)}
			}},
		{name: "ConfirmWithBadKey", status: 400, message: "The model state is invalid.", field: "Key",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f,
					"/"+f.acceptedM+"/confirm"), map[string]any{"key": "4.not base64!"}
			}},
		{name: "RevokeLastOwner", every: true, status: 400,
			message: "Organization must have at least one confirmed owner.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "PUT", usersPath(f, "/"+f.ownerM+"/revoke"), nil
			}},
		{name: "RemoveLastOwner", every: true, status: 400,
			message: "Organization must have at least one confirmed owner.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "DELETE", usersPath(f, "/"+f.ownerM), nil
			}},
		{name: "BulkRemoveLastOwnerLegacyPost", status: 400,
			message: "Organization must have at least one confirmed owner.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/"+f.ownerM+"/remove"), nil
			}},
		{name: "LastOwnerLeaves", every: true, status: 400,
			message: "Organization must have at least one confirmed owner.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", "/api/organizations/" + f.org + "/leave", nil
			}},
		{name: "LastOwnerDemoted", status: 400,
			message: "Organization must have at least one confirmed owner.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "PUT", usersPath(f, "/"+f.ownerM), map[string]any{"type": 1}
			}},
		{name: "AdminRevokesOwner", status: 400, message: "Only owners can revoke other owners.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				second := a.confirmed(f.owner, f.org, a.user("owner2@acme.example"), 0)
				return f.admin, "PUT", usersPath(f, "/"+second+"/revoke"), nil
			}},
		{name: "RevokeSelf", status: 400, message: "You cannot revoke yourself.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.admin, "PATCH", usersPath(f, "/"+f.adminM+"/revoke"), nil
			}},
		{name: "CustomRemovesAdmin", status: 400, message: "Custom users can not manage Admins or Owners.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.custom, "DELETE", usersPath(f, "/"+f.adminM), nil
			}},
		{name: "RestoreActive", status: 400, message: "Already active.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "PUT", usersPath(f, "/"+f.acceptedM+"/restore"), nil
			}},
		{name: "ReinviteAccepted", status: 400, message: "User invalid.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "POST", usersPath(f, "/"+f.acceptedM+"/reinvite"), nil
			}},
		{name: "DeleteOrgWrongPassword", status: 400, message: "The model state is invalid.",
			field: "MasterPasswordHash",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "DELETE", "/api/organizations/" + f.org, map[string]any{"masterPasswordHash": "wrong"}
			}},
		{name: "OutsiderInvites", status: 404, message: "Resource not found.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.outside, "POST", usersPath(f, "/invite"), map[string]any{"type": 2,
					"emails": []string{"x@acme.example"}}
			}},
		{name: "PlainUserLists", status: 404, message: "Resource not found.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				u := a.user("plain@acme.example")
				a.confirmed(f.owner, f.org, u, 2)
				return u, "POST", usersPath(f, "/"+f.acceptedM+"/confirm"), map[string]any{"key": rsaEnc(a.t)}
			}},
		{name: "NotAGUID", status: 404, message: "Resource not found.",
			setup: func(a *api, f *fixture) (string, string, string, any) {
				return f.owner, "GET", "/api/organizations/acme/users", nil
			}},
	}
	forEachEngine(t, func(t *testing.T, e storagetest.Engine) {
		for _, c := range cases {
			if c.every || e.Name == "sqlite" {
				t.Run(c.name, func(t *testing.T) { checkRefusal(t, e, c, seats) })
			}
		}
	})
}

// checkRefusal runs one refusal case on a fresh fixture.
func checkRefusal(t *testing.T, e storagetest.Engine, c refusal, seats int) {
	t.Helper()
	a, f := newFixtureOn(t, e, orgs.Config{DefaultSeats: &seats})
	user, method, path, body := c.setup(a, f)
	before := a.snapshot(f.org)
	r := a.do(user, method, path, body)
	var got errorBody
	r.decode(t, &got)
	if r.Status != c.status || !strings.HasPrefix(got.Message, c.message) || got.Object != "error" {
		t.Fatalf("got %d %q, want %d %q", r.Status, got.Message, c.status, c.message)
	}
	if c.field != "" && len(got.ValidationErrors[c.field]) == 0 {
		t.Fatalf("validationErrors %v lack %s", got.ValidationErrors, c.field)
	}
	if after := a.snapshot(f.org); after != before {
		t.Fatalf("the organization changed:\nbefore\n%s\nafter\n%s", before, after)
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// userID finds an account made by the harness.
func (a *api) userID(email string) string {
	for id, e := range a.emails {
		if e == email {
			return id
		}
	}
	a.t.Fatalf("no account %s", email)
	return ""
}

func firstCollection(a *api, f *fixture) string {
	var l struct{ Data []struct{ ID string } }
	a.must(f.owner, "GET", "/api/organizations/"+f.org+"/collections", nil).decode(a.t, &l)
	return l.Data[0].ID
}

func TestNoRefusalIs401Or403(t *testing.T) {
	a, f := newFixture(t, orgs.Config{})
	for _, p := range []struct{ method, path string }{
		{"GET", "/api/organizations/" + f.org}, {"GET", usersPath(f, "")}, {"GET", usersPath(f,
			"/"+f.adminM)},
		{"PUT", usersPath(f, "/"+f.adminM+"/revoke")}, {"GET", "/api/organizations/" + f.org + "/events"},
		{"GET", "/api/organizations/" + f.org + "/groups"}, {"POST",
			"/api/organizations/" + f.org + "/collections"},
	} {
		r := a.do(f.outside, p.method, p.path, map[string]any{})
		if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status < 400 {
			t.Errorf("%s %s as an outsider: %d", p.method, p.path, r.Status)
		}
	}
}

func TestBulkResultsAndPartialCommit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e storagetest.Engine) { testBulkResults(t, e) })
}

func testBulkResults(t *testing.T, e storagetest.Engine) {
	a, f := newFixtureOn(t, e, orgs.Config{})
	other := a.join(f.owner, f.org, a.user("second@acme.example"), 2)
	var res struct {
		Data []struct {
			ID, Error, Object string
		}
		Object string
	}
	a.must(f.owner, "POST", usersPath(f, "/confirm"), map[string]any{"keys": []any{
		map[string]any{"id": f.acceptedM, "key": rsaEnc(t)}, map[string]any{"id": f.invitedM,
			"key": rsaEnc(t)},
		map[string]any{"id": other, "key": rsaEnc(t)}}}).decode(t, &res)
	if res.Object != "list" || len(res.Data) != 3 || res.Data[0].Error != "" || res.Data[1].Error != "User not valid." ||
		res.Data[2].Error != "" || res.Data[0].Object != "OrganizationBulkConfirmResponseModel" {
		t.Fatalf("bulk confirm results %+v", res)
	}
	for _, m := range a.members(f.owner, f.org) {
		if (m.ID == f.acceptedM || m.ID == other) && m.Status != 2 {
			t.Fatalf("member %s not confirmed: %d", m.ID, m.Status)
		}
	}
	a.must(f.owner, "PUT", usersPath(f, "/revoke"), map[string]any{"ids": []string{f.ownerM,
		f.acceptedM}}).decode(t, &res)
	if res.Data[0].Error != "Organization must have at least one confirmed owner." || res.Data[1].Error != "" {
		t.Fatalf("bulk revoke results %+v", res)
	}
}

func TestMembershipJourney(t *testing.T) {
	forEachEngine(t, testMembershipJourney)
}

func testMembershipJourney(t *testing.T, e storagetest.Engine) {
	a := newAPIOn(t, storagetest.OpenFresh(t, e), orgs.Config{})
	owner, bob := a.user("owner@acme.example"), a.user("bob@acme.example")
	org := a.org(owner)
	var profile struct{ Data []orgs.ProfileOrganization }
	a.must(owner, "GET", "/api/organizations", nil).decode(t, &profile)
	if len(profile.Data) != 1 || profile.Data[0].Key == nil || profile.Data[0].Type != orgs.RoleOwner ||
		!profile.Data[0].UseSso || profile.Data[0].ProductTierType != 3 || !profile.Data[0].SelfHost {
		t.Fatalf("owner's profile organizations %+v", profile.Data)
	}
	coll := firstCollection(a, &fixture{org: org, owner: owner})
	id := a.invite(owner, org, 2, "BOB@acme.example")
	inv := a.mail.lastInvite(t, "bob@acme.example")
	if inv.MemberID != id || !inv.UserExists || inv.OrganizationName != "Acme" ||
		!strings.HasPrefix(inv.Token.Reveal(),
			orgs.InviteTokenPrefix) || inv.ExpiresAt.Sub(t0).Round(time.Minute) != 120*time.Hour {
		t.Fatalf("invitation %+v", inv)
	}
	a.must(bob, "POST", "/api/organizations/"+org+"/users/"+id+"/accept",
		map[string]any{"token": inv.Token.Reveal()})
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+id, map[string]any{"type": 2,
		"collections": []any{map[string]any{"id": coll, "readOnly": true}}})
	var keys struct {
		Data []struct{ ID, UserID, Key string }
	}
	a.must(owner, "POST", "/api/organizations/"+org+"/users/public-keys",
		map[string]any{"ids": []string{id}}).decode(t, &keys)
	if len(keys.Data) != 1 || keys.Data[0].UserID != bob || keys.Data[0].Key != testKey() {
		t.Fatalf("public keys %+v", keys)
	}
	var details struct{ Status int }
	a.must(owner, "GET", "/api/organizations/"+org+"/users/"+id+"?", nil).decode(t, &details)
	if details.Status != 1 {
		t.Fatalf("details status %d, want accepted", details.Status)
	}
	a.must(owner, "POST", "/api/organizations/"+org+"/users/"+id+"/confirm", map[string]any{"key": rsaEnc(t)})
	if !slices.Contains(a.mail.confirmed, "bob@acme.example") {
		t.Fatal("no confirmation notice")
	}
	seesCollection := func(want bool) {
		t.Helper()
		var l struct {
			Data []struct {
				ID       string
				ReadOnly bool
			}
		}
		a.must(bob, "GET", "/api/collections", nil).decode(t, &l)
		if got := len(l.Data) == 1 && l.Data[0].ID == coll && l.Data[0].ReadOnly; got != want {
			t.Fatalf("bob sees the collection: %v, want %v (%+v)", got, want, l.Data)
		}
	}
	seesCollection(true)
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+id+"/revoke", nil)
	seesCollection(false)
	a.must(bob, "GET", "/api/organizations", nil).decode(t, &profile)
	if len(profile.Data) != 1 || profile.Data[0].Status != orgs.StatusRevoked || profile.Data[0].Key != nil {
		t.Fatalf("revoked member's profile %+v", profile.Data)
	}
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+id+"/restore", nil)
	seesCollection(true)
	if m := a.memberByEmail(owner, org, "bob@acme.example"); m.Status != 2 {
		t.Fatalf("restored status %d, want confirmed", m.Status)
	}
	var evs struct {
		Data []struct {
			Type               int
			OrganizationUserID *string
			ActingUserID       *string
			DeviceType         *int
		}
	}
	a.must(owner, "GET",
		"/api/organizations/"+org+"/events?start=2026-12-01T00:00:00Z&end=2026-12-31T00:00:00Z",
		nil).decode(t, &evs)
	var types []int
	for _, e := range evs.Data {
		types = append(types, e.Type)
	}
	want := []int{1512, 1511, 1501, 1502, 1500}
	if !slices.Equal(types, want) || *evs.Data[0].ActingUserID != owner || *evs.Data[0].DeviceType != 25 {
		t.Fatalf("events %v, want %v", types, want)
	}
}
