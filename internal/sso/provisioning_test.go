package sso_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// member returns the membership of the organization whose (invited or account) address is email.
func (e *env) member(email string) *adminclient.Member {
	e.t.Helper()
	ms, err := e.admin.Members(e.ctx, e.orgID)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range ms {
		if strings.EqualFold(ms[i].Email, email) {
			return &ms[i]
		}
	}
	return nil
}

// addMember inserts a membership directly (for states the API reaches only through mail).
func (e *env) addMember(m orgs.Member) {
	e.t.Helper()
	now := e.clock.Now()
	m.ID, m.OrganizationID, m.CreatedAt, m.RevisionDate = uuid.NewString(), e.orgID, now, now
	if err := orgs.QueriesOn(e.db).InsertMembers(e.ctx, []orgs.Member{m}); err != nil {
		e.t.Fatal(err)
	}
	if m.UserID != "" && m.Status != orgs.StatusInvited {
		if err := orgs.QueriesOn(e.db).MarkEmailVerified(e.ctx, m.UserID, now); err != nil {
			e.t.Fatal(err)
		}
	}
}

// userID reads the id of the account with that address.
func (e *env) userID(email string) string {
	e.t.Helper()
	var id string
	if err := e.db.QueryRowContext(e.ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// events counts the organization's audit events of a type.
func (e *env) events(typ int) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_events WHERE type = ? AND organization_id = ?`,
		typ, e.orgID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestInvitationAdoptedBySSO: a person invited by email who has no account signs in through SSO:
// the invitation becomes theirs (same membership, role kept, still Invited until the master
// password is set), field report F7.
func TestInvitationAdoptedBySSO(t *testing.T) {
	e := newEnv(t)
	if err := e.admin.Invite(e.ctx, e.orgID, adminclient.Invitation{Emails: []string{"alice@example.com"},
		Type: adminclient.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	invited := e.member("alice@example.com")
	members := e.count("organization_users")
	e.login()
	got := e.member("alice@example.com")
	if e.count("organization_users") != members || got.ID != invited.ID || got.UserID != e.userID("alice@example.com") ||
		got.Type != adminclient.RoleAdmin || got.Status != adminclient.StatusInvited {
		t.Fatalf("membership after SSO: %+v (invited %+v)", got, invited)
	}
	if e.events(1510) != 1 {
		t.Errorf("FirstSsoLogin events: %d", e.events(1510))
	}
}

// TestExistingAccountsAndMembership: an account that exists already is only linked once it is an
// Accepted or Confirmed member (field reports F5, F1, F3); otherwise the two official codes send
// the browser to the login page, and nothing is created.
func TestExistingAccountsAndMembership(t *testing.T) {
	t.Run("NoMembership", func(t *testing.T) {
		e := newEnv(t)
		alice := e.register("alice@example.com")
		e.assertLoginRedirect("ssoOrgMembershipRequired", e.userID(alice.email))
	})
	t.Run("InvitedNotAccepted", func(t *testing.T) {
		e := newEnv(t)
		e.register("alice@example.com")
		e.addMember(orgs.Member{Email: "alice@example.com", Status: orgs.StatusInvited, Type: orgs.RoleUser})
		e.assertLoginRedirect("ssoOrgInviteAcceptanceRequired", e.userID("alice@example.com"))
	})
	t.Run("Accepted", func(t *testing.T) {
		e := newEnv(t)
		e.register("alice@example.com")
		id := e.userID("alice@example.com")
		e.addMember(orgs.Member{UserID: id, Status: orgs.StatusAccepted, Type: orgs.RoleUser})
		users := e.count("users")
		tr := e.login()
		if sub := accessClaims(t, tr.AccessToken)["sub"]; sub != id || e.count("users") != users {
			t.Fatalf("signed in as %v, want the existing account %s", sub, id)
		}
		if !tr.UserDecryptionOptions.HasMasterPassword || tr.UserDecryptionOptions.MasterPasswordUnlock == nil {
			t.Errorf("an account with a master password: %+v", tr.UserDecryptionOptions)
		}
		if e.count("sso_links") != 1 || e.events(1510) != 1 {
			t.Errorf("links %d, FirstSsoLogin %d", e.count("sso_links"), e.events(1510))
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		e := newEnv(t)
		e.register("alice@example.com")
		e.addMember(orgs.Member{UserID: e.userID("alice@example.com"), Status: orgs.StatusRevoked, Type: orgs.RoleUser})
		before := e.snapshot()
		e.assertPage(e.browser().signIn(cliClient()), http.StatusBadRequest, "access to this organization has been revoked")
		e.assertUnchanged(before)
	})
	t.Run("RevokedInvitationNoAccount", func(t *testing.T) {
		e := newEnv(t)
		e.addMember(orgs.Member{Email: "alice@example.com", Status: orgs.StatusRevoked, Type: orgs.RoleUser})
		before := e.snapshot()
		e.assertPage(e.browser().signIn(cliClient()), http.StatusBadRequest, "access to this organization has been revoked")
		e.assertUnchanged(before)
	})
}

// assertLoginRedirect checks that a sign-in ends at the vault's login page with the official error
// code, creates nothing and records a failed login of the account.
func (e *env) assertLoginRedirect(code, userID string) {
	e.t.Helper()
	before := e.snapshot()
	failed := e.events(1005)
	r := e.browser().signIn(cliClient())
	u, err := url.Parse(r.location)
	if r.status != http.StatusFound || err != nil || !strings.HasPrefix(r.location, e.srv.URL+"/#/login?") {
		e.t.Fatalf("want a redirect to the login page, got %d %q", r.status, r.location)
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(u.Fragment, "/login?"))
	if q.Get("error") != code || q.Get("email") != "alice@example.com" || q.Get("organizationId") != e.orgID ||
		q.Get("organizationName") != "Acme" {
		e.t.Errorf("login redirect query %v", q)
	}
	e.assertUnchanged(before)
	var n int
	e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_events WHERE type = 1005 AND user_id = ?`, userID).Scan(&n)
	if e.events(1005) != failed+1 || n != 1 {
		e.t.Errorf("User_FailedLogIn events: %d (before %d), for the account %d", e.events(1005), failed, n)
	}
}

