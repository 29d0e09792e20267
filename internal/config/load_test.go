package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmptySecretIsRefused: an empty secret file or an empty secret variable stops castellan with a
// message naming the variable, instead of falling back to the default (for DATABASE_URL, SQLite).
func TestEmptySecretIsRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty, newline, crlf := write("empty", ""), write("newline", "\n"), write("crlf", "\r\n")
	cases := []struct {
		env     []string
		wantVar string
	}{
		{[]string{"DATABASE_URL_FILE=" + empty}, "DATABASE_URL_FILE"},
		{[]string{"DATABASE_URL_FILE=" + newline}, "DATABASE_URL_FILE"},
		{[]string{"CASTELLAN_SMTP_PASSWORD_FILE=" + crlf}, "CASTELLAN_SMTP_PASSWORD_FILE"},
		{[]string{"DATABASE_URL="}, "DATABASE_URL"},
		{[]string{"CASTELLAN_SMTP_PASSWORD="}, "CASTELLAN_SMTP_PASSWORD"},
	}
	for _, c := range cases {
		_, err := load(t, c.env)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != c.wantVar || !strings.Contains(ce.Reason, "empty") {
			t.Errorf("%v: err = %v, want an error naming %s as empty", c.env, err, c.wantVar)
		}
	}
	// A file whose only line is the secret still works, and an empty non-secret keeps its default.
	cfg, err := load(t, []string{"DATABASE_URL_FILE=" + write("url", "sqlite:///x.db\n"), "CASTELLAN_ADDR="})
	if err != nil || cfg.DatabaseURL.Reveal() != "sqlite:///x.db" || cfg.Addr != "127.0.0.1:8443" {
		t.Fatalf("good file: %v, %q, %q", err, cfg.DatabaseURL.Reveal(), cfg.Addr)
	}
}
