package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWebVaultDir(t *testing.T) {
	cfg, err := load(t, nil)
	if err != nil || cfg.WebVaultDir != "" {
		t.Fatalf("default: %q, %v", cfg.WebVaultDir, err)
	}
	build := t.TempDir()
	for _, name := range []string{"index.html", "redirect-connector.html", "sso-connector.html"} {
		if err := os.WriteFile(filepath.Join(build, name), []byte("<title>v</title>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// index.html linked from outside the folder: castellan would not serve it, so it says so.
	escaping := t.TempDir()
	for _, name := range []string{"redirect-connector.html", "sso-connector.html"} {
		if err := os.WriteFile(filepath.Join(escaping, name), []byte("c"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(build, "index.html"), filepath.Join(escaping, "index.html")); err != nil {
		t.Fatal(err)
	}
	_, err = load(t, []string{"CASTELLAN_WEB_VAULT_DIR=" + escaping})
	var le *Error
	if !errors.As(err, &le) || le.Var != "CASTELLAN_WEB_VAULT_DIR" || !strings.Contains(le.Reason, "symbolic link") {
		t.Errorf("escaping index: err = %v", err)
	}
	if cfg, err = load(t, nil, "--web-vault-dir", build); err != nil || cfg.WebVaultDir != build {
		t.Fatalf("a build folder: %q, %v", cfg.WebVaultDir, err)
	}
	for name, dir := range map[string]string{"missing": filepath.Join(build, "nope"), "no index": t.TempDir(),
		"a file": filepath.Join(build, "index.html")} {
		_, err := load(t, []string{"CASTELLAN_WEB_VAULT_DIR=" + dir})
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != "CASTELLAN_WEB_VAULT_DIR" || !strings.Contains(ce.Reason, dir) {
			t.Errorf("%s: err = %v, want one naming CASTELLAN_WEB_VAULT_DIR and the folder", name, err)
		}
	}
}
