package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestClaimedDomains is the domain half of issue 7's acceptance test: `castellan serve` with
// CASTELLAN_DNS_SERVER pointing at an authoritative DNS server in the test process, real mail
// (mailpit), node oidc-provider as the organization's identity provider, the official CLI and
// `castellan admin`.
//
//   - Claim: the owner adds acme.example with `castellan admin domains add`; verifying before the
//     TXT record is published fails with the reason and changes nothing; once the test publishes
//     it, `domains verify` claims the domain.
//   - Lookup: POST /api/organizations/domain/sso/verified finds the organization by an address on
//     the domain, and nothing for another domain.
//   - JIT by email: dana, never invited, runs `bw login --sso` without an identifier; the browser
//     (playing castellan's SSO page) resolves the identifier from her address, she signs in at the
//     provider and is provisioned, her address verified by the claim.
//   - Claimed member: once dana set her master password (Accepted), `castellan admin members
//     remove` is refused with the reason and revoking works; password registration on the domain
//     is refused once the owner turns policy 19 on.
//   - Re-verification in serve: the test withdraws the TXT record; the background job (a one
//     second interval, a two second re-check, under its database lease) marks the domain failing,
//     which keeps the claim, records event 9200 and mails the owner; republished, it recovers.
//   - Delete account: the official CLI logs in as dana with her master password; `castellan admin
//     members delete-account` refuses without --yes and, with it, deletes her claimed account
//     (event 1515); the logged-in CLI loses its session and a fresh `bw login` as dana is refused.
func TestClaimedDomains(t *testing.T) {
	testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := newDomainScenario(ctx, t)
	for _, step := range []struct {
		name string
		run  func(t *testing.T)
	}{{"Claim", s.claim}, {"Lookup", s.lookup}, {"JITByEmail", s.jitByEmail},
		{"ClaimedMember", s.claimedMember}, {"Reverification", s.reverification},
		{"DeleteAccount", s.deleteAccount}} {
		if !t.Run(step.name, step.run) {
			return
		}
	}
}

const (
	claimedDomain = "acme.example"
	danaPassword  = "Dana-Master-Password-1!"
)

type domainScenario struct {
	ctx      context.Context
	dns      *domainstest.DNSServer
	mail     *testpeers.Mailpit
	srv      *castellantest.Server
	idp      *testpeers.OIDCProvider
	owner    *e2e.User
	ac       *adminclient.Client
	orgID    string
	domainID string
	txt      string
	dana     string // dana's membership
}

func newDomainScenario(ctx context.Context, t *testing.T) *domainScenario {
	s := &domainScenario{ctx: ctx, dns: domainstest.NewDNSServer(t), mail: testpeers.StartMailpit(t)}
	s.srv = castellantest.Start(t, castellantest.Options{Env: []string{
		"CASTELLAN_DNS_SERVER=" + s.dns.Addr, "CASTELLAN_DOMAIN_CHECK_INTERVAL=1s",
		"CASTELLAN_DOMAIN_RECHECK_INTERVAL=2s", "CASTELLAN_DOMAIN_GRACE_PERIOD=1h",
		"CASTELLAN_SMTP_HOST=" + s.mail.SMTPHost, "CASTELLAN_SMTP_PORT=" + strconv.Itoa(s.mail.SMTPPort),
		"CASTELLAN_SMTP_SECURITY=starttls", "CASTELLAN_SMTP_CA_FILE=" + s.mail.CAFile,
		"CASTELLAN_SMTP_USERNAME=castellan", "CASTELLAN_SMTP_PASSWORD=smtp-test-password",
		"CASTELLAN_SMTP_FROM=Castellan <vault@example.com>",
		"CASTELLAN_REGISTRATION_VERIFY_EMAIL=false", // e2e.Register takes the token from the answer
	}})
	callback := s.srv.URL + "/sso/oidc/callback"
	s.idp = testpeers.StartOIDCProvider(t, testpeers.OIDCProviderConfig{
		Accounts: []testpeers.OIDCAccount{{Login: "dana", Email: "dana@" + claimedDomain, EmailVerified: true,
			Name: "Dana Example"}},
		Clients: []testpeers.OIDCClient{{ID: "castellan", Secret: "castellan-oidc-secret",
			RedirectURIs: []string{callback}}}})
	s.owner = e2e.Register(t, s.srv, "owner@example.com", password)
	s.ac = e2e.AdminClient(t, s.srv, s.owner)
	org, err := s.ac.CreateOrganization(ctx, adminclient.NewOrganization{Name: "Acme Domains",
		BillingEmail: s.owner.Email})
	if err != nil {
		t.Fatal(err)
	}
	s.orgID = org.ID
	run := s.admin(t, []string{"CASTELLAN_ADMIN_SSO_CLIENT_SECRET=castellan-oidc-secret"}, "sso", "set",
		"--org", s.orgID, "--identifier", ssoIdentifier, "--authority", s.idp.Issuer,
		"--client-id", "castellan", "--userinfo")
	if run.Code != 0 {
		t.Fatalf("castellan admin sso set: exit %d\n%s", run.Code, run.Stderr)
	}
	return s
}