// TestChangedSubject: the provider presents a new subject for a linked member's verified email
// (field report F2). Refused by default and audited; with relinkChangedSubject the stale link is
// replaced and OrganizationUser_ResetSsoLink recorded. Never a second account.
func TestChangedSubject(t *testing.T) {
	e := newEnv(t)
	e.register("alice@example.com")
	id := e.userID("alice@example.com")
	e.addMember(orgs.Member{UserID: id, Status: orgs.StatusConfirmed, Type: orgs.RoleUser})
	e.login()
	e.op.sub = "user-1-recreated"
	before := e.snapshot()
	e.assertPage(e.browser().signIn(cliClient()), http.StatusBadRequest, "identifies you differently")
	e.assertUnchanged(before)
	if e.events(1005) != 1 {
		t.Errorf("User_FailedLogIn events: %d", e.events(1005))
	}
	e.configure(func(d map[string]any) { d["relinkChangedSubject"] = true })
	tr := e.login()
	var ext string
	e.db.QueryRowContext(e.ctx, `SELECT external_id FROM sso_links WHERE user_id = ?`, id).Scan(&ext)
	if accessClaims(t, tr.AccessToken)["sub"] != id || ext != "user-1-recreated" || e.count("sso_links") != 1 ||
		e.events(1509) != 1 || e.count("users") != before["users"] {
		t.Errorf("relink: link %q, links %d, ResetSsoLink %d, users %d", ext, e.count("sso_links"), e.events(1509),
			e.count("users"))
	}
}

// TestSeats: JIT without an invitation needs a free seat; an invitation already holds one.
func TestSeats(t *testing.T) {
	e := newEnv(t)
	if err := orgs.QueriesOn(e.db).SetSeats(e.ctx, e.orgID, ptr(1), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	e.assertPage(e.browser().signIn(cliClient()), http.StatusBadRequest, "no free seats")
	e.assertUnchanged(before)
	e.addMember(orgs.Member{Email: "alice@example.com", Status: orgs.StatusInvited, Type: orgs.RoleUser})
	e.login() // adopts the invitation, which holds its own seat
}

func ptr[T any](v T) *T { return &v }

// TestClaimedDomainVerifiesEmail: a provider that says nothing about email_verified is enough when
// the organization has claimed the address's domain; the new account's address counts as verified.
func TestClaimedDomainVerifiesEmail(t *testing.T) {
	e := newEnv(t)
	e.op.idClaims = func(c map[string]any) { delete(c, "email_verified") }
	now := e.clock.Now().UnixMilli()
	storagetest.MustExec(t, e.db, `INSERT INTO domains (id, organization_id, domain_name, txt, created_at,
		verified_at, verified_name, state, revision) VALUES (?, ?, 'example.com', 'bw=x', ?, ?, 'example.com',
		'verified', 1)`, uuid.NewString(), e.orgID, now, now)
	e.login()
	var verified bool
	e.db.QueryRowContext(e.ctx, `SELECT email_verified FROM users WHERE email = 'alice@example.com'`).Scan(&verified)
	if !verified {
		t.Errorf("the account of a claimed domain's address is not marked verified")
	}
}

// TestConcurrentFirstSignIns: two browsers of the same person finish their first sign-in at once
// on PostgreSQL, where the transactions really overlap: one account, one membership, one link, and
// both get a code.
func TestConcurrentFirstSignIns(t *testing.T) {
	e := newEnvOn(t, storagetest.OpenFresh(t, storagetest.Engines()[1]))
	const n = 4
	answers := make([]url.Values, n)
	browsers := make([]*browser, n)
	clients := make([]client, n)
	for i := range n {
		browsers[i], clients[i] = e.browser(), cliClient()
		answers[i] = e.op.authorize(browsers[i].start(clients[i]))
	}
	users := e.count("users")
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := range n {
		wg.Go(func() { results[i] = browsers[i].callback(answers[i]) })
	}
	wg.Wait()
	for i, r := range results {
		e.codeFrom(r, clients[i])
	}
	if e.count("users") != users+1 || e.count("sso_links") != 1 {
		t.Errorf("users %d (before %d), links %d", e.count("users"), users, e.count("sso_links"))
	}
}

// TestFlowsAndCodesExpireFromTheDatabase: the periodic sweep removes flows and codes past their
// time.
func TestFlowsAndCodesExpireFromTheDatabase(t *testing.T) {
	e := newEnv(t)
	e.browser().start(cliClient())
	c := cliClient()
	e.codeFrom(e.browser().signIn(c), c)
	if e.count("sso_flows") != 1 || e.count("sso_codes") != 1 {
		t.Fatalf("flows %d, codes %d", e.count("sso_flows"), e.count("sso_codes"))
	}
	e.clock.Advance(15 * time.Minute)
	e.browser().start(cliClient()) // authorize sweeps at most once a minute
	if e.count("sso_flows") != 1 || e.count("sso_codes") != 0 {
		t.Errorf("after the sweep: flows %d (the new one), codes %d", e.count("sso_flows"), e.count("sso_codes"))
	}
}
