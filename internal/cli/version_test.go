package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/castellantest"
)

// TestVersionCommit builds castellan as a user would and checks that `castellan version` names the
// commit: stamped by Go from the git checkout, or given with -ldflags -X when the build has no stamp.
func TestVersionCommit(t *testing.T) {
	root := castellantest.ModuleRoot(t)
	build := func(t *testing.T, args ...string) string {
		t.Helper()
		bin := filepath.Join(t.TempDir(), "castellan")
		cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, args...), "./cmd/castellan")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", args, err, out)
		}
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("castellan version: %v\n%s", err, out)
		}
		return string(out)
	}
	t.Run("ldflags", func(t *testing.T) {
		out := build(t, "-buildvcs=false",
			"-ldflags=-X github.com/castellan-vault/castellan/internal/version.Revision=0123456789ab")
		if !strings.Contains(out, "(commit 0123456789ab,") {
			t.Fatalf("version with -X: %q", out)
		}
	})
	t.Run("git checkout", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
			t.Skip("not a git checkout")
		}
		head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatalf("git rev-parse: %v", err)
		}
		out := build(t, "-buildvcs=true")
		want := regexp.MustCompile(`\(commit ` + string(head[:12]) + `(-dirty)?,`)
		if !want.MatchString(out) {
			t.Fatalf("version from a git checkout: %q, want commit %s", out, head[:12])
		}
	})
}
