package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestSingleOrganization is the Single Organization part of issue 7's acceptance, on SQLite and
// PostgreSQL, against `castellan serve` over TLS with its mail in mailpit. The owner turns the
// policy on with `castellan admin policies set`; then:
//   - a confirmed member of another organization receives the invitation but cannot accept it
//     (as the web vault accepts: the Join link's token through the API), and stays Invited;
//   - a member who joined under the policy cannot accept an invitation of another organization;
//   - turning the policy on in a second organization revokes its member who also belongs to the
//     first one (reason 4), `castellan admin members restore` is refused naming the address, and
//     works once the member has left the other organization; the official CLI (`bw list
//     org-members`) shows the statuses.
func TestSingleOrganization(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		if eng.Name != "sqlite" && eng.Name != "postgres" {
			continue
		}
		t.Run(eng.Name, func(t *testing.T) {
			testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			srv, mp := e2e.StartWithMail(t, eng.Fresh(t))
			singleOrgJourney(ctx, t, &policyEnv{ctx: ctx, srv: srv, mp: mp})
		})
	}
}

// policyEnv is what the policy journeys share.
type policyEnv struct {
	ctx context.Context
	srv *castellantest.Server
	mp  *testpeers.Mailpit
}

// owner registers an account, logs its admin client in and creates an organization named name.
func (env *policyEnv) owner(t *testing.T, prefix, name string) (*e2e.User, *adminclient.Client, string) {
	t.Helper()
	u := e2e.Register(t, env.srv, e2e.UniqueEmail(prefix), password)
	ac := e2e.AdminClient(t, env.srv, u)
	org, err := ac.CreateOrganization(env.ctx, adminclient.NewOrganization{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return u, ac, org.ID
}

// invite invites u into orgID as a user and returns the invitation the mail carried.
func (env *policyEnv) invite(t *testing.T, ac *adminclient.Client, orgID string, u *e2e.User) e2e.Invitation {
	t.Helper()
	if err := env.mp.DeleteAll(env.ctx); err != nil {
		t.Fatal(err)
	}
	if err := ac.Invite(env.ctx, orgID, adminclient.Invitation{Emails: []string{u.Email},
		Type: adminclient.RoleUser}); err != nil {
		t.Fatal(err)
	}
	inv := e2e.ReadInvitation(env.ctx, t, env.mp, u.Email)
	if inv.OrganizationID != orgID {
		t.Fatalf("the invitation to %s names organization %s, not %s", u.Email, inv.OrganizationID, orgID)
	}
	return inv
}

// join invites u, has u accept and confirms u; it returns the membership id.
func (env *policyEnv) join(t *testing.T, ac *adminclient.Client, orgID string, u *e2e.User) string {
	t.Helper()
	inv := env.invite(t, ac, orgID, u)
	if status, body := u.Accept(t, env.srv, inv); status != http.StatusOK {
		t.Fatalf("%s accepts: %d %s", u.Email, status, body)
	}
	keys, err := ac.PublicKeys(env.ctx, orgID, []string{inv.MemberID})
	if err != nil || len(keys) != 1 {
		t.Fatalf("public key of %s: %v %v", u.Email, keys, err)
	}
	if res, err := ac.Confirm(env.ctx, orgID, keys); err != nil || len(res) != 1 || res[0].Error != "" {
		t.Fatalf("confirm %s: %+v %v", u.Email, res, err)
	}
	return inv.MemberID
}

// status returns the status of membership id in orgID as the admin client lists it.
func status(t *testing.T, ctx context.Context, ac *adminclient.Client, orgID, id string) adminclient.Status {
	t.Helper()
	m, err := ac.Member(ctx, orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

// wantRefusal checks a refused acceptance: 400 with the message, and the membership still Invited.
func wantRefusal(t *testing.T, status int, body []byte, want string) {
	t.Helper()
	if status != http.StatusBadRequest || !strings.Contains(string(body), want) {
		t.Fatalf("accept: %d %s, want 400 with %q", status, body, want)
	}
}

func singleOrgJourney(ctx context.Context, t *testing.T, env *policyEnv) {
	owner, ac, acme := env.owner(t, "acme-owner", "Acme Single")
	_, oac, other := env.owner(t, "other-owner", "Other Org")
	run := e2e.RunAdmin(t, env.srv, owner, "", nil, "policies", "set", "--org", acme, "single-org")
	if run.Code != 0 || !strings.Contains(run.Stdout, "single-org") || !strings.Contains(run.Stdout, "on") {
		t.Fatalf("castellan admin policies set single-org: exit %d\n%s\n%s", run.Code, run.Stdout, run.Stderr)
	}

	// A member of another organization cannot join.
	dave := e2e.Register(t, env.srv, e2e.UniqueEmail("dave"), password)
	env.join(t, oac, other, dave)
	inv := env.invite(t, ac, acme, dave)
	st, body := dave.Accept(t, env.srv, inv)
	wantRefusal(t, st, body, "until you leave all other organizations")
	if s := status(t, ctx, ac, acme, inv.MemberID); s != adminclient.StatusInvited {
		t.Errorf("dave after the refused acceptance: %s", s)
	}

	// A member under the policy cannot join another organization.
	erin := e2e.Register(t, env.srv, e2e.UniqueEmail("erin"), password)
	env.join(t, ac, acme, erin)
	inv = env.invite(t, oac, other, erin)
	st, body = erin.Accept(t, env.srv, inv)
	wantRefusal(t, st, body, "another organization whose Single organization policy")

	// Turning the policy on revokes the members who belong elsewhere; restore waits until they
	// leave. dave is confirmed in Other and now in Beta.
	beta, bac := env.secondOrg(t, dave)
	run = e2e.RunAdmin(t, env.srv, beta.owner, "", nil, "policies", "set", "--org", beta.id, "3")
	if run.Code != 0 {
		t.Fatalf("castellan admin policies set 3: exit %d\n%s", run.Code, run.Stderr)
	}
	if s := status(t, ctx, bac, beta.id, beta.member); s != adminclient.StatusRevoked {
		t.Fatalf("dave in Beta after the policy: %s, want revoked", s)
	}
	env.expectCLIStatus(t, beta.owner, beta.id, dave.Email, int(adminclient.StatusRevoked))
	run = e2e.RunAdmin(t, env.srv, beta.owner, "", nil, "members", "restore", "--org", beta.id, "--member", beta.member)
	if run.Code == 0 || !strings.Contains(run.Stderr, dave.Email+" cannot be restored until they leave") {
		t.Fatalf("restore of a member of another organization: exit %d\n%s", run.Code, run.Stderr)
	}
	e2e.Call(t, env.srv, dave.Token, "POST", "/api/organizations/"+other+"/leave", nil, nil)
	run = e2e.RunAdmin(t, env.srv, beta.owner, "", nil, "members", "restore", "--org", beta.id, "--member", beta.member)
	if run.Code != 0 {
		t.Fatalf("restore after leaving: exit %d\n%s", run.Code, run.Stderr)
	}
	env.expectCLIStatus(t, beta.owner, beta.id, dave.Email, int(adminclient.StatusConfirmed))
}

// orgRef names an organization of the journey with its owner and one member.
type orgRef struct {
	id, member string
	owner      *e2e.User
}

// secondOrg makes organization Beta without a policy, with u as a confirmed member.
func (env *policyEnv) secondOrg(t *testing.T, u *e2e.User) (orgRef, *adminclient.Client) {
	t.Helper()
	owner, ac, id := env.owner(t, "beta-owner", "Beta")
	return orgRef{id: id, member: env.join(t, ac, id, u), owner: owner}, ac
}

// expectCLIStatus checks, with the official CLI logged in as owner, the status of email's membership.
func (env *policyEnv) expectCLIStatus(t *testing.T, owner *e2e.User, orgID, email string, want int) {
	t.Helper()
	bw := testpeers.BWCLI(t, testpeers.BWConfig{CAFile: env.srv.CAFile})
	if _, stderr, err := bw.Run(env.ctx, nil, "config", "server", env.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	bw.Setenv("BW_PASSWORD", owner.Password)
	session, stderr, err := bw.Run(env.ctx, nil, "login", owner.Email, "--passwordenv", "BW_PASSWORD", "--raw")
	if session = strings.TrimSpace(session); err != nil || session == "" {
		t.Fatalf("bw login as %s: %v (%s)", owner.Email, err, stderr)
	}
	bw.Setenv("BW_SESSION", session)
	resp, err := bw.JSON(env.ctx, "list", "org-members", "--organizationid", orgID)
	if err != nil {
		t.Fatalf("bw list org-members: %v", err)
	}
	var members struct {
		Data []struct {
			Email  string
			Status int
		}
	}
	if err := resp.Decode(&members); err != nil {
		t.Fatal(err)
	}
	for _, m := range members.Data {
		if m.Email == email {
			if m.Status != want {
				t.Errorf("bw list org-members: %s has status %d, want %d", email, m.Status, want)
			}
			return
		}
	}
	t.Errorf("bw list org-members does not list %s: %+v", email, members.Data)
}
