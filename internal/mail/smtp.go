package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/castellan-vault/castellan/internal/secret"
)

// Security is how the connection to the SMTP server is protected.
type Security string

// The security modes, with the same names as CASTELLAN_SMTP_SECURITY.
const (
	StartTLS Security = "starttls"  // plain connect, STARTTLS required before EHLO is trusted
	ForceTLS Security = "force_tls" // TLS from the first byte (implicit TLS, RFC 8314 §3)
	NoTLS    Security = "off"       // no TLS
)

// SMTPConfig is what an [SMTPSender] needs to reach its server.
type SMTPConfig struct {
	Host     string
	Port     int
	Security Security
	Username string // empty: no SMTP AUTH
	Password secret.String
	From     string         // sender address, optionally with a display name
	Timeout  time.Duration  // bound of one Send, connection included
	RootCAs  *x509.CertPool // nil: the system roots
}

// SMTPSender sends each message over its own SMTP connection.
type SMTPSender struct {
	cfg  SMTPConfig
	opts Options
	log  *slog.Logger
}

// NewSMTP returns a sender for cfg. It does not connect: the first Send does.
func NewSMTP(cfg SMTPConfig, opts Options) (*SMTPSender, error) {
	switch cfg.Security {
	case StartTLS, ForceTLS, NoTLS:
	default:
		return nil, fmt.Errorf("smtp security %q: want starttls, force_tls or off", cfg.Security)
	}
	if cfg.Host == "" || cfg.Port < 1 || cfg.Port > 65535 {
		return nil, errors.New("smtp: want a host and a port between 1 and 65535")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	opts = opts.withDefaults()
	return &SMTPSender{cfg: cfg, opts: opts, log: opts.Logger.With("component", "mail")}, nil
}

// Addr is host:port of the server.
func (s *SMTPSender) Addr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
}

// Send delivers m over a new connection, which it closes afterwards. The whole exchange is bound
// by the configured timeout and by ctx: when ctx ends, the connection is closed under the client.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	start := s.opts.Clock.Now()
	msg, err := compose(s.cfg.From, m, s.opts)
	if err != nil {
		return fmt.Errorf("compose mail: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	sess := &session{cfg: s.cfg, ctx: ctx}
	defer sess.close()
	client, err := gomail.NewClient(s.cfg.Host, s.clientOptions(sess)...)
	if err != nil {
		return s.fail(sess, m, "configure client", err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.fail(sess, m, "", err)
	}
	sess.phase = phaseSend
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		_ = client.CloseWithSMTPClient(conn)
		return s.fail(sess, m, "", err)
	}
	if err := client.CloseWithSMTPClient(conn); err != nil {
		// The server took the message (DATA was answered 250); a failed QUIT changes nothing.
		s.log.DebugContext(ctx, "smtp quit failed after delivery", "error", err.Error())
	}
	s.log.InfoContext(ctx, "mail sent", "recipients", len(m.To), "smtp_addr", s.Addr(),
		"duration_ms", sinceMillis(s.opts.Clock, start))
	return nil
}

func (s *SMTPSender) clientOptions(sess *session) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(sess.dial),
		gomail.WithTLSConfig(tlsConfig(s.cfg)),
		gomail.WithoutNoop(),
	}
	// TLS for force_tls is done in sess.dial, so go-mail only ever runs STARTTLS.
	if s.cfg.Security == StartTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&chooseAuth{
			user: s.cfg.Username, pass: s.cfg.Password.Reveal(), host: s.cfg.Host, started: &sess.authStarted,
		}))
	}
	return opts
}

func tlsConfig(cfg SMTPConfig) *tls.Config {
	return &tls.Config{ServerName: cfg.Host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

// fail logs a failed delivery (outcome only) and returns the classified, credential-free error.
func (s *SMTPSender) fail(sess *session, m Message, op string, err error) error {
	e := classify(sess, op, err, s.Addr(), secretsOf(s.cfg, m))
	s.log.WarnContext(sess.ctx, "mail not sent", "recipients", len(m.To), "smtp_addr", s.Addr(),
		"error", e.Error())
	return e
}

// phase is how far one SMTP exchange got, for naming what failed.
type phase int

const (
	phaseConnect phase = iota // TCP connect, and the TLS handshake with force_tls
	phaseGreet                // greeting, EHLO, STARTTLS
	phaseSend                 // MAIL, RCPT, DATA
)

// session is the state of one Send: the raw connection (closed when ctx ends) and the phase.
type session struct {
	cfg         SMTPConfig
	ctx         context.Context
	mu          sync.Mutex
	raw         net.Conn
	stop        func() bool
	phase       phase
	authStarted bool
}

// dial connects, does the TLS handshake itself for force_tls (so that the client sees a *tls.Conn
// and knows the channel is encrypted) and arranges for the socket to close when the Send's ctx
// ends, which unblocks any read or write in progress.
func (s *session) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.raw = raw
	s.stop = context.AfterFunc(s.ctx, func() { _ = raw.Close() })
	s.mu.Unlock()
	if s.cfg.Security != ForceTLS {
		s.phase = phaseGreet
		return raw, nil
	}
	tc := tls.Client(raw, tlsConfig(s.cfg))
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	s.phase = phaseGreet
	return tc, nil
}

// close releases the socket if go-mail has not already.
func (s *session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		s.stop()
	}
	if s.raw != nil {
		_ = s.raw.Close()
	}
}
