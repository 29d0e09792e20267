package cli

import (
	"context"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestInviteLinkChecks: castellan in process over TLS. A tampered invitation creates no account
// with register --invite-link; a wrong password does not claim the account is missing; a link to
// another server than the one named, or a plain-HTTP link, is refused before anything is sent; and
// the server taken from a link is named before the login.
func TestInviteLinkChecks(t *testing.T) {
	ctx := context.Background()
	ts, caFile, box := accountServer(t, app.AccountSettings{})
	fast := bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2, Iterations: bwcrypto.PBKDF2MinIterations}
	newClient := func() *adminclient.Client {
		c, err := adminclient.New(adminclient.Options{Server: ts.URL, HTTPClient: ts.Client()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	register := func(email, pw string) {
		if _, err := newClient().Register(ctx, adminclient.Registration{Email: email, Password: pw,
			KDF: fast}); err != nil {
			t.Fatal(err)
		}
	}
	register("owner@example.com", "Owner-Password-1")
	owner := newClient()
	if err := owner.Login(ctx, "owner@example.com", "Owner-Password-1"); err != nil {
		t.Fatal(err)
	}
	org, err := owner.CreateOrganization(ctx, adminclient.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Invite(ctx, org.ID, adminclient.Invitation{Emails: []string{"carol@example.com",
		"dan@example.com"}, Type: adminclient.RoleUser}); err != nil {
		t.Fatal(err)
	}
	joinRE := regexp.MustCompile(`https://\S+/#/accept-organization\?\S+`)
	links := map[string]string{}
	for _, m := range box.msgs {
		if l := joinRE.FindString(m.Text); l != "" && len(m.To) == 1 {
			links[m.To[0]] = l
		}
	}
	carolLink, danLink := links["carol@example.com"], links["dan@example.com"]
	if carolLink == "" || danLink == "" {
		t.Fatalf("Join links: %v", links)
	}
	env := func(pw string, more ...string) []string {
		return append([]string{"CASTELLAN_ACCOUNT_CA_FILE=" + caFile, "CASTELLAN_ACCOUNT_PASSWORD=" + pw}, more...)
	}
	fastFlag := []string{"--kdf-iterations", "5000"}

	// A tampered organization: refused before the account is made.
	tampered := regexp.MustCompile(`organizationId=[0-9a-fA-F-]+`).ReplaceAllString(carolLink,
		"organizationId=5e0c2d1a-7b3f-4c8e-9a6d-2f1e0b9c8d7a")
	_, _, err = runAccount(t, env("Carol-Password-1"), append([]string{"register", "--invite-link", tampered},
		fastFlag...)...)
	if err == nil || !strings.Contains(err.Error(), "no account was created") {
		t.Fatalf("tampered link: err = %v", err)
	}
	if err := newClient().Login(ctx, "carol@example.com", "Carol-Password-1"); err == nil {
		t.Fatal("the tampered link created carol's account")
	}
	// The real link then creates it and accepts.
	out, _, err := runAccount(t, env("Carol-Password-1"), append([]string{"register", "--invite-link", carolLink},
		fastFlag...)...)
	if err != nil || !strings.Contains(out, "Accepted the invitation to Acme as carol@example.com") {
		t.Fatalf("carol's register --invite-link: %v %s", err, out)
	}

	// dan had no account when invited but made one since: a wrong password does not say he has none.
	register("dan@example.com", "Dan-Password-12")
	_, _, err = runAccount(t, env("Not-Dans-Password"), "accept-invite", danLink)
	if err == nil || !strings.Contains(err.Error(), "Username or password is incorrect") ||
		strings.Contains(err.Error(), "had no account") {
		t.Errorf("wrong password: err = %v", err)
	}

	// Links that must not pick where the password goes.
	other := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	_, stderr, err := runAccount(t, env("Dan-Password-12", "CASTELLAN_ACCOUNT_SERVER="+other),
		"accept-invite", danLink)
	if err == nil || !strings.Contains(err.Error(), "but the server is "+other) || strings.Contains(stderr, "logging in") {
		t.Errorf("link to another server: err = %v, stderr %q", err, stderr)
	}
	plain := strings.Replace(danLink, "https://", "http://", 1)
	for _, args := range [][]string{{"accept-invite", plain}, {"register", "--invite-link", plain}} {
		_, stderr, err = runAccount(t, env("Dan-Password-12"), args...)
		if err == nil || !strings.Contains(err.Error(), "not HTTPS") || strings.Contains(stderr, "logging in") {
			t.Errorf("%s with an http link: err = %v, stderr %q", args[0], err, stderr)
		}
	}

	// Without a server named, the link's is named before the login, and the acceptance works.
	out, stderr, err = runAccount(t, env("Dan-Password-12"), "accept-invite", danLink)
	if err != nil || !strings.Contains(out, "Accepted the invitation to Acme as dan@example.com") {
		t.Fatalf("dan's acceptance: %v %s", err, out)
	}
	named := strings.Index(stderr, "the invitation points to "+ts.URL+": that server receives your login")
	if named < 0 || named > strings.Index(stderr, "logging in") {
		t.Errorf("stderr %q does not name the server before logging in", stderr)
	}
}

// accountServer runs castellan in process over TLS with the account settings given and returns it,
// a CA file that trusts it, and the mail it sends.
func accountServer(t *testing.T, accounts app.AccountSettings) (*httptest.Server, string, *outbox) {
	t.Helper()
	box := &outbox{}
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	a, err := app.New(context.Background(), app.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock: clock.Real{}, DB: storagetest.OpenFresh(t, storagetest.Engines()[0]), PublicURL: ts.URL,
		MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), Mail: box, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = a.Handler()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return ts, caFile, box
}

// TestRegisterRepeatsKDFFlags: on a server that verifies addresses the account is made at the
// second step, so the first names the key derivation flags given, to repeat there; with them, the
// account gets that KDF.
func TestRegisterRepeatsKDFFlags(t *testing.T) {
	ts, caFile, box := accountServer(t, app.AccountSettings{VerifyEmail: true})
	env := []string{"CASTELLAN_ACCOUNT_CA_FILE=" + caFile, "CASTELLAN_ACCOUNT_PASSWORD=Erin-Password-1",
		"CASTELLAN_ACCOUNT_SERVER=" + ts.URL}
	out, stderr, err := runAccount(t, env, "register", "--email", "erin@example.com", "--kdf", "argon2id",
		"--kdf-iterations", "3")
	want := "--verification-link 'LINK FROM THE E-MAIL' --kdf argon2id --kdf-iterations 3\n"
	if err != nil || !strings.Contains(out, want) || !strings.Contains(stderr, "repeat --kdf argon2id --kdf-iterations 3") {
		t.Fatalf("first step: %v\n%s\n%s", err, out, stderr)
	}
	link := regexp.MustCompile(`https://\S+/redirect-connector\.html#finish-signup\?[^\s']+`).FindString(
		box.msgs[len(box.msgs)-1].Text)
	if _, _, err := runAccount(t, env[:2], "register", "--verification-link", link, "--kdf", "argon2id",
		"--kdf-iterations", "3"); err != nil {
		t.Fatal(err)
	}
	c, err := adminclient.New(adminclient.Options{Server: ts.URL, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background(), "erin@example.com", "Erin-Password-1"); err != nil {
		t.Fatal(err)
	}
	if k := c.Account().KDF; k.Kind != bwcrypto.KDFArgon2id || k.Iterations != 3 {
		t.Errorf("erin's KDF = %+v, want argon2id with 3 iterations", k)
	}
}