func (s *domainScenario) admin(t *testing.T, env []string, args ...string) e2e.AdminRun {
	t.Helper()
	return e2e.RunAdmin(t, s.srv, s.owner, "", env, args...)
}

// domain reads the organization's domain through the API.
func (s *domainScenario) domain(t *testing.T) adminclient.Domain {
	t.Helper()
	d, err := s.ac.FindDomain(s.ctx, s.orgID, s.domainID)
	if err != nil {
		t.Fatal(err)
	}
	return *d
}

func (s *domainScenario) claim(t *testing.T) {
	var added []adminclient.Domain
	decodeRun(t, s.admin(t, nil, "--json", "domains", "add", "--org", s.orgID, "--name", "ACME.Example"),
		&added)
	if len(added) != 1 || added[0].DomainName != claimedDomain || added[0].State != "pending" ||
		!strings.HasPrefix(added[0].TXT, "bw=") {
		t.Fatalf("castellan admin domains add: %+v", added)
	}
	s.domainID, s.txt = added[0].ID, added[0].TXT
	run := s.admin(t, nil, "domains", "verify", "--org", s.orgID, "--domain", claimedDomain)
	if run.Code == 0 || !strings.Contains(run.Stderr, "there is no TXT record at "+claimedDomain) {
		t.Fatalf("verify before the record is published: exit %d\n%s", run.Code, run.Stderr)
	}
	if d := s.domain(t); d.State != "pending" || d.LastCheckedDate != nil {
		t.Fatalf("a failed verification changed the domain: %+v", d)
	}
	s.dns.SetTXT(claimedDomain, "v=spf1 -all", s.txt)
	var verified []adminclient.Domain
	decodeRun(t, s.admin(t, nil, "--json", "domains", "verify", "--org", s.orgID, "--domain", claimedDomain),
		&verified)
	if len(verified) != 1 || verified[0].State != "verified" || verified[0].VerifiedDate == nil {
		t.Fatalf("castellan admin domains verify: %+v", verified)
	}
	if s.dns.Queries(claimedDomain) < 2 {
		t.Errorf("castellan asked the DNS server %d times, want the two checks", s.dns.Queries(claimedDomain))
	}
}

// ssoLookup is the answer of POST /api/organizations/domain/sso/verified.
type ssoLookup struct {
	Data []struct {
		OrganizationIdentifier, OrganizationName, DomainName string
	}
}

func (s *domainScenario) lookup(t *testing.T) {
	var l ssoLookup
	e2e.Call(t, s.srv, "", "POST", "/api/organizations/domain/sso/verified",
		map[string]string{"email": "Dana@ACME.example"}, &l)
	if len(l.Data) != 1 || l.Data[0].OrganizationIdentifier != ssoIdentifier ||
		l.Data[0].OrganizationName != "Acme Domains" || l.Data[0].DomainName != claimedDomain {
		t.Fatalf("lookup by email: %+v", l)
	}
	e2e.Call(t, s.srv, "", "POST", "/api/organizations/domain/sso/verified",
		map[string]string{"email": "dana@other.example"}, &l)
	if len(l.Data) != 0 {
		t.Fatalf("lookup for an unclaimed domain: %+v", l)
	}
}

