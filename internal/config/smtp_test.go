package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSMTPDefaults(t *testing.T) {
	cfg, err := load(t, []string{"CASTELLAN_PUBLIC_URL=https://vault.example.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPHost != "" || cfg.SMTPSecurity != SMTPStartTLS || cfg.SMTPPort != 587 ||
		cfg.SMTPFrom != "castellan@vault.example.com" || cfg.SMTPTimeout != 15*time.Second {
		t.Fatalf("SMTP defaults: %+v", cfg)
	}
}

func TestSMTPPortFollowsSecurity(t *testing.T) {
	cases := []struct {
		env  []string
		want int
	}{
		{[]string{"CASTELLAN_SMTP_SECURITY=starttls"}, 587},
		{[]string{"CASTELLAN_SMTP_SECURITY=force_tls"}, 465},
		{[]string{"CASTELLAN_SMTP_SECURITY=off"}, 25},
		{[]string{"CASTELLAN_SMTP_SECURITY=FORCE_TLS"}, 465},
		{[]string{"CASTELLAN_SMTP_SECURITY=off", "CASTELLAN_SMTP_PORT=2525"}, 2525},
	}
	for _, c := range cases {
		cfg, err := load(t, c.env)
		if err != nil {
			t.Errorf("%v: %v", c.env, err)
			continue
		}
		if cfg.SMTPPort != c.want {
			t.Errorf("%v: port %d, want %d", c.env, cfg.SMTPPort, c.want)
		}
	}
}

func TestSMTPSenderAddress(t *testing.T) {
	good := map[string]string{
		"vault@example.com":         "vault@example.com",
		"Vault <vault@example.com>": "Vault <vault@example.com>",
		"":                          "castellan@127.0.0.1", // from the default public URL
	}
	for from, want := range good {
		cfg, err := load(t, []string{"CASTELLAN_SMTP_FROM=" + from})
		if err != nil || cfg.SMTPFrom != want {
			t.Errorf("FROM %q: got %q, %v; want %q", from, cfg.SMTPFrom, err, want)
		}
	}
	cfg, err := load(t, []string{"CASTELLAN_PUBLIC_URL=https://[::1]:8443"})
	if err != nil || cfg.SMTPFrom != "castellan@localhost" {
		t.Errorf("IPv6 public URL: FROM %q, %v", cfg.SMTPFrom, err)
	}
	bad := []string{
		"vault", "vault@", "@example.com", "a@b.com, c@d.com", "vault@example.com.",
		"Vault vault@example.com",
	}
	for _, from := range bad {
		_, err := load(t, []string{"CASTELLAN_SMTP_FROM=" + from})
		wantVar(t, err, "CASTELLAN_SMTP_FROM")
	}
}

func TestSMTPBadValuesNameTheVariable(t *testing.T) {
	cases := map[string][]string{
		"CASTELLAN_SMTP_SECURITY": {"CASTELLAN_SMTP_SECURITY=ssl"},
		"CASTELLAN_SMTP_PORT":     {"CASTELLAN_SMTP_PORT=70000"},
		"CASTELLAN_SMTP_HOST":     {"CASTELLAN_SMTP_HOST=smtp.example.com:587"},
		"CASTELLAN_SMTP_TIMEOUT":  {"CASTELLAN_SMTP_TIMEOUT=0s"},
		"CASTELLAN_SMTP_PASSWORD": {"CASTELLAN_SMTP_PASSWORD=pw-without-user"},
	}
	for want, env := range cases {
		_, err := load(t, env)
		wantVar(t, err, want)
	}
	_, err := load(t, []string{"CASTELLAN_SMTP_SECURITY=tls"})
	if err == nil || !strings.Contains(err.Error(), "starttls, force_tls or off") {
		t.Errorf("security error does not list the choices: %v", err)
	}
}

func TestSMTPPasswordFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte("s3cret-smtp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, []string{"CASTELLAN_SMTP_USERNAME=mailer", "CASTELLAN_SMTP_PASSWORD_FILE=" + f})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPPassword.Reveal() != "s3cret-smtp" {
		t.Fatalf("password = %q", cfg.SMTPPassword.Reveal())
	}
	if strings.Contains(sprint(cfg), "s3cret-smtp") {
		t.Fatal("SMTP password printed")
	}
}

func wantVar(t *testing.T, err error, name string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != name {
		t.Errorf("err = %v, want one naming %s", err, name)
	}
}
