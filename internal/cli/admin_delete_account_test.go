package cli

import (
	"strings"
	"testing"
)

// TestAdminDeleteAccountNeedsYes checks that `members delete-account` refuses to run without --yes,
// before it logs in (the server address here answers nothing).
func TestAdminDeleteAccountNeedsYes(t *testing.T) {
	env := []string{"CASTELLAN_ADMIN_SERVER=https://127.0.0.1:1", "CASTELLAN_ADMIN_EMAIL=a@example.com",
		"CASTELLAN_ADMIN_PASSWORD=x"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"members", "delete-account", "--org", "o"}, `required flag(s) "member" not set`},
		{[]string{"members", "delete-account", "--member", "m"}, `required flag(s) "org" not set`},
		{[]string{"members", "delete-account", "--org", "o", "--member", "m"}, "pass --yes"},
	} {
		_, _, err := runAdmin(t, env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