func (s *domainScenario) jitByEmail(t *testing.T) {
	bw := testpeers.BWCLI(t, testpeers.BWConfig{CAFile: s.srv.CAFile, SSO: true})
	if _, stderr, err := bw.Run(s.ctx, nil, "config", "server", s.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	p, err := bw.Start(s.ctx, nil, "login", "--sso")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := p.WaitSSOURL(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e2e.ParseSSOURL(raw)
	if err != nil || r.Identifier != "" {
		t.Fatalf("the CLI opened %q: %+v %v", raw, r, err)
	}
	r.Identifier = s.identifierFor(t, "dana@"+claimedDomain) // what the SSO page does with an address
	next, err := e2e.WebVaultSSO(s.ctx, e2e.Browser(s.srv), s.srv, r, s.login("dana"))
	if err != nil || !strings.HasPrefix(next.String(), "http://localhost:8065?") {
		t.Fatalf("dana's sign-in ended at %v: %v", next, err)
	}
	if status, body := plainGet(t, next.String()); status != http.StatusOK {
		t.Errorf("the CLI's listener answered %d: %s", status, body)
	}
	if stdout, stderr, err := p.Wait(); err == nil || !strings.Contains(stdout+stderr, noMasterPassword) {
		t.Fatalf("bw login --sso of a new account: %v\n%s%s", err, stdout, stderr)
	}
	m := s.member(t, "dana@"+claimedDomain)
	if m == nil || m.UserID == "" || m.Status != adminclient.StatusInvited || m.Type != adminclient.RoleUser {
		t.Fatalf("dana after her first sign-in: %+v", m)
	}
	s.dana = m.ID
	token := e2e.WebClientToken(s.ctx, t, s.srv, ssoIdentifier, s.login("dana"))
	var profile struct{ EmailVerified bool }
	e2e.Call(t, s.srv, token, "GET", "/api/accounts/profile", nil, &profile)
	if !profile.EmailVerified {
		t.Error("dana's address is not verified although the organization claims its domain")
	}
	e2e.SetMasterPassword(t, s.srv, token, ssoIdentifier, "dana@"+claimedDomain, danaPassword)
	if m = s.member(t, "dana@"+claimedDomain); m.Status != adminclient.StatusAccepted {
		t.Fatalf("dana after set-password: %+v", m)
	}
}

// identifierFor resolves the SSO identifier from an address, as castellan's SSO page does.
func (s *domainScenario) identifierFor(t *testing.T, email string) string {
	t.Helper()
	var l ssoLookup
	e2e.Call(t, s.srv, "", "POST", "/api/organizations/domain/sso/verified",
		map[string]string{"email": email}, &l)
	if len(l.Data) != 1 {
		t.Fatalf("no organization for %s: %+v", email, l)
	}
	return l.Data[0].OrganizationIdentifier
}

func (s *domainScenario) login(user string) e2e.IdPLogin {
	return func(ctx context.Context, c *http.Client, authURL, stop string) (*url.URL, error) {
		return s.idp.Login(ctx, c, authURL, user, "any password", stop)
	}
}

func (s *domainScenario) member(t *testing.T, email string) *adminclient.Member {
	t.Helper()
	ms, err := s.ac.Members(s.ctx, s.orgID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		if strings.EqualFold(ms[i].Email, email) {
			return &ms[i]
		}
	}
	return nil
}

func (s *domainScenario) claimedMember(t *testing.T) {
	run := s.admin(t, nil, "members", "remove", "--org", s.orgID, "--member", s.dana)
	if run.Code == 0 || !strings.Contains(run.Stderr, "cannot be removed") {
		t.Fatalf("removing a claimed member: exit %d\n%s", run.Code, run.Stderr)
	}
	if m := s.member(t, "dana@"+claimedDomain); m == nil || m.Status != adminclient.StatusAccepted {
		t.Fatalf("dana after the refused removal: %+v", m)
	}
	if run = s.admin(t, nil, "members", "revoke", "--org", s.orgID, "--member", s.dana); run.Code != 0 {
		t.Fatalf("revoking a claimed member: exit %d\n%s", run.Code, run.Stderr)
	}

	run = s.admin(t, nil, "policies", "set", "--org", s.orgID, "block-claimed-domain-account-creation")
	if run.Code != 0 {
		t.Fatalf("castellan admin policies set 19: exit %d\n%s", run.Code, run.Stderr)
	}
	status, body := e2e.Do(t, s.srv, "", "POST", "/identity/accounts/register/send-verification-email",
		map[string]any{"email": "erin@" + claimedDomain, "name": "Erin"})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "single sign-on") {
		t.Fatalf("registration on the blocked domain: %d %s", status, body)
	}
	e2e.Register(t, s.srv, "erin@elsewhere.example", password)
}

func (s *domainScenario) reverification(t *testing.T) {
	s.dns.Remove(claimedDomain)
	d := s.waitState(t, "failing")
	if d.VerifiedDate == nil || d.FailingSince == nil {
		t.Fatalf("failing domain: %+v", d)
	}
	var l ssoLookup
	e2e.Call(t, s.srv, "", "POST", "/api/organizations/domain/sso/verified",
		map[string]string{"email": "dana@" + claimedDomain}, &l)
	if len(l.Data) != 1 {
		t.Fatalf("a failing domain lost its claim: %+v", l)
	}
	msg, err := s.mail.WaitFor(s.ctx, s.owner.Email)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "The DNS check of "+claimedDomain+" failed" || !strings.Contains(msg.Text, s.txt) ||
		!strings.Contains(msg.Text, "still claims") {
		t.Errorf("warning mail: %q\n%s", msg.Subject, msg.Text)
	}
	s.dns.SetTXT(claimedDomain, s.txt)
	if d = s.waitState(t, "verified"); d.FailingSince != nil {
		t.Errorf("recovered domain: %+v", d)
	}
	var events struct{ Data []struct{ Type int } }
	e2e.Call(t, s.srv, s.owner.Token, "GET", "/api/organizations/"+s.orgID+"/events", nil, &events)
	seen := map[int]bool{}
	for _, e := range events.Data {
		seen[e.Type] = true
	}
	for _, typ := range []int{2000, 2002, 9200, 9201} {
		if !seen[typ] {
			t.Errorf("no event %d in the organization's log", typ)
		}
	}
	log := s.srv.Log()
	if !strings.Contains(log, "domain state changed") || !strings.Contains(log, "event=failing") {
		t.Errorf("the log does not show the job's work")
	}
}

// waitState polls the domain until the background job has moved it to state (the job runs every
// second; the wait is bounded by the scenario's context and a deadline).
func (s *domainScenario) waitState(t *testing.T, state string) adminclient.Domain {
	t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		d := s.domain(t)
		if d.State == state {
			return d
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the domain stayed %s (waiting for %s): %+v", d.State, state, d)
		case <-tick.C:
		}
	}
}

