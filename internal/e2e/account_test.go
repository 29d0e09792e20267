package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestAccountCommands is the acceptance test of `castellan account`, on SQLite and PostgreSQL,
// against `castellan serve` over TLS that sends its mail to mailpit and verifies the addresses of
// new accounts (the default with SMTP), with registration limited to example.com:
//
//   - the owner creates an account with `castellan account register`: the first run makes castellan
//     mail a verification link, the second finishes with the link read from mailpit (server and
//     address taken from the link); the official CLI logs in and syncs;
//   - the owner makes an organization whose account recovery policy enrols members automatically
//     (castellan admin), and invites bob, who has an account, and carol, who has none;
//   - bob accepts with `castellan account accept-invite` and the Join link from his mail; carol
//     creates her account from hers with `castellan account register --invite-link`, which accepts
//     too;
//   - the owner confirms them with `castellan admin members confirm --all --yes`; both recovery keys
//     open, with the organization's private key, to the member's user key; the official CLI of each
//     lists the organization after a sync;
//   - bad input, each a clear message and exit 1: a wrong password, a tampered invitation token, a
//     Join link for another address, a tampered verification link, a verification link for another
//     address, an address outside the allowed domains, a password shorter than 12 characters.
func TestAccountCommands(t *testing.T) {
	for _, e := range storagetest.Engines() {
		if e.Name != "sqlite" && e.Name != "postgres" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			srv, mp := e2e.StartWithVerifiedMail(t, e.Fresh(t), "CASTELLAN_REGISTRATION_DOMAINS=example.com")
			a := &accountEnv{t: t, ctx: ctx, srv: srv, mp: mp}
			a.journey()
		})
	}
}

// accountEnv is one server, its mail sink, and the people of the journey.
type accountEnv struct {
	t   *testing.T
	ctx context.Context
	srv *castellantest.Server
	mp  *testpeers.Mailpit
}

const (
	ownerPassword = "Owner-Master-Password-1"
	bobPassword   = "Bob-Master-Password-22"
	carolPassword = "Carol-Master-Password-333"
)

// account runs `castellan account args...` with the CA file and password in the environment, and
// env added (KEY=VALUE; later ones win).
func (a *accountEnv) account(pw string, env []string, args ...string) e2e.AdminRun {
	a.t.Helper()
	base := []string{"CASTELLAN_ACCOUNT_CA_FILE=" + a.srv.CAFile, "CASTELLAN_ACCOUNT_PASSWORD=" + pw}
	return e2e.RunCastellan(a.t, "", append(base, env...), append([]string{"account"}, args...)...)
}

// ok fails the test unless run exited 0, and decodes its --json output into out (nil: ignored).
func (a *accountEnv) ok(run e2e.AdminRun, out any) {
	a.t.Helper()
	if run.Code != 0 {
		a.t.Fatalf("castellan account exited %d\nstdout: %s\nstderr: %s", run.Code, run.Stdout, run.Stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(run.Stdout), out); err != nil {
			a.t.Fatalf("--json output %q: %v", run.Stdout, err)
		}
	}
}

// refused fails the test unless run exited 1 with want in its stderr.
func (a *accountEnv) refused(what string, run e2e.AdminRun, want string) {
	a.t.Helper()
	if run.Code != 1 || !strings.Contains(run.Stderr, want) {
		a.t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", what, run.Code, run.Stderr, want)
	}
}

