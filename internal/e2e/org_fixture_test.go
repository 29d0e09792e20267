package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// orgFixture is where the single sign-on journeys start: a castellan, an owner whose admin client
// is logged in, the organization's default collection and one item the owner shared in it.
type orgFixture struct {
	ctx    context.Context
	srv    *castellantest.Server
	admin  *e2e.User
	ac     *adminclient.Client
	orgID  string
	collID string
	itemID string
}

// newOrgFixture registers admin@example.com on srv, creates the organization name and shares the
// item "Deploy key" (deploy / shared-S3cret!) in its default collection.
func newOrgFixture(ctx context.Context, t *testing.T, srv *castellantest.Server, name string) orgFixture {
	t.Helper()
	f := orgFixture{ctx: ctx, srv: srv}
	f.admin = e2e.Register(t, srv, "admin@example.com", password)
	f.ac = e2e.AdminClient(t, srv, f.admin)
	org, err := f.ac.CreateOrganization(ctx, adminclient.NewOrganization{Name: name,
		BillingEmail: f.admin.Email})
	if err != nil {
		t.Fatal(err)
	}
	f.orgID = org.ID
	cols, err := f.ac.Collections(ctx, org.ID)
	if err != nil || len(cols) != 1 {
		t.Fatalf("collections %+v: %v", cols, err)
	}
	f.collID = cols[0].ID
	orgKey, err := f.ac.OrgKey(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.itemID = e2e.OrgItem(t, srv, f.admin, orgKey, org.ID, []string{f.collID}, "Deploy key", "deploy",
		"shared-S3cret!")
	return f
}

// member returns the organization's membership shown with email, or nil.
func (f *orgFixture) member(t *testing.T, email string) *adminclient.Member {
	t.Helper()
	ms, err := f.ac.Members(f.ctx, f.orgID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		if ms[i].Email == email {
			return &ms[i]
		}
	}
	return nil
}

// bwRun runs the CLI with --response and decodes its data into out (nil: ignored).
func bwRun(ctx context.Context, t *testing.T, bw *testpeers.BW, out any, args ...string) {
	t.Helper()
	resp, err := bw.JSON(ctx, args...)
	if err != nil {
		t.Fatalf("bw %s: %v", strings.Join(args, " "), err)
	}
	if out != nil {
		if err := resp.Decode(out); err != nil {
			t.Fatalf("bw %s: %v", args[0], err)
		}
	}
}

// cliSSOLogin runs `bw login --sso acme` on bw, has signIn carry the request the CLI opened through
// castellan and the identity provider, hands castellan's answer to the CLI's loopback listener and
// returns the CLI's output and error once it has exited.
func cliSSOLogin(ctx context.Context, t *testing.T, bw *testpeers.BW,
	signIn func(e2e.SSORequest) (*url.URL, error)) (string, error) {
	t.Helper()
	p, err := bw.Start(ctx, nil, "login", "--sso", ssoIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	next := cliBrowse(ctx, t, p, signIn)
	if !strings.HasPrefix(next.String(), "http://localhost:8065?") {
		t.Fatalf("the sign-in ended at %s, not at the CLI's listener", next)
	}
	if status, body := plainGet(t, next.String()); status != http.StatusOK {
		t.Errorf("the CLI's listener answered %d: %s", status, body)
	}
	stdout, stderr, err := p.Wait()
	return stdout + stderr, err
}

// cliBrowse waits for the URL the CLI opened, checks it is the CLI's SSO request for the
// organization, has signIn play the browser and returns where castellan sent it last.
func cliBrowse(ctx context.Context, t *testing.T, p *testpeers.BWProcess,
	signIn func(e2e.SSORequest) (*url.URL, error)) *url.URL {
	t.Helper()
	raw, err := p.WaitSSOURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e2e.ParseSSOURL(raw)
	if err != nil || r.ClientID != "cli" || r.Identifier != ssoIdentifier ||
		r.RedirectURI != "http://localhost:8065" {
		t.Fatalf("the CLI opened %q: %+v %v", raw, r, err)
	}
	next, err := signIn(r)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return next
}
