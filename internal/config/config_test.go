package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func load(t *testing.T, environ []string, args ...string) (Server, error) {
	t.Helper()
	var cfg Server
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	Bind(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := Load(&cfg, fs, environ, "CASTELLAN_"); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestDefaults(t *testing.T) {
	cfg, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8443" || cfg.PublicURL != "https://127.0.0.1:8443" || cfg.DataDir != "./data" ||
		cfg.InsecureHTTP || cfg.LogLevel != "info" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	cfg, err := load(t, []string{"CASTELLAN_ADDR=127.0.0.1:1", "CASTELLAN_LOG_LEVEL=debug"},
		"--addr", "0.0.0.0:9000", "--insecure-http", "--public-url", "https://vault.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:9000" || !cfg.InsecureHTTP || cfg.LogLevel != "debug" ||
		cfg.PublicURL != "https://vault.example.com" {
		t.Fatalf("got %+v", cfg)
	}
}

func TestSecretFromFileAndNeverPrinted(t *testing.T) {
	f := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(f, []byte("postgres://u:topsecret@h/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, []string{"DATABASE_URL_FILE=" + f})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseURL.Reveal() != "postgres://u:topsecret@h/db" {
		t.Fatalf("DatabaseURL = %q", cfg.DatabaseURL.Reveal())
	}
	if s := strings.Join([]string{cfg.DatabaseURL.String(), sprint(cfg)}, " "); strings.Contains(s, "topsecret") {
		t.Fatalf("secret printed: %s", s)
	}
	_, err = load(t, []string{"DATABASE_URL_FILE=/nonexistent/file"})
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "DATABASE_URL_FILE" {
		t.Fatalf("missing secret file: %v", err)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := map[string][]string{
		"CASTELLAN_MAX_BODY_BYTES":    {"CASTELLAN_MAX_BODY_BYTES=lots"},
		"CASTELLAN_INSECURE_HTTP":     {"CASTELLAN_INSECURE_HTTP=maybe"},
		"CASTELLAN_LOG_FORMAT":        {"CASTELLAN_LOG_FORMAT=xml"},
		"CASTELLAN_PUBLIC_URL":        {"CASTELLAN_PUBLIC_URL=https://vault.example.com/?x=1"},
		"CASTELLAN_FROBNICATE":        {"CASTELLAN_FROBNICATE=1"},
		"CASTELLAN_SHUTDOWN_TIMEOUT":  {"CASTELLAN_SHUTDOWN_TIMEOUT=-1s"},
		"CASTELLAN_DNS_SERVER":        {"CASTELLAN_DNS_SERVER=10.0.0.53"},
		"CASTELLAN_TOKEN_SIGNING_ALG": {"CASTELLAN_TOKEN_SIGNING_ALG=HS256"},
	}
	for want, env := range cases {
		_, err := load(t, env)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != want {
			t.Errorf("%v: err = %v, want one naming %s", env, err, want)
		}
	}
}

func TestTokenSigningAlg(t *testing.T) {
	cfg, err := load(t, nil)
	if err != nil || cfg.TokenSigningAlg != "EdDSA" {
		t.Fatalf("default: %q, %v", cfg.TokenSigningAlg, err)
	}
	cfg, err = load(t, []string{"CASTELLAN_TOKEN_SIGNING_ALG=ES256"}, "--token-signing-alg", "RS256")
	if err != nil || cfg.TokenSigningAlg != "RS256" {
		t.Fatalf("flag over variable: %q, %v", cfg.TokenSigningAlg, err)
	}
	for given, want := range map[string]string{"es256": "ES256", "eddsa": "EdDSA", "Rs256": "RS256"} {
		cfg, err = load(t, []string{"CASTELLAN_TOKEN_SIGNING_ALG=" + given})
		if err != nil || cfg.TokenSigningAlg != want {
			t.Errorf("%q: %q, %v, want %s", given, cfg.TokenSigningAlg, err, want)
		}
	}
	for _, bad := range []string{"HS256", "none", "PS256", "ed25519"} {
		_, err := load(t, []string{"CASTELLAN_TOKEN_SIGNING_ALG=" + bad})
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != "CASTELLAN_TOKEN_SIGNING_ALG" || !strings.Contains(ce.Reason, `"`+bad+`"`) {
			t.Errorf("%q: err = %v, want one naming CASTELLAN_TOKEN_SIGNING_ALG and the value", bad, err)
		}
	}
}

func TestEverySettingIsDocumented(t *testing.T) {
	for _, s := range Settings(&Server{}) {
		if (s.Flag == "") != s.Secret || s.Help == "" {
			t.Errorf("%s: a setting has a flag unless it is a secret, and help text", s.Env)
		}
	}
}

func sprint(v any) string { return strings.TrimSpace(strings.ReplaceAll(fmtV(v), "\n", " ")) }

func fmtV(v any) string { return fmt.Sprintf("%+v %#v", v, v) }

func TestDNSServer(t *testing.T) {
	for _, bad := range []string{"10.0.0.53", ":53", "dns.internal:0", "dns.internal:domain", "[::1]:70000"} {
		_, err := load(t, []string{"CASTELLAN_DNS_SERVER=" + bad})
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != "CASTELLAN_DNS_SERVER" {
			t.Errorf("%q: err = %v, want one naming CASTELLAN_DNS_SERVER", bad, err)
		}
	}
	for _, good := range []string{"10.0.0.53:53", "[::1]:5353", "dns.internal:53"} {
		cfg, err := load(t, nil, "--dns-server", good)
		if err != nil || cfg.DNSServer != good {
			t.Errorf("%q: %q, %v", good, cfg.DNSServer, err)
		}
	}
}
