package e2e_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestSSOSAML is issue 6's acceptance test: `castellan serve` over TLS, two real SAML identity
// providers (SimpleSAMLphp from Debian, and crewjam's samlidp, which encrypts its assertions) and
// the official CLI, whose xdg-open shim hands the #/sso URL to a Go browser that plays castellan's
// SSO page, the IdP's login form and the auto-posting answer to the assertion consumer.
//
//   - Configure: `castellan admin sso saml set` with the IdP's metadata URL (castellan fetches it),
//     `sso saml metadata-url`; the IdP is given castellan's SP metadata (samlidp) or entity ID and
//     assertion consumer URL (SimpleSAMLphp).
//   - Invited: the admin invites alice; `bw login --sso acme` provisions her by adopting the
//     invitation (the CLI then stops, as for any account without a master password); she sets her
//     master password through the API as the web client; `bw login --sso` and `bw unlock` work;
//     `castellan admin members confirm`; `bw sync -f` decrypts the admin's shared item. On samlidp
//     every answer is checked to carry an EncryptedAssertion and no assertion in clear.
//   - IdPInitiated (SimpleSAMLphp): while the organization does not allow it, bob's sign-in started
//     at the IdP is refused and provisions nothing; once `sso saml set --allow-idp-initiated` allows
//     it, he is provisioned and linked, no code is issued, and the same answer again is a replay.
//   - KeyRotation (samlidp): `castellan admin sso saml keys rotate` keeps the IdP's copy of the
//     metadata working during the overlap; after `keys end-overlap` the old copy fails and the new
//     metadata works.
//
// SSO tests run one at a time: the CLI always listens on localhost:8065 (testpeers serializes, with
// a lock held from the scenario's start to its end; the scenario's deadline starts once it is taken).
func TestSSOSAML(t *testing.T) {
	testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
	for _, name := range []string{"simplesamlphp", "samlidp"} {
		t.Run(name, func(t *testing.T) {
			s := newSAMLScenario(t, name)
			steps := []struct {
				name string
				run  func(t *testing.T)
			}{{"Invited", s.invited}}
			if name == "simplesamlphp" {
				steps = append(steps, struct {
					name string
					run  func(t *testing.T)
				}{"IdPInitiated", s.idpInitiated})
			} else {
				steps = append(steps, struct {
					name string
					run  func(t *testing.T)
				}{"KeyRotation", s.keyRotation})
			}
			for _, step := range steps {
				if !t.Run(step.name, step.run) {
					return
				}
			}
		})
	}
}

// samlScenario is what the steps share: one castellan, one SAML IdP, one organization.
type samlScenario struct {
	orgFixture
	bw       *testpeers.BW // the official CLI in SSO mode (it holds the localhost:8065 lock)
	provider string
	ssp      *testpeers.SimpleSAMLphp
	idp      *testpeers.SamlIDP
	sp       adminclient.SSOURLs
}

