package mail

import (
	"crypto/x509"
	"os"
	"path/filepath"

	"github.com/castellan-vault/castellan/internal/config"
)

// NewFromConfig returns the sender the configuration asks for: SMTP when CASTELLAN_SMTP_HOST is
// set, otherwise .eml files in <data folder>/mail. It logs which one it chose. cfg must have passed
// config.Server.Validate, which fills in the port and the sender address.
func NewFromConfig(cfg *config.Server, opts Options) (Sender, error) {
	opts = opts.withDefaults()
	log := opts.Logger.With("component", "mail")
	if cfg.SMTPHost == "" {
		dir := filepath.Join(cfg.DataDir, "mail")
		f, err := NewFile(dir, cfg.SMTPFrom, opts)
		if err != nil {
			return nil, err
		}
		log.Info("mail delivery: no SMTP server configured, writing .eml files", "dir", dir)
		return f, nil
	}
	roots, err := loadRoots(cfg.SMTPCAFile)
	if err != nil {
		return nil, err
	}
	s, err := NewSMTP(SMTPConfig{
		Host: cfg.SMTPHost, Port: cfg.SMTPPort, Security: Security(cfg.SMTPSecurity),
		Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom,
		Timeout: cfg.SMTPTimeout, RootCAs: roots,
	}, opts)
	if err != nil {
		return nil, err
	}
	log.Info("mail delivery: SMTP", "smtp_addr", s.Addr(), "security", cfg.SMTPSecurity,
		"auth", cfg.SMTPUsername != "", "custom_ca", roots != nil)
	if s.cfg.Security == NoTLS {
		log.Warn("SMTP security is off: messages, invitation links included, cross the network in clear")
	}
	return s, nil
}

// loadRoots reads a PEM bundle of certificate authorities; an empty path means the system roots.
func loadRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{Var: "CASTELLAN_SMTP_CA_FILE", Reason: "cannot read the file: " +
			err.Error()}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, &config.Error{Var: "CASTELLAN_SMTP_CA_FILE", Reason: "no PEM certificate in the file"}
	}
	return pool, nil
}
