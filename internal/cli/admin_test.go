package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// runAdmin runs `castellan admin args...` in-process with the given environment.
func runAdmin(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(environ, &out, &errOut)
	root.SetArgs(append([]string{"admin"}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

func TestAdminSettingsErrors(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"CASTELLAN_ADMIN_SERVER=https://127.0.0.1:1", "CASTELLAN_ADMIN_EMAIL=a@example.com"}
	cases := []struct {
		name    string
		environ []string
		args    []string
		want    string
	}{
		{"no server", []string{"CASTELLAN_ADMIN_PASSWORD=x"}, []string{"org", "list"}, "no server"},
		{"no email", []string{"CASTELLAN_ADMIN_SERVER=https://x", "CASTELLAN_ADMIN_PASSWORD=x"},
			[]string{"org", "list"}, "no e-mail address"},
		{"no password", base, []string{"org", "list"}, "no master password: set CASTELLAN_ADMIN_PASSWORD"},
		{"password as an argument", append(base, "CASTELLAN_ADMIN_PASSWORD=x"),
			[]string{"org", "list", "--password", "x"}, "unknown flag: --password"},
		{"both password sources", append(base, "CASTELLAN_ADMIN_PASSWORD=x"),
			[]string{"org", "list", "--password-file", pwFile}, "not both"},
		{"missing password file", base, []string{"org", "list", "--password-file", pwFile + ".nope"},
			"read the password file"},
		{"bad server URL", append([]string{"CASTELLAN_ADMIN_SERVER=vault.example.com",
			"CASTELLAN_ADMIN_EMAIL=a@example.com"}, "CASTELLAN_ADMIN_PASSWORD=x"), []string{"org", "list"},
			"want an origin"},
		{"org flag required", base, []string{"members", "list"}, `required flag(s) "org" not set`},
		{"confirm needs a target", base, []string{"members", "confirm", "--org", "o"}, "--member ID"},
		{"confirm takes one way", base, []string{"members", "confirm", "--org", "o", "--all", "--member", "m"},
			"--member ID"},
		{"bad access", base, []string{"members", "invite", "--org", "o", "--email", "x@y.z", "--collection", "c:rw"},
			`unknown flag "rw"`},
		{"permission without custom", base,
			[]string{"members", "invite", "--org", "o", "--email", "x@y.z", "--permission", "manageUsers"},
			"--permission needs --type custom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runAdmin(t, tc.environ, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConfirmTargets(t *testing.T) {
	ms := []adminclient.Member{
		{ID: "m-inv", Email: "inv@x", Status: adminclient.StatusInvited},
		{ID: "m-acc", Email: "acc@x", Status: adminclient.StatusAccepted},
		{ID: "m-con", Email: "con@x", Status: adminclient.StatusConfirmed},
		{ID: "m-rev", Email: "rev@x", Status: adminclient.StatusRevoked},
		{ID: "m-acc2", Email: "acc2@x", Status: adminclient.StatusAccepted},
	}
	all, err := confirmTargets(ms, nil)
	if err != nil || len(all) != 2 || all[0].ID != "m-acc" || all[1].ID != "m-acc2" {
		t.Errorf("--all picked %+v, %v", all, err)
	}
	if got, err := confirmTargets(ms, []string{"M-ACC"}); err != nil || len(got) != 1 {
		t.Errorf("by id: %+v, %v", got, err)
	}
	for id, want := range map[string]string{
		"m-inv":   "inv@x (m-inv) has not accepted the invitation yet",
		"m-con":   "already confirmed",
		"m-rev":   "is revoked: restore the member first",
		"m-other": "is not in this organization",
	} {
		if _, err := confirmTargets(ms, []string{"m-acc", id}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", id, err, want)
		}
	}
}

func TestChangeSet(t *testing.T) {
	got := changeSet([]string{"a", "b"}, []string{"C", "a", " "}, []string{"B"})
	if strings.Join(got, ",") != "a,C" {
		t.Errorf("changeSet = %v", got)
	}
	if got := changeSet(nil, nil, []string{"a"}); got == nil || len(got) != 0 {
		t.Errorf("an emptied group = %#v, want an empty non-nil list", got)
	}
}

func TestAskReadsYesNoAndEndOfInput(t *testing.T) {
	answers := map[string]bool{"y\n": true, "YES\n": true, "n\n": false, "\n": false, "": false, "y": true}
	for in, want := range answers {
		var errOut bytes.Buffer
		root := NewRoot(nil, &bytes.Buffer{}, &errOut)
		root.SetIn(strings.NewReader(in))
		got, err := ask(root, bufio.NewReader(root.InOrStdin()), "Confirm? ")
		if err != nil || got != want {
			t.Errorf("answer %q: got %v, %v", in, got, err)
		}
	}
}
