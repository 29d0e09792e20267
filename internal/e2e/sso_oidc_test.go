package e2e_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestSSOOIDC is issue 5's acceptance test: `castellan serve` over TLS, two real OpenID providers
// (Dex, and node oidc-provider reading the claims from userinfo) and the official CLI, whose
// xdg-open shim hands the #/sso URL to a Go browser that plays castellan's SSO page, the provider's
// login form and the callback, and finally opens the CLI's own localhost:8065 listener.
//
//   - Invited: an admin configures the organization with `castellan admin sso set` and invites
//     alice; `bw login --sso acme` provisions her (the CLI then stops, as it does for any account
//     without a master password); she sets her master password through the API (as the web vault
//     would, signed in as the web client); `bw login --sso` again and `bw unlock` work; the admin
//     confirms her with `castellan admin members confirm`; her `bw sync -f` shows the shared
//     collection and decrypts the admin's item.
//   - JIT: bob, never invited, signs in through the identifier and gets an Invited membership.
//   - Refused: carol has an account of her own and no membership: the sign-in ends at the login
//     page with ssoOrgMembershipRequired, and nothing is created; on oidc-provider, an account
//     whose email the provider does not call verified gets an error page.
//
// SSO tests run one at a time: the CLI always listens on localhost:8065 (testpeers serializes).
func TestSSOOIDC(t *testing.T) {
	testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
	for _, name := range []string{"dex", "oidc-provider"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			s := newSSOScenario(ctx, t, name)
			for _, step := range []struct {
				name string
				run  func(t *testing.T)
			}{{"Invited", s.invited}, {"JIT", s.jit}, {"Refused", s.refused}} {
				if !t.Run(step.name, step.run) {
					return
				}
			}
		})
	}
}

const ssoIdentifier = "acme"

// ssoIdP is one identity provider under test: how castellan is registered at it, and its login.
type ssoIdP struct {
	issuer, clientID, secret string
	userinfo                 bool
	login                    func(user string) e2e.IdPLogin
}

// ssoScenario is what the steps share: one castellan, one provider, one organization.
type ssoScenario struct {
	orgFixture
	idp ssoIdP
}

func newSSOScenario(ctx context.Context, t *testing.T, provider string) *ssoScenario {
	srv := castellantest.Start(t, castellantest.Options{})
	s := &ssoScenario{idp: startIdP(t, provider, srv.URL+"/sso/oidc/callback")}
	s.orgFixture = newOrgFixture(ctx, t, srv, "Acme SSO")
	s.configure(t)
	return s
}

// configure sets the organization's SSO with `castellan admin sso set`, the secret in the
// environment, and checks `sso show` prints the callback address the provider was given.
func (s *ssoScenario) configure(t *testing.T) {
	args := []string{"sso", "set", "--org", s.orgID, "--identifier", ssoIdentifier, "--authority", s.idp.issuer,
		"--client-id", s.idp.clientID}
	if s.idp.userinfo {
		args = append(args, "--userinfo")
	}
	run := e2e.RunAdmin(t, s.srv, s.admin, "", []string{"CASTELLAN_ADMIN_SSO_CLIENT_SECRET=" + s.idp.secret}, args...)
	if run.Code != 0 || strings.Contains(run.Stdout+run.Stderr, s.idp.secret) {
		t.Fatalf("castellan admin sso set: exit %d\n%s\n%s", run.Code, run.Stdout, run.Stderr)
	}
	var shown adminclient.SSOConfig
	decodeRun(t, e2e.RunAdmin(t, s.srv, s.admin, "", nil, "--json", "sso", "show", "--org", s.orgID), &shown)
	if !shown.Enabled || shown.Identifier != ssoIdentifier || shown.URLs.CallbackPath != s.srv.URL+"/sso/oidc/callback" ||
		shown.Data["clientSecretSet"] != true || shown.Data["clientSecret"] != nil {
		t.Fatalf("castellan admin sso show: %+v", shown)
	}
}

