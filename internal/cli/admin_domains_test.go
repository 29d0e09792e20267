package cli

import (
	"strings"
	"testing"
)

func TestAdminDomainsFlags(t *testing.T) {
	env := []string{"CASTELLAN_ADMIN_SERVER=https://127.0.0.1:1", "CASTELLAN_ADMIN_EMAIL=a@example.com",
		"CASTELLAN_ADMIN_PASSWORD=x"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"domains", "list"}, `required flag(s) "org" not set`},
		{[]string{"domains", "add", "--org", "o"}, `required flag(s) "name" not set`},
		{[]string{"domains", "verify", "--org", "o"}, `required flag(s) "domain" not set`},
		{[]string{"domains", "delete", "--org", "o"}, `required flag(s) "domain" not set`},
	} {
		_, _, err := runAdmin(t, env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
