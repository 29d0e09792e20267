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
	if err := os.WriteFile(filepath.Join(build, "index.html"), []byte("<title>v</title>"), 0o644); err != nil {
		t.Fatal(err)
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
