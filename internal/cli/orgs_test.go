package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// runCLI runs `castellan args...` in-process with the given environment.
func runCLI(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(environ, &out, &errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestOrgsSetSeatsAndList(t *testing.T) {
	dir := t.TempDir()
	env := []string{"CASTELLAN_DATA_DIR=" + dir, "DATABASE_URL=sqlite://" + filepath.Join(dir, "c.db")}
	_, _, err := runCLI(t, env, "orgs", "list")
	if err == nil || !strings.Contains(err.Error(), "castellan migrate") {
		t.Fatalf("orgs list on an empty database: %v, want a hint to migrate", err)
	}
	if _, _, err := runCLI(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	const id = "3f0c5a9e-8d2b-4f61-9a4e-2c7d1b0e6f55"
	addOrg(t, dir, id)
	for _, tc := range []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{[]string{"orgs", "set-seats", id, "--", "-1"}, "want a number of seats", ""},
		{[]string{"orgs", "set-seats", id, "many"}, "want a number of seats", ""},
		{[]string{"orgs", "set-seats", "acme", "5"}, "not an organization id", ""},
		{[]string{"orgs", "set-seats", "00000000-0000-4000-8000-000000000001", "5"}, "no organization", ""},
		{[]string{"orgs", "set-seats", strings.ToUpper(id), "25"}, "", "seat limit 25, 1 in use"},
		{[]string{"orgs", "list"}, "", "Acme  1           25"},
		{[]string{"orgs", "set-seats", id, "0"}, "", "seat limit unlimited, 1 in use"},
		{[]string{"orgs", "list"}, "", "Acme  1           unlimited"},
		{[]string{"orgs", "set-seats", id, "3"}, "", "seat limit 3"},
		{[]string{"orgs", "set-seats", id, "unlimited"}, "", "seat limit unlimited"},
	} {
		out, _, err := runCLI(t, env, tc.args...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, tc.wantOut) {
			t.Errorf("%v: %q, %v; want output with %q", tc.args, out, err, tc.wantOut)
		}
	}
}

// addOrg stores an organization with one invited member.
func addOrg(t *testing.T, dir, id string) {
	t.Helper()
	ctx := context.Background()
	target, _ := storage.ParseURL("sqlite://"+filepath.Join(dir, "c.db"), dir)
	db, err := storage.Open(ctx, target, storage.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := orgs.NewSQLStore(db)
	now := time.Now()
	o := orgs.Organization{ID: id, Name: "Acme", BillingEmail: "b@acme.example", Enabled: true,
		CreatedAt: now, RevisionDate: now}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	m := orgs.Member{ID: "3f0c5a9e-8d2b-4f61-9a4e-2c7d1b0e6f56", OrganizationID: id, Email: "x@acme.example",
		Type: orgs.RoleUser, CreatedAt: now, RevisionDate: now}
	if err := s.InsertMembers(ctx, []orgs.Member{m}); err != nil {
		t.Fatal(err)
	}
}