// deleteAccount deletes dana's claimed account with `castellan admin members delete-account` and
// checks that the official CLI can no longer use it.
func (s *domainScenario) deleteAccount(t *testing.T) {
	email := "dana@" + claimedDomain
	bw := s.passwordCLI(t)
	bw.Setenv("BW_PASSWORD", danaPassword)
	session, stderr, err := bw.Run(s.ctx, nil, "login", email, "--passwordenv", "BW_PASSWORD", "--raw")
	if session = strings.TrimSpace(session); err != nil || session == "" {
		t.Fatalf("bw login as dana before the deletion: %v (%s)", err, stderr)
	}
	bw.Setenv("BW_SESSION", session)
	if _, stderr, err := bw.Run(s.ctx, nil, "sync"); err != nil {
		t.Fatalf("bw sync as dana before the deletion: %v (%s)", err, stderr)
	}

	run := s.admin(t, nil, "members", "delete-account", "--org", s.orgID, "--member", s.dana)
	if run.Code == 0 || !strings.Contains(run.Stderr, "pass --yes") || s.member(t, email) == nil {
		t.Fatalf("delete-account without --yes: exit %d\n%s", run.Code, run.Stderr)
	}
	var done []struct{ ID, Result string }
	decodeRun(t, s.admin(t, nil, "--json", "members", "delete-account", "--org", s.orgID, "--member", s.dana,
		"--yes"), &done)
	if len(done) != 1 || done[0].ID != s.dana || done[0].Result != "deleted" {
		t.Fatalf("castellan admin members delete-account: %+v", done)
	}
	if m := s.member(t, email); m != nil {
		t.Fatalf("dana is still a member: %+v", m)
	}
	var events struct {
		Data []struct {
			Type               int
			OrganizationUserID string
		}
	}
	e2e.Call(t, s.srv, s.owner.Token, "GET", "/api/organizations/"+s.orgID+"/events", nil, &events)
	logged := false
	for _, e := range events.Data {
		logged = logged || e.Type == 1515 && e.OrganizationUserID == s.dana
	}
	if !logged {
		t.Error("no event 1515 for dana's deleted account")
	}

	// The device that was logged in has lost its session; a new login is refused.
	// (Its access token no longer names an account: the one case for a 401.)
	stdout, stderr, err := bw.Run(s.ctx, nil, "sync")
	if err == nil || !strings.Contains(stderr, "Unauthorized") {
		t.Errorf("bw sync as the deleted dana: %v\n%s%s", err, stdout, stderr)
	}
	fresh := s.passwordCLI(t)
	fresh.Setenv("BW_PASSWORD", danaPassword)
	stdout, stderr, err = fresh.Run(s.ctx, nil, "login", email, "--passwordenv", "BW_PASSWORD", "--raw")
	if err == nil || strings.TrimSpace(stdout) != "" || !strings.Contains(stderr, "Invalid master password") {
		t.Fatalf("bw login as the deleted dana: %v\nstdout %q\nstderr %q", err, stdout, stderr)
	}
}

// passwordCLI returns a non-interactive official CLI device configured for the server.
func (s *domainScenario) passwordCLI(t *testing.T) *testpeers.BW {
	t.Helper()
	bw := testpeers.BWCLI(t, testpeers.BWConfig{CAFile: s.srv.CAFile})
	if _, stderr, err := bw.Run(s.ctx, nil, "config", "server", s.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	return bw
}
