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

// TestPublicURL: CASTELLAN_PUBLIC_URL is an origin; a path is refused (castellan serves from the root),
// and the default follows the listen address, with localhost for a wildcard host.
func TestPublicURL(t *testing.T) {
	for _, bad := range []string{"https://example.com/vault", "https://example.com/v/", "https://example.com//"} {
		_, err := load(t, []string{"CASTELLAN_PUBLIC_URL=" + bad})
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != "CASTELLAN_PUBLIC_URL" || !strings.Contains(ce.Reason, "without a path") {
			t.Errorf("%q: err = %v, want a refusal of the path naming CASTELLAN_PUBLIC_URL", bad, err)
		}
	}
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"CASTELLAN_PUBLIC_URL=https://vault.example.com/"}, "https://vault.example.com"},
		{[]string{"CASTELLAN_PUBLIC_URL=https://vault.example.com:8443"}, "https://vault.example.com:8443"},
		{[]string{"CASTELLAN_ADDR=0.0.0.0:9000"}, "https://localhost:9000"},
		{[]string{"CASTELLAN_ADDR=[::]:9000"}, "https://localhost:9000"},
		{[]string{"CASTELLAN_ADDR=:9000"}, "https://localhost:9000"},
		{[]string{"CASTELLAN_ADDR=[::1]:9000"}, "https://[::1]:9000"},
		{[]string{"CASTELLAN_ADDR=0.0.0.0:9000", "CASTELLAN_INSECURE_HTTP=true"}, "http://localhost:9000"},
	}
	for _, c := range cases {
		cfg, err := load(t, c.env)
		if err != nil || cfg.PublicURL != c.want {
			t.Errorf("%v: %q, %v; want %q", c.env, cfg.PublicURL, err, c.want)
		}
	}
}

// TestSealKey: CASTELLAN_SEAL_KEY is a secret (variable or file, no flag) of at least 32 characters,
// never echoed in an error.
func TestSealKey(t *testing.T) {
	_, err := load(t, []string{"CASTELLAN_SEAL_KEY=short-but-secret"})
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "CASTELLAN_SEAL_KEY" ||
		strings.Contains(err.Error(), "short-but-secret") {
		t.Fatalf("short key: %v", err)
	}
	key := "k0k1k2k3k4k5k6k7k8k9kAkBkCkDkEkF"
	f := filepath.Join(t.TempDir(), "seal")
	if err := os.WriteFile(f, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, []string{"CASTELLAN_SEAL_KEY_FILE=" + f})
	if err != nil || cfg.SealKey.Reveal() != key || strings.Contains(fmtV(cfg), key) {
		t.Fatalf("key from file: %v", err)
	}
}
