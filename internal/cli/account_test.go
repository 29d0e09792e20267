package cli

import (
	"bytes"
	"strings"
	"testing"
)

// runAccount runs `castellan account args...` in-process with the given environment.
func runAccount(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(environ, &out, &errOut)
	root.SetArgs(append([]string{"account"}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

const testJoinLink = "https://vault.example.com/#/accept-organization?" +
	"organizationId=0b3c7f0e-5a61-4a0e-9d55-3f5b0c3f2a10" +
	"&organizationUserId=7d1e2f3a-1111-4c2d-8e9f-0a1b2c3d4e5f&email=ann%40example.com&organizationName=Acme" +
	"&token=tok&initOrganization=false&orgUserHasExistingUser=true"

// TestAccountSettingsErrors: every refusal that needs no server says what is wrong before any
// request (the server URLs here answer nothing).
func TestAccountSettingsErrors(t *testing.T) {
	base := []string{"CASTELLAN_ACCOUNT_SERVER=https://127.0.0.1:1", "CASTELLAN_ACCOUNT_EMAIL=ann@example.com"}
	pw := append(base, "CASTELLAN_ACCOUNT_PASSWORD=correct horse battery")
	cases := []struct {
		name    string
		environ []string
		args    []string
		want    string
	}{
		{"misspelt variable", append(pw, "CASTELLAN_ACCOUNT_PASWORD=x"), []string{"register"},
			"unknown variable CASTELLAN_ACCOUNT_PASWORD: castellan account reads only CASTELLAN_ACCOUNT_CA_FILE"},
		{"no server", []string{"CASTELLAN_ACCOUNT_PASSWORD=correct horse battery"},
			[]string{"register", "--email", "a@example.com"}, "no server: pass --server or set CASTELLAN_ACCOUNT_SERVER"},
		{"no email", []string{"CASTELLAN_ACCOUNT_SERVER=https://x", "CASTELLAN_ACCOUNT_PASSWORD=correct horse"},
			[]string{"register"}, "no e-mail address: pass --email or set CASTELLAN_ACCOUNT_EMAIL"},
		{"no password", base, []string{"register"}, "no master password: set CASTELLAN_ACCOUNT_PASSWORD"},
		{"password as an argument", pw, []string{"register", "--password", "x"}, "unknown flag: --password"},
		{"bad kdf", pw, []string{"register", "--kdf", "scrypt"}, `--kdf "scrypt": want pbkdf2 or argon2id`},
		{"kdf below the minimum", pw, []string{"register", "--kdf-iterations", "4999"}, "--kdf:"},
		{"memory for pbkdf2", pw, []string{"register", "--kdf-memory", "64"}, "are for --kdf argon2id"},
		{"two links", pw, []string{"register", "--invite-link", testJoinLink, "--verification-link", "x"},
			"none of the others can be"},
		{"bad verification link", pw, []string{"register", "--verification-link", testJoinLink},
			"not to finish-signup"},
		{"invitation for another address", append(pw[:0:0], "CASTELLAN_ACCOUNT_EMAIL=bob@example.com",
			"CASTELLAN_ACCOUNT_PASSWORD=correct horse battery"), []string{"accept-invite", testJoinLink},
			"the invitation is for ann@example.com, not for bob@example.com"},
		{"accept without a link", pw, []string{"accept-invite"}, "accepts 1 arg(s), received 0"},
		{"bad join link", pw, []string{"accept-invite", "https://vault.example.com/#/accept-organization?x=1"},
			"lacks organizationId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runAccount(t, tc.environ, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestAdminRefusesUnknownVariables: a misspelt CASTELLAN_ADMIN_ variable stops the command before
// it logs in, naming the variable and the ones castellan admin reads.
func TestAdminRefusesUnknownVariables(t *testing.T) {
	env := []string{"CASTELLAN_ADMIN_SERVER=https://127.0.0.1:1", "CASTELLAN_ADMIN_EMAIL=a@example.com",
		"CASTELLAN_ADMIN_PASSWORD=x", "CASTELLAN_ADMIN_CAFILE=/tmp/ca.pem", "CASTELLAN_ADMIN_SSO_SECRET=y",
		"CASTELLAN_ACCOUNT_SERVER=https://elsewhere"}
	_, _, err := runAdmin(t, env, "org", "list")
	want := "unknown variable CASTELLAN_ADMIN_CAFILE, CASTELLAN_ADMIN_SSO_SECRET: castellan admin reads only " +
		"CASTELLAN_ADMIN_CA_FILE, CASTELLAN_ADMIN_EMAIL, CASTELLAN_ADMIN_PASSWORD, CASTELLAN_ADMIN_PASSWORD_FILE, " +
		"CASTELLAN_ADMIN_SERVER, CASTELLAN_ADMIN_SSO_CLIENT_SECRET"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
