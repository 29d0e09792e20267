package mail

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

const (
	testUser     = "castellan-mailer"
	testPassword = "pw-Zq81-never-shown"
)

func rootsFromFile(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in " + path)
	}
	return pool
}

func newTestSMTP(t *testing.T, cfg SMTPConfig, logs *logBuffer) *SMTPSender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Castellan <castellan@vault.example.com>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	s, err := NewSMTP(cfg, testOptions(logs, clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSMTPStartTLSWithAuth is the production shape: submission with mandatory STARTTLS, the
// server's certificate checked against a given CA, PLAIN over TLS.
func TestSMTPStartTLSWithAuth(t *testing.T) {
	mp := testpeers.StartMailpit(t)
	logs := &logBuffer{}
	s := newTestSMTP(t, SMTPConfig{
		Host: mp.SMTPHost, Port: mp.SMTPPort, Security: StartTLS, Username: testUser, Password: testPassword,
		RootCAs: rootsFromFile(t, mp.CAFile),
	}, logs)
	d := sampleInvite()
	d.UsesSSO, d.RequireSSO, d.SSOIdentifier = true, true, "acme-sso"
	m, err := InviteMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := mp.WaitFor(ctx, d.Email)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Join "+d.OrganizationName || len(got.To) != 1 || got.To[0].Address != d.Email ||
		got.From.Address != "castellan@vault.example.com" {
		t.Fatalf("received subject %q to %v from %v", got.Subject, got.To, got.From)
	}
	links := linkRE.FindAllString(got.Text, -1)
	if len(links) != 2 {
		t.Fatalf("received text links %v:\n%s", links, got.Text)
	}
	checkJoinLink(t, links[0], d, true)
	checkSSOLink(t, links[1], d)
	if h := hrefs(got.HTML); !equal(h, links) {
		t.Fatalf("received HTML links %v", h)
	}
	checkNoLeak(t, logs.String(), d.Email, testPassword, testUser, "accept-organization", "Acme")
	if !strings.Contains(logs.String(), `"msg":"mail sent"`) ||
		!strings.Contains(logs.String(), `"recipients":1`) {
		t.Fatalf("no outcome log line:\n%s", logs)
	}
}

func checkNoLeak(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q leaked into:\n%s", s, text)
		}
	}
}

// TestSMTPStartTLSChecksTheCertificate: without the CA, the self-signed certificate is refused,
// which also shows that STARTTLS really ran.
func TestSMTPStartTLSChecksTheCertificate(t *testing.T) {
	mp := testpeers.StartMailpit(t)
	s := newTestSMTP(t, SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, Security: StartTLS,
		Username: testUser, Password: testPassword}, &logBuffer{})
	err := s.Send(t.Context(), plainMessage("carol@example.com"))
	if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a TLS certificate error", err)
	}
	checkNoLeak(t, err.Error(), testPassword, testUser, "carol@example.com")
}

func plainMessage(to string) Message {
	return Message{To: []string{to}, Subject: "Hello " + to, Text: "Body for " + to}
}

// TestSMTPStartTLSIsMandatory: a server without STARTTLS is refused in starttls mode and used
// as is in off mode.
func TestSMTPStartTLSIsMandatory(t *testing.T) {
	mp := startVariantMailpit(t, false)
	s := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: StartTLS}, &logBuffer{})
	err := s.Send(t.Context(), plainMessage("dave@example.com"))
	if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("err = %v, want a missing-STARTTLS error", err)
	}
	off := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: NoTLS}, &logBuffer{})
	if err := off.Send(t.Context(), plainMessage("erin@example.com")); err != nil {
		t.Fatal(err)
	}
	if got := mp.waitSubjects(t, "erin@example.com"); len(got) != 1 || got[0] != "Hello erin@example.com" {
		t.Fatalf("off mode: received %v", got)
	}
	if got := mp.subjectsTo(t, "dave@example.com"); len(got) != 0 {
		t.Fatalf("starttls mode delivered without TLS: %v", got)
	}
}

// TestSMTPRejectedRecipient: a recipient the server refuses gives ErrRejected with the reply code,
// and the error does not quote the address (go-mail's own error text does).
func TestSMTPRejectedRecipient(t *testing.T) {
	mp := startVariantMailpit(t, false, "--smtp-allowed-recipients", `@allowed\.example$`)
	s := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: NoTLS}, &logBuffer{})
	err := s.Send(t.Context(), plainMessage("nina@refused.example"))
	var me *Error
	if !errors.Is(err, ErrRejected) || !errors.As(err, &me) || me.Code/100 != 5 {
		t.Fatalf("err = %v, want a 5xx rejection", err)
	}
	checkNoLeak(t, err.Error(), "nina@refused.example", "nina")
	if err := s.Send(t.Context(), plainMessage("otto@allowed.example")); err != nil {
		t.Fatal(err)
	}
}

// TestSMTPOffNeverSendsAPasswordInClear: mailpit offers PLAIN and LOGIN on a plain connection;
// castellan refuses to use them there.
func TestSMTPOffNeverSendsAPasswordInClear(t *testing.T) {
	mp := testpeers.StartMailpit(t)
	s := newTestSMTP(t, SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, Security: NoTLS,
		Username: testUser, Password: testPassword}, &logBuffer{})
	err := s.Send(t.Context(), plainMessage("frank@example.com"))
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "no authentication mechanism") {
		t.Fatalf("err = %v, want a refusal to authenticate in clear", err)
	}
	checkNoLeak(t, err.Error(), testPassword, testUser, "frank@example.com")
}