// mailLink waits for a message to addr whose text holds a link matching re, and returns the link.
func (a *accountEnv) mailLink(addr string, re *regexp.Regexp) string {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, time.Minute)
	defer cancel()
	for {
		list, err := a.mp.Messages(ctx)
		if err != nil {
			a.t.Fatalf("mailpit: %v", err)
		}
		for _, s := range list {
			if len(s.To) != 1 || !strings.EqualFold(s.To[0].Address, addr) {
				continue
			}
			m, err := a.mp.Message(ctx, s.ID)
			if err != nil {
				a.t.Fatalf("mailpit: %v", err)
			}
			if link := re.FindString(m.Text); link != "" {
				return link
			}
		}
		select {
		case <-ctx.Done():
			a.t.Fatalf("no message to %s with a link like %s", addr, re)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var (
	verifyLinkRE = regexp.MustCompile(`https://\S+/redirect-connector\.html#finish-signup\?[^\s']+`)
	joinLinkRE   = regexp.MustCompile(`https://\S+/#/accept-organization\?\S+`)
)

// registerByMail creates an account with the two runs of `castellan account register` that e-mail
// verification takes, and returns the harness's view of it (keys opened with adminclient).
func (a *accountEnv) registerByMail(email, name, pw string, extra ...string) *e2e.User {
	a.t.Helper()
	var first struct{ Status, Email string }
	a.ok(a.account(pw, []string{"CASTELLAN_ACCOUNT_SERVER=" + a.srv.URL},
		append([]string{"register", "--email", email, "--name", name, "--json"}, extra...)...), &first)
	if first.Status != "verification_mailed" || first.Email != email {
		a.t.Fatalf("first register run = %+v, want verification_mailed", first)
	}
	link := a.mailLink(email, verifyLinkRE)
	// The second run takes the server and the address from the link.
	run := a.account(pw, nil, append([]string{"register", "--verification-link", link}, extra...)...)
	a.ok(run, nil)
	if !strings.Contains(run.Stdout, "Created the account "+email) ||
		!strings.Contains(run.Stdout, "bw login "+email) {
		a.t.Fatalf("second register run: %s", run.Stdout)
	}
	return a.user(email, pw)
}

// user logs in as email with adminclient and returns the harness's view of the account.
func (a *accountEnv) user(email, pw string) *e2e.User {
	a.t.Helper()
	u := &e2e.User{Email: email, Password: pw}
	c := e2e.AdminClient(a.t, a.srv, u)
	u.Account = c.Account()
	u.Login(a.t, a.srv)
	return u
}

// bwOrganizations logs the official CLI in as u, syncs and returns the organizations it lists.
func (a *accountEnv) bwOrganizations(u *e2e.User) map[string]string {
	a.t.Helper()
	env := &orgEnv{ctx: a.ctx, srv: a.srv, mp: a.mp}
	b := env.bwLogin(a.t, u)
	b.run(nil, "sync", "-f")
	return b.organizations()
}

func (a *accountEnv) journey() {
	t := a.t
	owner := a.registerByMail(e2e.UniqueEmail("owner"), "Owner", ownerPassword)
	if orgs := a.bwOrganizations(owner); len(orgs) != 0 {
		t.Fatalf("a new account's CLI lists organizations %v", orgs)
	}
	fast := []string{"--kdf-iterations", "5000"}
	bob := a.registerByMail(e2e.UniqueEmail("bob"), "Bob", bobPassword, fast...)
	carolEmail := e2e.UniqueEmail("carol")

	admin := func(args ...string) e2e.AdminRun {
		t.Helper()
		run := e2e.RunAdmin(t, a.srv, owner, "", nil, append(args, "--json")...)
		if run.Code != 0 {
			t.Fatalf("castellan admin %s: exit %d: %s", strings.Join(args, " "), run.Code, run.Stderr)
		}
		return run
	}
	var org adminclient.Organization
	decodeRun(t, admin("org", "create", "--name", "Acme Accounts"), &org)
	admin("policies", "set", "--org", org.ID, "single-org")
	admin("policies", "set", "--org", org.ID, "account-recovery", "--auto-enroll")
	admin("members", "invite", "--org", org.ID, "--email", bob.Email, "--email", carolEmail)
	bobLink, carolLink := a.mailLink(bob.Email, joinLinkRE), a.mailLink(carolEmail, joinLinkRE)
	a.badInput(bob, bobLink, carolLink)

	var accepted struct {
		Status     string
		Email      string
		Invitation adminclient.Accepted
	}
	a.ok(a.account(bobPassword, nil, "accept-invite", bobLink, "--json"), &accepted)
	if accepted.Status != "accepted" || accepted.Email != bob.Email || !accepted.Invitation.RecoveryEnrolled ||
		accepted.Invitation.OrganizationID != org.ID {
		t.Fatalf("bob's acceptance = %+v", accepted)
	}
	run := a.account(carolPassword, nil, append([]string{"register", "--invite-link", carolLink, "--name", "Carol"},
		fast...)...)
	a.ok(run, nil)
	if !strings.Contains(run.Stdout, "Accepted the invitation to Acme Accounts as "+carolEmail) ||
		!strings.Contains(run.Stdout, "enrolled the account in account recovery") {
		t.Fatalf("carol's register --invite-link: %s", run.Stdout)
	}
	carol := a.user(carolEmail, carolPassword)

	ac := e2e.AdminClient(t, a.srv, owner)
	members := map[string]adminclient.Member{}
	ms, err := ac.Members(a.ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		members[m.Email] = m
	}
	for _, u := range []*e2e.User{bob, carol} {
		if m := members[u.Email]; m.Status != adminclient.StatusAccepted {
			t.Fatalf("%s is %s, want accepted", u.Email, m.Status)
		}
	}
	admin("members", "confirm", "--org", org.ID, "--all", "--yes")
	for _, u := range []*e2e.User{bob, carol} {
		a.checkRecoveryKey(ac, owner, org.ID, members[u.Email].ID, u) // readable once confirmed
		if orgs := a.bwOrganizations(u); orgs[org.ID] != "Acme Accounts" {
			t.Errorf("%s's CLI lists %v, want Acme Accounts", u.Email, orgs)
		}
	}
}

// checkRecoveryKey opens the member's account recovery key with the organization's private key
// and compares it with the member's own user key.
func (a *accountEnv) checkRecoveryKey(ac *adminclient.Client, owner *e2e.User, orgID, memberID string,
	u *e2e.User) {
	t := a.t
	t.Helper()
	var details struct{ ResetPasswordKey string }
	e2e.Call(t, a.srv, owner.Token, "GET", "/api/organizations/"+orgID+"/users/"+memberID+"/reset-password-details",
		nil, &details)
	var keys struct{ PrivateKey string }
	e2e.Call(t, a.srv, owner.Token, "GET", "/api/organizations/"+orgID+"/keys", nil, &keys)
	orgKey, err := ac.OrgKey(a.ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := bwcrypto.UnwrapPrivateKey(keys.PrivateKey, orgKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bwcrypto.OpenSharedKey(priv, details.ResetPasswordKey)
	if err != nil {
		t.Fatalf("%s's recovery key does not open: %v", u.Email, err)
	}
	if !bytes.Equal(got.Bytes(), u.Account.UserKey.Bytes()) {
		t.Errorf("%s's recovery key is not the user key", u.Email)
	}
}

// badInput runs the refusals; none of them changes bob's or carol's invitation.
func (a *accountEnv) badInput(bob *e2e.User, bobLink, carolLink string) {
	a.refused("wrong password", a.account("Not-Bobs-Password-1", nil, "accept-invite", bobLink),
		"Username or password is incorrect")
	a.refused("tampered invitation token", a.account(bobPassword, nil, "accept-invite",
		tamper(a.t, bobLink, "token")), "Invalid token.")
	a.refused("another address's link", a.account(bobPassword, []string{"CASTELLAN_ACCOUNT_EMAIL=" + bob.Email},
		"accept-invite", carolLink), "the invitation is for carol-")
	a.refused("someone else's link, logged in as its address", a.account(bobPassword, nil, "accept-invite",
		carolLink), "create it from the invitation with: castellan account register --invite-link") // no account yet

	eve := e2e.UniqueEmail("eve")
	a.ok(a.account("Eve-Master-Password-1", []string{"CASTELLAN_ACCOUNT_SERVER=" + a.srv.URL}, "register",
		"--email", eve), nil)
	link := a.mailLink(eve, verifyLinkRE)
	a.refused("tampered verification link", a.account("Eve-Master-Password-1", nil, "register",
		"--verification-link", tamper(a.t, link, "token")), "The e-mail verification token is invalid or has expired.")
	a.refused("verification link for another address", a.account("Eve-Master-Password-1",
		[]string{"CASTELLAN_ACCOUNT_EMAIL=" + bob.Email}, "register", "--verification-link", link),
		"the verification link is for "+eve)
	a.refused("address outside the allowed domains", a.account("Mallory-Password-1",
		[]string{"CASTELLAN_ACCOUNT_SERVER=" + a.srv.URL}, "register", "--email", "mallory@elsewhere.example"),
		"Registration is limited to other e-mail domains on this server.")
	a.refused("short password", a.account("short", nil, "register", "--verification-link", link),
		"at least 12 characters")
}

// tamper changes one character in the middle of a query parameter in a link's fragment (the last
// one may only carry base64 padding bits, which decoders ignore).
func tamper(t *testing.T, link, name string) string {
	t.Helper()
	base, frag, _ := strings.Cut(link, "#")
	route, query, _ := strings.Cut(frag, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	v := []byte(q.Get(name))
	i := len(v) / 2
	if v[i] == 'A' {
		v[i] = 'B'
	} else {
		v[i] = 'A'
	}
	q.Set(name, string(v))
	return base + "#" + route + "?" + q.Encode()
}

// TestAccountWithoutMail is the README's first commands on SQLite: `castellan serve` without SMTP
// warns at start that registration does not verify addresses; `castellan account register`
// finishes in one run (the token comes back in the answer) and the official CLI logs in and
// syncs. With CASTELLAN_REGISTRATION=closed the command says registration is closed.
func TestAccountWithoutMail(t *testing.T) {
	testpeers.BWCLI(t, testpeers.BWConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := castellantest.Start(t, castellantest.Options{})
	if log := srv.Log(); !strings.Contains(log, "registration open without e-mail verification") {
		t.Errorf("no start-up warning about unverified registration in:\n%s", log)
	}
	a := &accountEnv{t: t, ctx: ctx, srv: srv}
	email := e2e.UniqueEmail("solo")
	var res struct{ Status, Email, Server string }
	a.ok(a.account(ownerPassword, []string{"CASTELLAN_ACCOUNT_SERVER=" + srv.URL}, "register", "--email", email,
		"--name", "Solo", "--json"), &res)
	if res.Status != "registered" || res.Email != email || res.Server != srv.URL {
		t.Fatalf("register = %+v", res)
	}
	if orgs := a.bwOrganizations(&e2e.User{Email: email, Password: ownerPassword}); len(orgs) != 0 {
		t.Fatalf("the CLI lists organizations %v", orgs)
	}

	closed := castellantest.Start(t, castellantest.Options{Env: []string{"CASTELLAN_REGISTRATION=closed"}})
	c := &accountEnv{t: t, ctx: ctx, srv: closed}
	c.refused("closed registration", c.account(ownerPassword, []string{"CASTELLAN_ACCOUNT_SERVER=" + closed.URL},
		"register", "--email", e2e.UniqueEmail("late")), "Registration is closed on this server.")
}