func newSAMLScenario(t *testing.T, provider string) *samlScenario {
	srv := castellantest.Start(t, castellantest.Options{})
	s := &samlScenario{provider: provider}
	waited := time.Now()
	s.bw = testpeers.BWCLI(t, testpeers.BWConfig{CAFile: srv.CAFile, SSO: true})
	t.Logf("SSO port lock taken after %s", time.Since(waited).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	s.orgFixture = newOrgFixture(ctx, t, srv, "Acme SAML")
	cfg, err := s.ac.SSO(ctx, s.orgID)
	if err != nil {
		t.Fatal(err)
	}
	s.sp = cfg.URLs // the SP addresses exist before any SAML configuration
	metadataURL := s.startIdP(t)
	s.configure(t, metadataURL)
	return s
}

// startIdP starts the scenario's IdP and returns its metadata URL. SimpleSAMLphp learns the SP's
// entity ID and assertion consumer at start; samlidp gets the SP metadata after configure.
func (s *samlScenario) startIdP(t *testing.T) string {
	if s.provider == "simplesamlphp" {
		sp := testpeers.SAMLServiceProvider{EntityID: s.sp.SpEntityID, ACSURL: s.sp.SpAcsURL}
		cfg := testpeers.SimpleSAMLphpConfig{SPs: []testpeers.SAMLServiceProvider{sp}}
		s.ssp = testpeers.StartSimpleSAMLphp(t, cfg)
		return s.ssp.MetadataURL
	}
	s.idp = testpeers.StartSamlIDP(t)
	return s.idp.MetadataURL
}

// configure sets SAML with `castellan admin sso saml set` from the IdP's metadata URL (IdP-initiated
// sign-in left off), checks what `sso saml metadata-url` prints, and gives samlidp castellan's SP
// metadata.
func (s *samlScenario) configure(t *testing.T, idpMetadataURL string) {
	args := []string{"--json", "sso", "saml", "set", "--org", s.orgID, "--identifier", ssoIdentifier,
		"--idp-metadata-url", idpMetadataURL, "--idp-binding", "redirect", "--trust-idp-emails"}
	var saved struct {
		Enabled         bool
		Data            map[string]any
		ServiceProvider struct{ MetadataURL, EntityID, ACSURL string }
	}
	decodeRun(t, e2e.RunAdmin(t, s.srv, s.admin, "", nil, args...), &saved)
	if !saved.Enabled || saved.Data["configType"] != float64(2) || saved.Data["idpX509PublicCert"] == "" ||
		saved.Data["idpAllowUnsolicitedAuthnResponse"] == true ||
		saved.ServiceProvider.EntityID != s.sp.SpEntityID || saved.ServiceProvider.ACSURL != s.sp.SpAcsURL {
		t.Fatalf("castellan admin sso saml set: %+v", saved)
	}
	run := e2e.RunAdmin(t, s.srv, s.admin, "", nil, "sso", "saml", "metadata-url", "--org", s.orgID)
	if run.Code != 0 || strings.TrimSpace(run.Stdout) != s.sp.SpMetadataURL {
		t.Fatalf("castellan admin sso saml metadata-url: %d %q %s", run.Code, run.Stdout, run.Stderr)
	}
	if s.idp != nil {
		s.registerSP(t)
	}
}

// registerSP gives samlidp castellan's current SP metadata.
func (s *samlScenario) registerSP(t *testing.T) {
	resp, err := s.srv.Client.Get(s.sp.SpMetadataURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	md, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(md), `use="encryption"`) {
		t.Fatalf("SP metadata: %d %s", resp.StatusCode, md)
	}
	if err := s.idp.AddServiceProvider(s.ctx, "castellan", md); err != nil {
		t.Fatal(err)
	}
}

// login returns the IdP login of a user (password <user>pass), checking that the answer carries one
// assertion: encrypted on samlidp (castellan's SP metadata has an encryption key), in clear on
// SimpleSAMLphp (not set up to encrypt).
func (s *samlScenario) login(t *testing.T, user string) e2e.SAMLLogin {
	return func(ctx context.Context, c *http.Client, startURL string) (*testpeers.SAMLPost, error) {
		var post *testpeers.SAMLPost
		var err error
		if s.ssp != nil {
			post, err = s.ssp.Login(ctx, c, startURL, user, user+"pass")
		} else {
			post, err = s.idp.Login(ctx, c, startURL, user, user+"pass")
		}
		if err == nil {
			clear, encrypted, cerr := e2e.SAMLAssertionCount(post)
			want := [2]int{1, 0}
			if s.idp != nil {
				want = [2]int{0, 1}
			}
			if cerr != nil || [2]int{clear, encrypted} != want {
				t.Errorf("%s's answer has %d assertions in clear and %d encrypted, want %v (%v)", s.provider,
					clear, encrypted, want, cerr)
			}
		}
		return post, err
	}
}

// samlCLI is one official CLI device in SSO mode.
type samlCLI struct {
	t  *testing.T
	s  *samlScenario
	bw *testpeers.BW
}

func (s *samlScenario) cli(t *testing.T) *samlCLI {
	c := &samlCLI{t: t, s: s, bw: s.bw}
	if _, stderr, err := c.bw.Run(s.ctx, nil, "config", "server", s.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	return c
}

// loginSSO runs `bw login --sso acme` with user signing in at the IdP and returns the CLI's output
// and error once it has exited.
func (c *samlCLI) loginSSO(user string) (string, error) {
	c.t.Helper()
	return cliSSOLogin(c.s.ctx, c.t, c.bw, func(r e2e.SSORequest) (*url.URL, error) {
		next, _, err := e2e.WebVaultSAML(c.s.ctx, e2e.Browser(c.s.srv), c.s.srv, r, c.s.login(c.t, user))
		return next, err
	})
}

func (c *samlCLI) run(out any, args ...string) {
	c.t.Helper()
	bwRun(c.s.ctx, c.t, c.bw, out, args...)
}

func (s *samlScenario) invited(t *testing.T) {
	const email = "alice@example.com"
	invite := adminclient.Invitation{Emails: []string{email}, Type: adminclient.RoleUser,
		Collections: []adminclient.Access{{ID: s.collID}}}
	if err := s.ac.Invite(s.ctx, s.orgID, invite); err != nil {
		t.Fatal(err)
	}
	invitation := s.member(t, email)
	cli := s.cli(t)
	if out, err := cli.loginSSO("alice"); err == nil || !strings.Contains(out, noMasterPassword) {
		t.Fatalf("first bw login --sso of an account without a master password: %v\n%s", err, out)
	}
	m := s.member(t, email)
	if m == nil || m.ID != invitation.ID || m.UserID == "" || m.Status != adminclient.StatusInvited {
		t.Fatalf("alice after her first sign-in: %+v (invitation %+v)", m, invitation)
	}
	token := e2e.SAMLWebClientToken(s.ctx, t, s.srv, ssoIdentifier, s.login(t, "alice"))
	e2e.SetMasterPassword(t, s.srv, token, ssoIdentifier, email, "Alice-Master-Password-1!")
	if m = s.member(t, email); m.Status != adminclient.StatusAccepted {
		t.Fatalf("alice after set-password: %+v", m)
	}
	if out, err := cli.loginSSO("alice"); err != nil || !strings.Contains(out, "You are logged in") {
		t.Fatalf("bw login --sso: %v\n%s", err, out)
	}
	cli.bw.Setenv("BW_PASSWORD", "Alice-Master-Password-1!")
	session, stderr, err := cli.bw.Run(s.ctx, nil, "unlock", "--passwordenv", "BW_PASSWORD", "--raw")
	if session = strings.TrimSpace(session); err != nil || session == "" {
		t.Fatalf("bw unlock: %v (%s)", err, stderr)
	}
	cli.bw.Setenv("BW_SESSION", session)
	run := e2e.RunAdmin(t, s.srv, s.admin, "", nil, "members", "confirm", "--org", s.orgID, "--member", m.ID,
		"--yes")
	if run.Code != 0 {
		t.Fatalf("castellan admin members confirm: %d %s", run.Code, run.Stderr)
	}
	cli.run(nil, "sync", "-f")
	var item struct {
		Name  string
		Login struct{ Username, Password string }
	}
	cli.run(&item, "get", "item", s.itemID)
	if item.Name != "Deploy key" || item.Login.Username != "deploy" ||
		item.Login.Password != "shared-S3cret!" {
		t.Errorf("the admin's item as alice's CLI decrypts it: %+v", item)
	}
}

// idpInitiated: bob signs in at SimpleSAMLphp for castellan without a request from castellan,
// refused until the organization allows it.
func (s *samlScenario) idpInitiated(t *testing.T) {
	const email = "bob@example.com"
	if s.member(t, email) != nil {
		t.Fatal("bob is a member before signing in")
	}
	atIdP := func(c *http.Client) *testpeers.SAMLPost {
		post, err := s.login(t, "bob")(s.ctx, c, s.ssp.IdPInitiatedURL(s.sp.SpEntityID))
		if err != nil {
			t.Fatal(err)
		}
		if doc, _ := e2e.DecodedSAMLResponse(post); strings.Contains(doc, "InResponseTo") {
			t.Fatalf("the IdP-initiated answer names a request:\n%s", doc)
		}
		return post
	}
	c := e2e.Browser(s.srv)
	_, err := e2e.PostSAML(s.ctx, c, atIdP(c))
	var page *e2e.PageError
	if !errors.As(err, &page) || page.Status != http.StatusBadRequest ||
		!strings.Contains(page.Body, "not allowed") {
		t.Fatalf("IdP-initiated sign-in while the organization does not allow it: %v", err)
	}
	if m := s.member(t, email); m != nil {
		t.Fatalf("the refused IdP-initiated sign-in provisioned bob: %+v", m)
	}
	var saved struct{ Data map[string]any }
	decodeRun(t, e2e.RunAdmin(t, s.srv, s.admin, "", nil, "--json", "sso", "saml", "set", "--org", s.orgID,
		"--allow-idp-initiated"), &saved)
	if saved.Data["idpAllowUnsolicitedAuthnResponse"] != true || saved.Data["idpX509PublicCert"] == "" {
		t.Fatalf("castellan admin sso saml set --allow-idp-initiated: %+v", saved.Data)
	}
	c = e2e.Browser(s.srv)
	post := atIdP(c)
	_, err = e2e.PostSAML(s.ctx, c, post)
	if !errors.As(err, &page) || page.Status != http.StatusOK || !strings.Contains(page.Body, "Signed in") ||
		!strings.Contains(page.Body, "SSO identifier "+ssoIdentifier) {
		t.Fatalf("IdP-initiated sign-in: %v", err)
	}
	m := s.member(t, email)
	if m == nil || m.UserID == "" || m.Status != adminclient.StatusInvited {
		t.Fatalf("bob after his IdP-initiated sign-in: %+v", m)
	}
	// The same answer again is refused by the replay cache.
	_, err = e2e.PostSAML(s.ctx, e2e.Browser(s.srv), post)
	if !errors.As(err, &page) || page.Status != http.StatusBadRequest ||
		!strings.Contains(page.Body, "already used") {
		t.Errorf("replayed IdP-initiated answer: %v", err)
	}
}

// keyRotation: the SP keys rotate with overlap while samlidp keeps its copy of the metadata.
func (s *samlScenario) keyRotation(t *testing.T) {
	admin := func(args ...string) e2e.AdminRun {
		args = append([]string{"--json", "sso", "saml", "keys"}, args...)
		run := e2e.RunAdmin(t, s.srv, s.admin, "", nil, args...)
		if run.Code != 0 {
			t.Fatalf("castellan admin sso saml keys %v: %d %s", args, run.Code, run.Stderr)
		}
		return run
	}
	var keys adminclient.SAMLKeys
	decodeRun(t, admin("rotate", "--org", s.orgID), &keys)
	if !keys.Overlap || len(keys.Keys) != 4 {
		t.Fatalf("after rotate: %+v", keys)
	}
	signIn := func() error {
		r := webRequest(s.srv)
		_, _, err := e2e.WebVaultSAML(s.ctx, e2e.Browser(s.srv), s.srv, r, s.login(t, "alice"))
		return err
	}
	if err := signIn(); err != nil {
		t.Fatalf("sign-in during the overlap with the IdP's old metadata: %v", err)
	}
	decodeRun(t, admin("end-overlap", "--org", s.orgID), &keys)
	var page *e2e.PageError
	if err := signIn(); !errors.As(err, &page) || !strings.Contains(page.Body, "could not be decrypted") {
		t.Fatalf("sign-in with the IdP's stale metadata after the overlap: %v", err)
	}
	s.registerSP(t)
	if err := signIn(); err != nil {
		t.Fatalf("sign-in with the new metadata: %v", err)
	}
}

// webRequest is a web client's sign-in request (its code is not redeemed).
func webRequest(srv *castellantest.Server) e2e.SSORequest {
	return e2e.SSORequest{ClientID: "web", RedirectURI: srv.URL + "/sso-connector.html", State: "state-1",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Identifier: ssoIdentifier}
}
