package e2e_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestOrganizations is issue 4's acceptance test, on SQLite and PostgreSQL, against `castellan
// serve` over TLS that sends its mail to mailpit over STARTTLS:
//
//   - OfficialCLI: an admin (adminclient) creates an organization and invites a member by e-mail;
//     the member registers and accepts with the token from the received e-mail; the admin confirms
//     with `bw confirm org-member`; the member's `bw sync -f` shows the organization and decrypts an
//     item the admin created with `bw create item` in a shared collection; after a revoke the item
//     is gone at the next sync, after a restore it is back.
//   - AdminCommand: the same journey through `castellan admin` (create, collections, invite,
//     confirm at the fingerprint prompt, revoke, restore, groups, remove).
//   - AdminBadInput: wrong password, unknown organization, confirming a member who has not
//     accepted, an invalid address: a clear message and a non-zero exit.
func TestOrganizations(t *testing.T) {
	for _, e := range storagetest.Engines() {
		if e.Name != "sqlite" && e.Name != "postgres" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			// Each engine has its own server, mail sink and CLI devices.
			t.Parallel()
			testpeers.BWCLI(t, testpeers.BWConfig{}) // applies the missing-tool rule first
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			srv, mp := e2e.StartWithMail(t, e.Fresh(t))
			env := &orgEnv{ctx: ctx, srv: srv, mp: mp}
			t.Run("OfficialCLI", env.officialCLI)
			t.Run("AdminCommand", env.adminCommand)
			t.Run("AdminBadInput", env.adminBadInput)
		})
	}
}

// orgEnv is what the journeys share: one server and one mail sink.
type orgEnv struct {
	ctx context.Context
	srv *castellantest.Server
	mp  *testpeers.Mailpit
}

// orgBW is one official CLI device logged in as one user.
type orgBW struct {
	t   *testing.T
	ctx context.Context
	bw  *testpeers.BW
}

