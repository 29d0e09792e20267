package adminclient_test

import (
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func TestParseAccess(t *testing.T) {
	cases := []struct {
		in      string
		want    adminclient.Access
		wantErr bool
	}{
		{in: "c1", want: adminclient.Access{ID: "c1"}},
		{in: "c1:ro", want: adminclient.Access{ID: "c1", ReadOnly: true}},
		{in: "c1:ro:hide", want: adminclient.Access{ID: "c1", ReadOnly: true, HidePasswords: true}},
		{in: "c1:MANAGE", want: adminclient.Access{ID: "c1", Manage: true}},
		{in: "c1:manage:ro", wantErr: true},
		{in: "c1:write", wantErr: true},
		{in: ":ro", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range cases {
		got, err := adminclient.ParseAccess(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseAccess(%q) = %+v, %v", tc.in, got, err)
		}
		if err == nil {
			if back, _ := adminclient.ParseAccess(got.String()); back != got {
				t.Errorf("%q does not survive String()", tc.in)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for s, want := range map[string]adminclient.Role{"owner": 0, "Admin": 1, "user": 2, "custom": 4} {
		if got, err := adminclient.ParseRole(s); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := adminclient.ParseRole("manager"); err == nil {
		t.Error("the retired manager type was accepted")
	}
}

func TestParsePermissions(t *testing.T) {
	p, err := adminclient.ParsePermissions([]string{"manageusers", " manageGroups"})
	if err != nil || !p.ManageUsers || !p.ManageGroups || p.ManageSso {
		t.Errorf("= %+v, %v", p, err)
	}
	if _, err := adminclient.ParsePermissions([]string{"root"}); err == nil {
		t.Error("an unknown permission was accepted")
	}
}
