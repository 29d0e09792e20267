package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/castellantest"
)

// TestHelpShowsWhatEachCommandUses runs --help of the real binary: each command lists only the
// settings it uses, with the type of their values, and no secret has a flag.
func TestHelpShowsWhatEachCommandUses(t *testing.T) {
	cases := []struct {
		args      []string
		want, not []string
	}{
		{[]string{"migrate", "--help"},
			[]string{"--data-dir string", "--status", "--log-level string",
				"$DATABASE_URL (or $DATABASE_URL_FILE)"},
			[]string{"--addr", "--smtp-host", "--public-url", "--database-url", "--smtp-password"}},
		{[]string{"orgs", "list", "--help"},
			[]string{"--data-dir string", "$DATABASE_URL (or $DATABASE_URL_FILE)", "$CASTELLAN_SEAL_KEY"},
			[]string{"--addr", "--smtp-host", "--invite-expiry", "--database-url"}},
		{[]string{"orgs", "set-seats", "--help"},
			[]string{"--data-dir string", "0 or unlimited removes the limit", "$DATABASE_URL (or $DATABASE_URL_FILE)"},
			[]string{"--addr", "--smtp-host", "--default-seats", "--database-url"}},
		{[]string{"orgs", "--help"},
			[]string{"$DATABASE_URL (or $DATABASE_URL_FILE)"}, nil},
		{[]string{"serve", "--help"},
			[]string{"--shutdown-timeout duration", "--max-body-bytes int", "--smtp-port int", "--addr string",
				"$CASTELLAN_SMTP_PASSWORD (or $CASTELLAN_SMTP_PASSWORD_FILE)", "$DATABASE_URL (or $DATABASE_URL_FILE)"},
			[]string{"--smtp-password", "--database-url", "--insecure-http string"}},
		{[]string{"admin", "--help"},
			[]string{"--admin-email string"},
			[]string{"--email "}},
	}
	for _, c := range cases {
		out, code := castellantest.Run(t, nil, c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: no %q in\n%s", c.args, w, out)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("%v: %q should not be there:\n%s", c.args, n, out)
			}
		}
	}
	// A bool flag shows no type; one that takes no value in the help line.
	out, _ := castellantest.Run(t, nil, "serve", "--help")
	if !regexp.MustCompile(`(?m)^\s+--insecure-http\s{2,}serve plain HTTP`).MatchString(out) {
		t.Errorf("--insecure-http line:\n%s", out)
	}
}

// TestSecretFlagsAreGone: a secret given on the command line is refused, pointing at no flag at all.
func TestSecretFlagsAreGone(t *testing.T) {
	for _, flag := range []string{"--smtp-password", "--database-url"} {
		out, code := castellantest.Run(t, nil, "serve", flag, "s3cret")
		if code == 0 || !strings.Contains(out, "unknown flag: "+flag) {
			t.Errorf("serve %s: exit %d\n%s", flag, code, out)
		}
	}
}

// TestFlagValueErrorsNameTheFlag: a bad value given by flag is reported under the flag's name.
func TestFlagValueErrorsNameTheFlag(t *testing.T) {
	out, code := castellantest.Run(t, []string{"CASTELLAN_DATA_DIR=" + t.TempDir()},
		"serve", "--shutdown-timeout", "soon")
	if code == 0 || !strings.HasPrefix(out, "castellan: --shutdown-timeout: invalid value") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestAdminEmailAlias: --admin-email is the canonical flag for one's own address; --email still works
// on the commands where it does not name invitees, with a deprecation notice.
func TestAdminEmailAlias(t *testing.T) {
	env := []string{"CASTELLAN_ADMIN_SERVER=https://127.0.0.1:1"}
	for _, flag := range []string{"--admin-email", "--email"} {
		out, code := castellantest.Run(t, env, "admin", "org", "list", flag, "a@example.com")
		if code == 0 || !strings.Contains(out, "no master password") {
			t.Errorf("%s: exit %d, want it to get past the e-mail address:\n%s", flag, code, out)
		}
		deprecated := strings.Contains(out, "deprecated, use --admin-email")
		if deprecated != (flag == "--email") {
			t.Errorf("%s: deprecation notice %v:\n%s", flag, deprecated, out)
		}
	}
	out, code := castellantest.Run(t, env, "admin", "org", "list")
	if code == 0 || !strings.Contains(out, "pass --admin-email or set CASTELLAN_ADMIN_EMAIL") {
		t.Errorf("no address: exit %d\n%s", code, out)
	}
}