// bwLogin points a fresh CLI device at srv and logs u in; the session is kept for later runs.
func (env *orgEnv) bwLogin(t *testing.T, u *e2e.User) *orgBW {
	t.Helper()
	b := &orgBW{t: t, ctx: env.ctx, bw: testpeers.BWCLI(t, testpeers.BWConfig{CAFile: env.srv.CAFile})}
	if _, stderr, err := b.bw.Run(env.ctx, nil, "config", "server", env.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	b.bw.Setenv("BW_PASSWORD", u.Password)
	session, stderr, err := b.bw.Run(env.ctx, nil, "login", u.Email, "--passwordenv", "BW_PASSWORD", "--raw")
	if session = strings.TrimSpace(session); err != nil || session == "" {
		t.Fatalf("bw login as %s: %v (stderr: %s)", u.Email, err, stderr)
	}
	b.bw.Setenv("BW_SESSION", session)
	return b
}

// run runs the CLI with --response and decodes its data into out (nil: ignored).
func (b *orgBW) run(out any, args ...string) {
	b.t.Helper()
	resp, err := b.bw.JSON(b.ctx, args...)
	if err != nil {
		b.t.Fatalf("bw %s: %v", strings.Join(args, " "), err)
	}
	if out != nil {
		if err := resp.Decode(out); err != nil {
			b.t.Fatalf("bw %s: %v", args[0], err)
		}
	}
}

// orgItem is what the test reads of an item the CLI decrypted.
type orgItem struct {
	ID             string   `json:"id"`
	OrganizationID string   `json:"organizationId"`
	CollectionIDs  []string `json:"collectionIds"`
	Name           string   `json:"name"`
	Login          struct {
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"login"`
}

// orgItems syncs from the server and lists the organization's items as the CLI decrypts them.
func (b *orgBW) orgItems(orgID string) []orgItem {
	b.t.Helper()
	b.run(nil, "sync", "-f")
	var out struct{ Data []orgItem }
	b.run(&out, "list", "items", "--organizationid", orgID)
	return out.Data
}

// organizations lists the organizations the CLI knows after its last sync.
func (b *orgBW) organizations() map[string]string {
	b.t.Helper()
	var out struct {
		Data []struct{ ID, Name string }
	}
	b.run(&out, "list", "organizations")
	names := map[string]string{}
	for _, o := range out.Data {
		names[o.ID] = o.Name
	}
	return names
}

// expectItem fails unless items holds exactly the item with that id, name and password.
func expectItem(t *testing.T, items []orgItem, id, name, password string) {
	t.Helper()
	if len(items) != 1 || items[0].ID != id || items[0].Name != name || items[0].Login.Password != password {
		t.Fatalf("organization items = %+v, want only %s (%q, password %q)", items, id, name, password)
	}
}

func (env *orgEnv) officialCLI(t *testing.T) {
	admin := e2e.Register(t, env.srv, e2e.UniqueEmail("owner"), password)
	ac := e2e.AdminClient(t, env.srv, admin)
	org, err := ac.CreateOrganization(env.ctx, adminclient.NewOrganization{Name: "Acme CLI"})
	if err != nil {
		t.Fatal(err)
	}
	collID := collectionNamed(t, ac, org.ID, adminclient.DefaultCollectionName)

	memberEmail := e2e.UniqueEmail("member")
	err = ac.Invite(env.ctx, org.ID, adminclient.Invitation{Emails: []string{memberEmail},
		Type: adminclient.RoleUser, Collections: []adminclient.Access{{ID: collID}}})
	if err != nil {
		t.Fatal(err)
	}
	inv := e2e.ReadInvitation(env.ctx, t, env.mp, memberEmail)
	if inv.OrganizationID != org.ID || inv.Email != memberEmail || inv.OrganizationName != "Acme CLI" ||
		inv.ExistingUser {
		t.Fatalf("join link = %+v", inv)
	}
	member := e2e.Register(t, env.srv, memberEmail, password)
	if status, body := member.Accept(t, env.srv, inv); status != 200 {
		t.Fatalf("accept: %d %s", status, body)
	}

	adminBW := env.bwLogin(t, admin)
	confirmWithCLI(t, adminBW, org.ID, inv.MemberID)
	itemID := createItemWithCLI(t, adminBW, org.ID, collID)

	memberBW := env.bwLogin(t, member)
	memberBW.run(nil, "sync", "-f")
	if orgs := memberBW.organizations(); orgs[org.ID] != "Acme CLI" {
		t.Fatalf("bw list organizations as the member = %v, want %s (Acme CLI)", orgs, org.ID)
	}
	expectItem(t, memberBW.orgItems(org.ID), itemID, "Deploy key", "shared-S3cret!")

	if err := ac.Revoke(env.ctx, org.ID, inv.MemberID); err != nil {
		t.Fatal(err)
	}
	if items := memberBW.orgItems(org.ID); len(items) != 0 {
		t.Fatalf("after revoke the member still sees %+v", items)
	}
	if err := ac.Restore(env.ctx, org.ID, inv.MemberID); err != nil {
		t.Fatal(err)
	}
	expectItem(t, memberBW.orgItems(org.ID), itemID, "Deploy key", "shared-S3cret!")
}

// collectionNamed returns the id of the organization's collection with that (decrypted) name.
func collectionNamed(t *testing.T, ac *adminclient.Client, orgID, name string) string {
	t.Helper()
	cs, err := ac.Collections(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c.ID
		}
	}
	t.Fatalf("no collection %q in %+v", name, cs)
	return ""
}

// bwMember is a row of `bw list org-members`.
type bwMember struct {
	ID     string `json:"id"`
	Email  string `json:"email"`
	Status int    `json:"status"`
}

// memberStatus lists the organization's members with the CLI and returns the status of one.
func (b *orgBW) memberStatus(orgID, memberID string) int {
	b.t.Helper()
	var out struct{ Data []bwMember }
	b.run(&out, "list", "org-members", "--organizationid", orgID)
	i := slices.IndexFunc(out.Data, func(m bwMember) bool { return m.ID == memberID })
	if i < 0 {
		b.t.Fatalf("bw list org-members = %+v, lacks %s", out.Data, memberID)
	}
	return out.Data[i].Status
}

// confirmWithCLI confirms an accepted member with `bw confirm org-member`, checking the status the
// CLI sees before and after.
func confirmWithCLI(t *testing.T, b *orgBW, orgID, memberID string) {
	t.Helper()
	b.run(nil, "sync", "-f")
	if st := b.memberStatus(orgID, memberID); st != 1 {
		t.Fatalf("before bw confirm org-member the member's status is %d, want accepted (1)", st)
	}
	b.run(nil, "confirm", "org-member", memberID, "--organizationid", orgID)
	if st := b.memberStatus(orgID, memberID); st != 2 {
		t.Fatalf("after bw confirm org-member the member's status is %d, want confirmed (2)", st)
	}
}

// createItemWithCLI creates a login in the collection with `bw create item` and returns its id.
func createItemWithCLI(t *testing.T, b *orgBW, orgID, collID string) string {
	t.Helper()
	var tmpl map[string]any
	b.run(&tmpl, "get", "template", "item")
	tmpl["type"], tmpl["name"], tmpl["notes"] = 1, "Deploy key", nil
	tmpl["organizationId"], tmpl["collectionIds"] = orgID, []string{collID}
	tmpl["login"] = map[string]any{"uris": []any{}, "username": "deploy", "password": "shared-S3cret!", "totp": nil}
	var created orgItem
	b.run(&created, "create", "item", encode(t, tmpl))
	if created.ID == "" || created.OrganizationID != orgID || !slices.Contains(created.CollectionIDs, collID) {
		t.Fatalf("bw create item = %+v", created)
	}
	return created.ID
}

// decodeRun parses a `castellan admin --json` run's stdout into out, failing on a non-zero exit.
func decodeRun(t *testing.T, run e2e.AdminRun, out any) {
	t.Helper()
	if run.Code != 0 {
		t.Fatalf("castellan admin exited %d: %s", run.Code, run.Stderr)
	}
	if err := json.Unmarshal([]byte(run.Stdout), out); err != nil {
		t.Fatalf("castellan admin --json output %q: %v (stderr: %s)", run.Stdout, err, run.Stderr)
	}
}
