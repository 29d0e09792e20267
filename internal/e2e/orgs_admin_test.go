package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/e2e"
)

// adminCLI runs `castellan admin` as one administrator.
type adminCLI struct {
	t     *testing.T
	env   *orgEnv
	admin *e2e.User
}

// ok runs a --json command that must succeed and decodes its output into out.
func (a *adminCLI) ok(out any, args ...string) e2e.AdminRun {
	a.t.Helper()
	run := e2e.RunAdmin(a.t, a.env.srv, a.admin, "", nil, append(args, "--json")...)
	decodeRun(a.t, run, out)
	return run
}

// fails runs a command that must fail and returns its stderr.
func (a *adminCLI) fails(env []string, args ...string) string {
	a.t.Helper()
	run := e2e.RunAdmin(a.t, a.env.srv, a.admin, "", env, args...)
	if run.Code == 0 {
		a.t.Fatalf("castellan admin %s succeeded; stdout %s", strings.Join(args, " "), run.Stdout)
	}
	return run.Stderr
}

func (a *adminCLI) members(orgID string) map[string]adminclient.Member {
	a.t.Helper()
	var ms []adminclient.Member
	a.ok(&ms, "members", "list", "--org", orgID)
	byID := map[string]adminclient.Member{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	return byID
}

func (env *orgEnv) adminCommand(t *testing.T) {
	a := &adminCLI{t: t, env: env, admin: e2e.Register(t, env.srv, e2e.UniqueEmail("admin"), password)}
	var org adminclient.Organization
	run := a.ok(&org, "org", "create", "--name", "Acme Admin")
	if org.ID == "" || org.Name != "Acme Admin" || org.BillingEmail != a.admin.Email ||
		!strings.Contains(run.Stderr, `created organization "Acme Admin"`) {
		t.Fatalf("org create = %+v (stderr %s)", org, run.Stderr)
	}
	var orgs []adminclient.ProfileOrganization
	a.ok(&orgs, "org", "list")
	if i := slices.IndexFunc(orgs, func(o adminclient.ProfileOrganization) bool { return o.ID == org.ID }); i < 0 ||
		orgs[i].Type != adminclient.RoleOwner || orgs[i].Status != adminclient.StatusConfirmed {
		t.Fatalf("org list = %+v", orgs)
	}

	var coll []adminclient.Collection
	a.ok(&coll, "collections", "create", "--org", org.ID, "--name", "Engineering")
	var colls []adminclient.Collection
	a.ok(&colls, "collections", "list", "--org", org.ID)
	names := map[string]string{}
	for _, c := range colls {
		names[c.ID] = c.Name
	}
	if len(coll) != 1 || names[coll[0].ID] != "Engineering" || len(colls) != 2 {
		t.Fatalf("collections after create = %+v", colls)
	}
	collID := coll[0].ID

	memberEmail := e2e.UniqueEmail("invitee")
	var invited []adminclient.Member
	a.ok(&invited, "members", "invite", "--org", org.ID, "--email", memberEmail, "--collection", collID+":ro")
	if len(invited) != 1 || invited[0].Email != memberEmail || invited[0].Status != adminclient.StatusInvited {
		t.Fatalf("members invite = %+v", invited)
	}
	memberID := invited[0].ID
	stderr := a.fails(nil, "members", "confirm", "--org", org.ID, "--member", memberID, "--yes")
	if !strings.Contains(stderr, memberEmail+" ("+memberID+") has not accepted the invitation yet") {
		t.Fatalf("confirming an invited member: %s", stderr)
	}

	inv := e2e.ReadInvitation(env.ctx, t, env.mp, memberEmail)
	member := e2e.Register(t, env.srv, memberEmail, password)
	if status, body := member.Accept(t, env.srv, inv); status != 200 || inv.MemberID != memberID {
		t.Fatalf("accept %+v: %d %s", inv, status, body)
	}
	a.confirmAtPrompt(org.ID, memberID, member)

	ac := e2e.AdminClient(t, env.srv, a.admin)
	orgKey, err := ac.OrgKey(env.ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	itemID := e2e.OrgItem(t, env.srv, a.admin, orgKey, org.ID, []string{collID}, "Build server", "ci", "ci-S3cret!")
	memberBW := env.bwLogin(t, member)
	expectItem(t, memberBW.orgItems(org.ID), itemID, "Build server", "ci-S3cret!")

	a.memberAction("revoke", org.ID, memberID, adminclient.StatusRevoked)
	if items := memberBW.orgItems(org.ID); len(items) != 0 {
		t.Fatalf("after castellan admin members revoke the member still sees %+v", items)
	}
	a.memberAction("restore", org.ID, memberID, adminclient.StatusConfirmed)
	expectItem(t, memberBW.orgItems(org.ID), itemID, "Build server", "ci-S3cret!")

	a.groups(org.ID, collID, memberID)
	a.memberAction("remove", org.ID, memberID, adminclient.Status(99))
	if items := memberBW.orgItems(org.ID); len(items) != 0 {
		t.Fatalf("after castellan admin members remove the member still sees %+v", items)
	}
	var deleted map[string]string
	a.ok(&deleted, "collections", "delete", "--org", org.ID, "--collection", collID)
	a.ok(&colls, "collections", "list", "--org", org.ID)
	if len(colls) != 1 || colls[0].Name != adminclient.DefaultCollectionName {
		t.Fatalf("collections after delete = %+v", colls)
	}
}

// confirmAtPrompt answers no, then yes, at the fingerprint prompt of `members confirm --all`, and
// checks that the phrase shown is the one the member's own client computes.
func (a *adminCLI) confirmAtPrompt(orgID, memberID string, member *e2e.User) {
	t := a.t
	der, err := base64.StdEncoding.DecodeString(member.Account.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	want, err := bwcrypto.FingerprintPhrase(member.ID, der)
	if err != nil {
		t.Fatal(err)
	}
	for _, answer := range []string{"n\n", "y\n"} {
		run := e2e.RunAdmin(t, a.env.srv, a.admin, answer, nil, "members", "confirm", "--org", orgID, "--all", "--json")
		var rows []struct{ ID, UserID, Email, Fingerprint, Result string }
		decodeRun(t, run, &rows)
		wantResult := map[string]string{"n\n": "skipped", "y\n": "confirmed"}[answer]
		if len(rows) != 1 || rows[0].Fingerprint != want || rows[0].UserID != member.ID || rows[0].Result != wantResult {
			t.Fatalf("members confirm answered %q = %+v; want fingerprint %q, %s", answer, rows, want, wantResult)
		}
		if !strings.Contains(run.Stderr, "fingerprint phrase: "+want) ||
			!strings.Contains(run.Stderr, "Confirm "+member.Email+"?") {
			t.Fatalf("members confirm did not show the phrase and prompt: %s", run.Stderr)
		}
	}
	if m := a.members(orgID)[memberID]; m.Status != adminclient.StatusConfirmed {
		t.Fatalf("after confirm the member is %s", m.Status)
	}
}

// memberAction runs revoke, restore or remove and checks the member's status after (99: gone).
func (a *adminCLI) memberAction(verb, orgID, memberID string, want adminclient.Status) {
	a.t.Helper()
	var out []struct{ ID, Result string }
	a.ok(&out, "members", verb, "--org", orgID, "--member", memberID)
	if len(out) != 1 || out[0].ID != memberID {
		a.t.Fatalf("members %s = %+v", verb, out)
	}
	m, ok := a.members(orgID)[memberID]
	if want == 99 {
		if ok {
			a.t.Fatalf("after members remove the member is still listed: %+v", m)
		}
		return
	}
	if !ok || m.Status != want {
		a.t.Fatalf("after members %s the member is %+v, want %s", verb, m, want)
	}
}

// groups creates a group with the member, lists, empties and deletes it.
func (a *adminCLI) groups(orgID, collID, memberID string) {
	t := a.t
	var created []adminclient.Group
	a.ok(&created, "groups", "create", "--org", orgID, "--name", "Release team", "--collection", collID+":manage",
		"--member", memberID)
	if len(created) != 1 || created[0].Name != "Release team" {
		t.Fatalf("groups create = %+v", created)
	}
	groupID := created[0].ID
	var gs []adminclient.Group
	a.ok(&gs, "groups", "list", "--org", orgID)
	if len(gs) != 1 || gs[0].ID != groupID || len(gs[0].Collections) != 1 || !gs[0].Collections[0].Manage {
		t.Fatalf("groups list = %+v", gs)
	}
	var ids []string
	a.ok(&ids, "groups", "members", "--org", orgID, "--group", groupID)
	if len(ids) != 1 || ids[0] != memberID {
		t.Fatalf("groups members = %v", ids)
	}
	a.ok(&ids, "groups", "members", "--org", orgID, "--group", groupID, "--remove", memberID)
	if len(ids) != 0 {
		t.Fatalf("groups members --remove = %v", ids)
	}
	a.ok(&ids, "groups", "members", "--org", orgID, "--group", groupID)
	if len(ids) != 0 {
		t.Fatalf("the server kept the removed member: %v", ids)
	}
	var deleted map[string]string
	a.ok(&deleted, "groups", "delete", "--org", orgID, "--group", groupID)
	a.ok(&gs, "groups", "list", "--org", orgID)
	if len(gs) != 0 {
		t.Fatalf("groups after delete = %+v", gs)
	}
}

func (env *orgEnv) adminBadInput(t *testing.T) {
	a := &adminCLI{t: t, env: env, admin: e2e.Register(t, env.srv, e2e.UniqueEmail("badinput"), password)}
	var org adminclient.Organization
	a.ok(&org, "org", "create", "--name", "Bad Input")

	t.Run("WrongPassword", func(t *testing.T) {
		stderr := a.fails([]string{"CASTELLAN_ADMIN_PASSWORD=not-the-password"}, "org", "list")
		if !strings.Contains(stderr, "Username or password is incorrect. Try again.") {
			t.Errorf("stderr = %s", stderr)
		}
	})
	t.Run("UnknownOrganization", func(t *testing.T) {
		unknown := uuid.NewString()
		_, body := e2e.Do(t, env.srv, a.admin.Token, "GET", "/api/organizations/"+unknown+"/users", nil)
		var serverErr struct{ Message string }
		if err := json.Unmarshal(body, &serverErr); err != nil || serverErr.Message == "" {
			t.Fatalf("the server's answer for an unknown organization: %s", body)
		}
		if stderr := a.fails(nil, "members", "list", "--org", unknown); !strings.Contains(stderr, serverErr.Message) {
			t.Errorf("members list: stderr %q lacks the server's message %q", stderr, serverErr.Message)
		}
		if stderr := a.fails(nil, "collections", "list", "--org", unknown); !strings.Contains(stderr, "not a member") {
			t.Errorf("collections list: stderr = %s", stderr)
		}
	})
	t.Run("ConfirmNotAccepted", func(t *testing.T) {
		var invited []adminclient.Member
		a.ok(&invited, "members", "invite", "--org", org.ID, "--email", e2e.UniqueEmail("pending"))
		stderr := a.fails(nil, "members", "confirm", "--org", org.ID, "--member", invited[0].ID, "--yes")
		if !strings.Contains(stderr, "has not accepted the invitation yet: only members who accepted can be confirmed") {
			t.Errorf("stderr = %s", stderr)
		}
		if m := a.members(org.ID)[invited[0].ID]; m.Status != adminclient.StatusInvited {
			t.Errorf("the refused confirmation changed the member: %+v", m)
		}
	})
	t.Run("InvalidEmail", func(t *testing.T) {
		stderr := a.fails(nil, "members", "invite", "--org", org.ID, "--email", "not-an-address")
		_, msg, _ := strings.Cut(stderr, "castellan: invite to organization "+org.ID+": ")
		if strings.TrimSpace(msg) == "" {
			t.Errorf("stderr = %s", stderr)
		}
	})
}