func startIdP(t *testing.T, provider, callback string) ssoIdP {
	switch provider {
	case "dex":
		users := testpeers.DefaultDexUsers()
		users = append(users, testpeers.DexUser{Email: "carol@example.com", Password: "carolpass", Username: "carol",
			Name: "Carol Example"})
		d := testpeers.StartDex(t, testpeers.DexConfig{Clients: testpeers.DefaultDexClients(callback), Users: users})
		return ssoIdP{issuer: d.Issuer, clientID: "vault-rp", secret: "vault-rp-secret",
			login: func(user string) e2e.IdPLogin {
				return func(ctx context.Context, c *http.Client, authURL, stop string) (*url.URL, error) {
					return d.Login(ctx, c, authURL, user+"@example.com", user+"pass", stop)
				}
			}}
	case "oidc-provider":
		var accounts []testpeers.OIDCAccount
		for _, u := range []string{"alice", "bob", "carol"} {
			accounts = append(accounts, testpeers.OIDCAccount{Login: u, Email: u + "@example.com", EmailVerified: true,
				Name: strings.ToUpper(u[:1]) + u[1:] + " Example"})
		}
		accounts = append(accounts, testpeers.OIDCAccount{Login: "mallory", Email: "mallory@example.com"})
		p := testpeers.StartOIDCProvider(t, testpeers.OIDCProviderConfig{Accounts: accounts,
			Clients: []testpeers.OIDCClient{{ID: "castellan", Secret: "castellan-oidc-secret", RedirectURIs: []string{callback}}}})
		return ssoIdP{issuer: p.Issuer, clientID: "castellan", secret: "castellan-oidc-secret", userinfo: true,
			login: func(user string) e2e.IdPLogin {
				return func(ctx context.Context, c *http.Client, authURL, stop string) (*url.URL, error) {
					return p.Login(ctx, c, authURL, user, "any password", stop)
				}
			}}
	}
	t.Fatalf("unknown provider %s", provider)
	return ssoIdP{}
}

// ssoCLI is one official CLI device in SSO mode (its xdg-open shim records the #/sso URL).
type ssoCLI struct {
	t  *testing.T
	s  *ssoScenario
	bw *testpeers.BW
}

