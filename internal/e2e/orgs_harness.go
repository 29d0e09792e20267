package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// Harness helpers of issue 4's tests (organizations): castellan with real SMTP, invitation e-mails,
// the admin client and the `castellan admin` command.

// StartWithMail starts mailpit and a castellan that sends its mail there over STARTTLS with AUTH,
// trusting mailpit's self-signed certificate through CASTELLAN_SMTP_CA_FILE. Registration does not
// verify addresses (CASTELLAN_REGISTRATION_VERIFY_EMAIL=false), so that Register takes the token from
// the answer; StartWithVerifiedMail keeps the default.
func StartWithMail(t testing.TB, databaseURL string) (*castellantest.Server, *testpeers.Mailpit) {
	t.Helper()
	mp := testpeers.StartMailpit(t)
	env := append(MailpitEnv(mp), "CASTELLAN_REGISTRATION_VERIFY_EMAIL=false")
	srv := castellantest.Start(t, castellantest.Options{DatabaseURL: databaseURL, Env: env})
	return srv, mp
}

// StartWithVerifiedMail is StartWithMail with the default registration: new accounts prove their
// address with the link castellan mails (RegisterByMail). extra adds environment variables.
func StartWithVerifiedMail(t testing.TB, databaseURL string, extra ...string) (*castellantest.Server,
	*testpeers.Mailpit) {
	t.Helper()
	mp := testpeers.StartMailpit(t)
	env := append(MailpitEnv(mp), extra...)
	srv := castellantest.Start(t, castellantest.Options{DatabaseURL: databaseURL, Env: env})
	return srv, mp
}

// MailpitEnv is the environment that makes castellan send its mail to mp.
func MailpitEnv(mp *testpeers.Mailpit) []string {
	return []string{
		"CASTELLAN_SMTP_HOST=" + mp.SMTPHost, "CASTELLAN_SMTP_PORT=" + strconv.Itoa(mp.SMTPPort),
		"CASTELLAN_SMTP_SECURITY=starttls", "CASTELLAN_SMTP_USERNAME=castellan",
		"CASTELLAN_SMTP_PASSWORD=smtp-test-password", "CASTELLAN_SMTP_FROM=Castellan <vault@example.com>",
		"CASTELLAN_SMTP_CA_FILE=" + mp.CAFile,
	}
}

// Invitation is what the Join link of an invitation e-mail carries.
type Invitation struct {
	Link             string
	OrganizationID   string
	MemberID         string // organizationUserId
	Email            string
	OrganizationName string
	Token            string
	ExistingUser     bool // orgUserHasExistingUser
}

// joinLink finds the web vault's accept-organization link in a message body.
var joinLink = regexp.MustCompile(`https?://[^\s"'<>]+/#/accept-organization\?[^\s"'<>]+`)

// ParseJoinLink reads the query of a Join link (it sits in the URL fragment, where the web vault's
// router reads it).
func ParseJoinLink(link string) (Invitation, error) {
	u, err := url.Parse(link)
	if err != nil {
		return Invitation{}, fmt.Errorf("parse join link: %w", err)
	}
	route, query, ok := strings.Cut(u.Fragment, "?")
	if !ok || route != "/accept-organization" {
		return Invitation{}, fmt.Errorf("join link fragment %q is not /accept-organization?...", u.Fragment)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Invitation{}, fmt.Errorf("join link query: %w", err)
	}
	inv := Invitation{Link: link, OrganizationID: q.Get("organizationId"), MemberID: q.Get("organizationUserId"),
		Email: q.Get("email"), OrganizationName: q.Get("organizationName"), Token: q.Get("token"),
		ExistingUser: q.Get("orgUserHasExistingUser") == "true"}
	if inv.OrganizationID == "" || inv.MemberID == "" || inv.Email == "" || inv.Token == "" {
		return Invitation{}, fmt.Errorf("join link lacks organizationId, organizationUserId, email or token: %s", query)
	}
	return inv, nil
}