// TestSMTPForceTLS: implicit TLS from the first byte, with AUTH, to a mailpit that only speaks TLS.
func TestSMTPForceTLS(t *testing.T) {
	mp := startVariantMailpit(t, true, "--smtp-require-tls", "--smtp-auth-accept-any")
	s := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: ForceTLS,
		Username: testUser, Password: testPassword, RootCAs: rootsFromFile(t, mp.caFile)}, &logBuffer{})
	if err := s.Send(t.Context(), plainMessage("gina@example.com")); err != nil {
		t.Fatal(err)
	}
	if got := mp.waitSubjects(t, "gina@example.com"); len(got) != 1 {
		t.Fatalf("force_tls: received %v", got)
	}
	untrusted := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: ForceTLS},
		&logBuffer{})
	if err := untrusted.Send(t.Context(), plainMessage("hank@example.com")); !errors.Is(err, ErrTLS) {
		t.Fatalf("force_tls without the CA: %v", err)
	}
}

// TestSMTPRefusedAuth: a wrong password gives an authentication error that names neither the
// password nor the user; the right one delivers.
func TestSMTPRefusedAuth(t *testing.T) {
	authFile := t.TempDir() + "/auth"
	if err := os.WriteFile(authFile, []byte(testUser+":"+testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := startVariantMailpit(t, true, "--smtp-auth-file", authFile)
	roots := rootsFromFile(t, mp.caFile)
	logs := &logBuffer{}
	wrong := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: StartTLS,
		Username: testUser, Password: "wrong-" + testPassword, RootCAs: roots}, logs)
	err := wrong.Send(t.Context(), plainMessage("ivy@example.com"))
	var me *Error
	if !errors.Is(err, ErrAuth) || !errors.As(err, &me) || me.Code != 535 ||
		!strings.Contains(err.Error(), "authentication refused") {
		t.Fatalf("err = %v, want a 535 authentication refusal", err)
	}
	checkNoLeak(t, err.Error(), testPassword, testUser, "ivy@example.com")
	checkNoLeak(t, logs.String(), testPassword, testUser, "ivy@example.com")
	right := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: StartTLS,
		Username: testUser, Password: testPassword, RootCAs: roots}, logs)
	if err := right.Send(t.Context(), plainMessage("jack@example.com")); err != nil {
		t.Fatal(err)
	}
	if got := mp.waitSubjects(t, "jack@example.com"); len(got) != 1 {
		t.Fatalf("right password: received %v", got)
	}
	if got := mp.subjectsTo(t, "ivy@example.com"); len(got) != 0 {
		t.Fatalf("wrong password delivered: %v", got)
	}
}

// TestSMTPCancelClosesTheConnection: a server that accepts and then says nothing; cancelling the
// context ends Send at once instead of waiting for the timeout.
func TestSMTPCancelClosesTheConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	s := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: port, Security: StartTLS, Timeout: time.Hour},
		&logBuffer{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, plainMessage("kim@example.com")) }()
	conn := <-accepted
	defer conn.Close()
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestSMTPConnectRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := newTestSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: port, Security: StartTLS,
		Username: testUser, Password: testPassword}, &logBuffer{})
	err = s.Send(t.Context(), plainMessage("lee@example.com"))
	if !errors.Is(err, ErrConnect) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewFromConfigPicksSMTP(t *testing.T) {
	mp := testpeers.StartMailpit(t)
	cfg := loadConfig(t, "CASTELLAN_DATA_DIR="+t.TempDir(), "CASTELLAN_SMTP_HOST="+mp.SMTPHost,
		"CASTELLAN_SMTP_PORT="+strconv.Itoa(mp.SMTPPort), "CASTELLAN_SMTP_USERNAME="+testUser,
		"CASTELLAN_SMTP_PASSWORD="+testPassword, "CASTELLAN_SMTP_CA_FILE="+mp.CAFile,
		"CASTELLAN_SMTP_FROM=vault@example.com")
	logs := &logBuffer{}
	s, err := NewFromConfig(&cfg, testOptions(logs, clock.Real{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*SMTPSender); !ok {
		t.Fatalf("sender %T", s)
	}
	if !strings.Contains(logs.String(), "mail delivery: SMTP") ||
		!strings.Contains(logs.String(), `"security":"starttls"`) {
		t.Fatalf("start-up log: %s", logs)
	}
	checkNoLeak(t, logs.String(), testPassword, testUser)
	if err := s.Send(t.Context(), plainMessage("mona@example.com")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := mp.WaitFor(ctx, "mona@example.com")
	if err != nil || got.From.Address != "vault@example.com" {
		t.Fatalf("received %+v, %v", got, err)
	}
	for _, bad := range []string{"/nonexistent/ca.pem", writeTemp(t, "not a certificate")} {
		cfg.SMTPCAFile = bad
		_, err := NewFromConfig(&cfg, Options{})
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "CASTELLAN_SMTP_CA_FILE" {
			t.Errorf("CA file %q: %v", bad, err)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/file"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