func (s *ssoScenario) cli(t *testing.T) *ssoCLI {
	c := &ssoCLI{t: t, s: s, bw: testpeers.BWCLI(t, testpeers.BWConfig{CAFile: s.srv.CAFile, SSO: true})}
	if _, stderr, err := c.bw.Run(s.ctx, nil, "config", "server", s.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	return c
}

// login runs `bw login --sso acme` with user signing in at the provider, and returns the CLI's
// output and error once it has exited.
func (c *ssoCLI) login(user string) (string, error) {
	c.t.Helper()
	return cliSSOLogin(c.s.ctx, c.t, c.bw, c.signIn(user))
}

// browse plays the browser for the URL the CLI opened and returns where castellan sent it last.
func (c *ssoCLI) browse(p *testpeers.BWProcess, user string) *url.URL {
	c.t.Helper()
	return cliBrowse(c.s.ctx, c.t, p, c.signIn(user))
}

// signIn plays castellan's SSO page and the provider's login for user.
func (c *ssoCLI) signIn(user string) func(e2e.SSORequest) (*url.URL, error) {
	return func(r e2e.SSORequest) (*url.URL, error) {
		return e2e.WebVaultSSO(c.s.ctx, e2e.Browser(c.s.srv), c.s.srv, r, c.s.idp.login(user))
	}
}

// run runs the CLI with --response and decodes its data into out (nil: ignored).
func (c *ssoCLI) run(out any, args ...string) {
	c.t.Helper()
	bwRun(c.s.ctx, c.t, c.bw, out, args...)
}

// plainGet GETs target with a plain client (the CLI's loopback listener speaks HTTP).
func plainGet(t *testing.T, target string) (int, string) {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(body)
}

// noMasterPassword is what the CLI says when an SSO account has no master password yet.
const noMasterPassword = "master password"

func (s *ssoScenario) invited(t *testing.T) {
	const email = "alice@example.com"
	if err := s.ac.Invite(s.ctx, s.orgID, adminclient.Invitation{Emails: []string{email}, Type: adminclient.RoleUser,
		Collections: []adminclient.Access{{ID: s.collID}}}); err != nil {
		t.Fatal(err)
	}
	invitation := s.member(t, email)
	cli := s.cli(t)
	if out, err := cli.login("alice"); err == nil || !strings.Contains(out, noMasterPassword) {
		t.Fatalf("first bw login --sso of an account without a master password: %v\n%s", err, out)
	}
	m := s.member(t, email)
	if m == nil || m.ID != invitation.ID || m.UserID == "" || m.Status != adminclient.StatusInvited {
		t.Fatalf("alice after her first sign-in: %+v (invitation %+v)", m, invitation)
	}
	token := e2e.WebClientToken(s.ctx, t, s.srv, ssoIdentifier, s.idp.login("alice"))
	e2e.SetMasterPassword(t, s.srv, token, ssoIdentifier, email, "Alice-Master-Password-1!")
	if m = s.member(t, email); m.Status != adminclient.StatusAccepted {
		t.Fatalf("alice after set-password: %+v", m)
	}
	if out, err := cli.login("alice"); err != nil || !strings.Contains(out, "You are logged in") {
		t.Fatalf("bw login --sso: %v\n%s", err, out)
	}
	cli.bw.Setenv("BW_PASSWORD", "Alice-Master-Password-1!")
	session, stderr, err := cli.bw.Run(s.ctx, nil, "unlock", "--passwordenv", "BW_PASSWORD", "--raw")
	if session = strings.TrimSpace(session); err != nil || session == "" {
		t.Fatalf("bw unlock: %v (%s)", err, stderr)
	}
	cli.bw.Setenv("BW_SESSION", session)
	run := e2e.RunAdmin(t, s.srv, s.admin, "", nil, "members", "confirm", "--org", s.orgID, "--member", m.ID, "--yes")
	if run.Code != 0 {
		t.Fatalf("castellan admin members confirm: %d %s", run.Code, run.Stderr)
	}
	cli.run(nil, "sync", "-f")
	var cols struct{ Data []struct{ ID string } }
	cli.run(&cols, "list", "collections")
	if !slices.ContainsFunc(cols.Data, func(c struct{ ID string }) bool { return c.ID == s.collID }) {
		t.Errorf("bw list collections = %+v, lacks %s", cols, s.collID)
	}
	var item struct {
		Name  string
		Login struct{ Username, Password string }
	}
	cli.run(&item, "get", "item", s.itemID)
	if item.Name != "Deploy key" || item.Login.Username != "deploy" || item.Login.Password != "shared-S3cret!" {
		t.Errorf("the admin's item as alice's CLI decrypts it: %+v", item)
	}
}

func (s *ssoScenario) jit(t *testing.T) {
	const email = "bob@example.com"
	if s.member(t, email) != nil {
		t.Fatal("bob is a member before signing in")
	}
	if out, err := s.cli(t).login("bob"); err == nil || !strings.Contains(out, noMasterPassword) {
		t.Fatalf("bw login --sso of a new account: %v\n%s", err, out)
	}
	m := s.member(t, email)
	if m == nil || m.UserID == "" || m.Status != adminclient.StatusInvited || m.Type != adminclient.RoleUser {
		t.Fatalf("bob after his first sign-in: %+v", m)
	}
}

func (s *ssoScenario) refused(t *testing.T) {
	carol := e2e.Register(t, s.srv, "carol@example.com", password)
	members, _ := s.ac.Members(s.ctx, s.orgID)
	ctx, cancel := context.WithCancel(s.ctx)
	cli := s.cli(t)
	p, err := cli.bw.Start(ctx, nil, "login", "--sso", ssoIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	next := cli.browse(p, "carol")
	cancel() // the browser went to the login page, so the CLI would wait for ever
	_, _, _ = p.Wait()
	q, _ := url.ParseQuery(strings.TrimPrefix(next.Fragment, "/login?"))
	if !strings.HasPrefix(next.String(), s.srv.URL+"/#/login?") || q.Get("error") != "ssoOrgMembershipRequired" ||
		q.Get("email") != carol.Email || q.Get("organizationId") != s.orgID {
		t.Fatalf("carol's sign-in ended at %s", next)
	}
	if after, _ := s.ac.Members(s.ctx, s.orgID); len(after) != len(members) || s.member(t, carol.Email) != nil {
		t.Errorf("members before %d, after %d", len(members), len(after))
	}
	if s.idp.clientID != "castellan" { // only oidc-provider has an account with an unverified email
		return
	}
	r := e2e.SSORequest{ClientID: "cli", RedirectURI: "http://localhost:8065", State: "x",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Identifier: ssoIdentifier}
	_, err = e2e.WebVaultSSO(s.ctx, e2e.Browser(s.srv), s.srv, r, s.idp.login("mallory"))
	var page *e2e.PageError
	if !errors.As(err, &page) || page.Status != http.StatusBadRequest || !strings.Contains(page.Body, "verified") {
		t.Errorf("an unverified email: %v", err)
	}
	if s.member(t, "mallory@example.com") != nil {
		t.Errorf("mallory became a member")
	}
}