// ReadInvitation waits until mailpit holds an invitation to email and returns its Join link,
// checking that the text and HTML parts carry the same one.
func ReadInvitation(ctx context.Context, t testing.TB, mp *testpeers.Mailpit, email string) Invitation {
	t.Helper()
	msg, err := mp.WaitFor(ctx, email)
	if err != nil {
		t.Fatalf("e2e: invitation e-mail: %v", err)
	}
	link := joinLink.FindString(msg.Text)
	if link == "" {
		t.Fatalf("e2e: no Join link in the invitation's text:\n%s", msg.Text)
	}
	if html := strings.ReplaceAll(msg.HTML, "&amp;", "&"); !strings.Contains(html, link) {
		t.Errorf("e2e: the HTML part lacks the Join link of the text part")
	}
	inv, err := ParseJoinLink(link)
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return inv
}

// AdminClient logs u in with adminclient, trusting the server's self-signed certificate.
func AdminClient(t testing.TB, srv *castellantest.Server, u *User) *adminclient.Client {
	t.Helper()
	c, err := adminclient.New(adminclient.Options{Server: srv.URL, CAFile: srv.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background(), u.Email, u.Password); err != nil {
		t.Fatalf("e2e: admin client login as %s: %v", u.Email, err)
	}
	return c
}

// Accept accepts inv as u through the API, as the web vault does after the Join link, and returns
// the status and body.
func (u *User) Accept(t testing.TB, srv *castellantest.Server, inv Invitation) (int, []byte) {
	t.Helper()
	return Do(t, srv, u.Token, "POST", "/api/organizations/"+inv.OrganizationID+"/users/"+inv.MemberID+"/accept",
		map[string]string{"token": inv.Token})
}

// AdminRun is the outcome of one `castellan admin` run.
type AdminRun struct {
	Stdout, Stderr string
	Code           int
}

// RunAdmin runs `castellan admin args...` against srv as u, with the password in
// CASTELLAN_ADMIN_PASSWORD, the given stdin, and env added (KEY=VALUE; later ones win).
func RunAdmin(t testing.TB, srv *castellantest.Server, u *User, stdin string, env []string,
	args ...string) AdminRun {
	t.Helper()
	base := []string{"CASTELLAN_ADMIN_SERVER=" + srv.URL, "CASTELLAN_ADMIN_CA_FILE=" + srv.CAFile,
		"CASTELLAN_ADMIN_EMAIL=" + u.Email, "CASTELLAN_ADMIN_PASSWORD=" + u.Password}
	return RunCastellan(t, stdin, append(base, env...), append([]string{"admin"}, args...)...)
}

// RunCastellan runs the castellan binary with args, stdin and env (added to the test's own
// environment without its CASTELLAN_ variables) and returns stdout, stderr and the exit code.
func RunCastellan(t testing.TB, stdin string, env []string, args ...string) AdminRun {
	t.Helper()
	cmd := exec.Command(castellantest.Build(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CASTELLAN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	run := AdminRun{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		run.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("e2e: run castellan %s: %v", strings.Join(args, " "), err)
	}
	return run
}

// OrgItem creates a login item in an organization's collections as the web vault would: every
// field encrypted under the organization key, posted to /api/ciphers/create. It returns the id.
func OrgItem(t testing.TB, srv *castellantest.Server, u *User, orgKey bwcrypto.SymmetricKey, orgID string,
	collectionIDs []string, name, username, password string) string {
	t.Helper()
	enc := func(s string) string {
		e, err := orgKey.Encrypt(rand.Reader, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return e.String()
	}
	cipher := map[string]any{
		"type": 1, "organizationId": orgID, "name": enc(name), "notes": nil, "favorite": false, "reprompt": 0,
		"key": nil, "folderId": nil, "fields": nil, "passwordHistory": nil,
		"login": map[string]any{"username": enc(username), "password": enc(password), "totp": nil, "uris": []any{}},
	}
	var out struct{ ID string }
	Call(t, srv, u.Token, "POST", "/api/ciphers/create",
		map[string]any{"cipher": cipher, "collectionIds": collectionIDs}, &out)
	if out.ID == "" {
		t.Fatal("e2e: /api/ciphers/create returned no id")
	}
	return out.ID
}
