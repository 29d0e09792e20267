// Package config loads castellan's server configuration from environment variables and the matching
// command-line flags.
//
// Every setting is one field of [Server], described by struct tags: `env` names the variable (read
// by caarlos0/env), `flag` the command-line flag, `help` the text shown by --help and in the README.
// Flags win over variables. A setting tagged `secret:"true"` has no flag (a command line is visible
// to every user of the machine); it may instead be given as a file whose path is in the variable
// with a _FILE suffix, and its value is never printed. Unknown CASTELLAN_ variables and bad values
// are errors that name the variable.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/webvault"
)

// Server is the configuration of `castellan serve` and `castellan migrate`.
type Server struct {
	Addr      string `env:"CASTELLAN_ADDR" envDefault:"127.0.0.1:8443" flag:"addr" help:"listen address (host:port)"`
	PublicURL string `env:"CASTELLAN_PUBLIC_URL" flag:"public-url" help:"origin (scheme, host and port, no path) that clients and identity providers use; every absolute URL castellan writes derives from it (default https://, or http:// with --insecure-http, plus the listen address, with localhost for a wildcard host such as 0.0.0.0)"`
	DataDir   string `env:"CASTELLAN_DATA_DIR" envDefault:"./data" flag:"data-dir" help:"folder for the SQLite database, the generated TLS certificate, keys and mail files"`

	DatabaseURL secret.String `env:"DATABASE_URL" secret:"true" help:"sqlite:///path/file.db, postgres://user:pass@host:port/db, or mysql://user:pass@host:port/db (default: SQLite file castellan.db in the data folder)"`
	// SealKey seals the secrets castellan keeps in the database (internal/seal).
	SealKey secret.String `env:"CASTELLAN_SEAL_KEY" secret:"true" help:"key that seals the secrets castellan keeps in its database (the keys in its settings table, the private keys that sign access tokens), so that a copy of the database alone does not reveal them; at least 32 characters of random text, e.g. from openssl rand -base64 32 (default none: those secrets are stored unsealed)"`

	TLSCert      string `env:"CASTELLAN_TLS_CERT" flag:"tls-cert" help:"PEM certificate file; with neither this nor the key, castellan makes and keeps a self-signed certificate for localhost and 127.0.0.1"`
	TLSKey       string `env:"CASTELLAN_TLS_KEY" flag:"tls-key" help:"PEM private key file for the certificate"`
	InsecureHTTP bool   `env:"CASTELLAN_INSECURE_HTTP" envDefault:"false" flag:"insecure-http" help:"serve plain HTTP, only for running behind a TLS-terminating reverse proxy"`

	LogLevel  string `env:"CASTELLAN_LOG_LEVEL" envDefault:"info" flag:"log-level" help:"debug, info, warn or error"`
	LogFormat string `env:"CASTELLAN_LOG_FORMAT" envDefault:"text" flag:"log-format" help:"text or json"`

	MaxBodyBytes    int64         `env:"CASTELLAN_MAX_BODY_BYTES" envDefault:"16777216" flag:"max-body-bytes" help:"largest request body accepted, in bytes"`
	ShutdownTimeout time.Duration `env:"CASTELLAN_SHUTDOWN_TIMEOUT" envDefault:"20s" flag:"shutdown-timeout" help:"how long in-flight requests may run after SIGTERM or SIGINT"`

	SMTPHost     string        `env:"CASTELLAN_SMTP_HOST" flag:"smtp-host" help:"SMTP server host name; without it, mail is written as .eml files to mail/ in the data folder"`
	SMTPPort     int           `env:"CASTELLAN_SMTP_PORT" flag:"smtp-port" help:"SMTP server port (default by security: 587 for starttls, 465 for force_tls, 25 for off)"`
	SMTPSecurity string        `env:"CASTELLAN_SMTP_SECURITY" envDefault:"starttls" flag:"smtp-security" help:"starttls (STARTTLS required), force_tls (TLS from the first byte) or off (plain text)"`
	SMTPUsername string        `env:"CASTELLAN_SMTP_USERNAME" flag:"smtp-username" help:"SMTP AUTH user name; without it, castellan does not authenticate"`
	SMTPPassword secret.String `env:"CASTELLAN_SMTP_PASSWORD" secret:"true" help:"SMTP AUTH password"`
	SMTPFrom     string        `env:"CASTELLAN_SMTP_FROM" flag:"smtp-from" help:"sender address of every message, optionally with a display name (default castellan@ plus the public URL's host)"`
	SMTPTimeout  time.Duration `env:"CASTELLAN_SMTP_TIMEOUT" envDefault:"15s" flag:"smtp-timeout" help:"how long one message may take to send, connection included"`
	SMTPCAFile   string        `env:"CASTELLAN_SMTP_CA_FILE" flag:"smtp-ca-file" help:"PEM file of certificate authorities to trust for the SMTP server instead of the system ones"`

	Registration        string `env:"CASTELLAN_REGISTRATION" envDefault:"open" flag:"registration" help:"open: anyone may create an account; closed: only invited users"`
	RegistrationDomains string `env:"CASTELLAN_REGISTRATION_DOMAINS" flag:"registration-domains" help:"comma-separated e-mail domains that may register (default any domain)"`
	// RegistrationVerifyEmail needs an SMTP server: without one, addresses are never verified.
	RegistrationVerifyEmail bool `env:"CASTELLAN_REGISTRATION_VERIFY_EMAIL" envDefault:"true" flag:"registration-verify-email" help:"with an SMTP server, a new account must prove its e-mail address with a link castellan mails; false turns this off (without SMTP it is always off)"`

	LoginFailuresPerAccount int           `env:"CASTELLAN_LOGIN_FAILURES_PER_ACCOUNT" envDefault:"10" flag:"login-failures-per-account" help:"failed logins per account in one window before logins for it answer 429"`
	LoginFailuresPerAddress int           `env:"CASTELLAN_LOGIN_FAILURES_PER_ADDRESS" envDefault:"100" flag:"login-failures-per-address" help:"failed logins per client address in one window before logins from it answer 429"`
	LoginFailureWindow      time.Duration `env:"CASTELLAN_LOGIN_FAILURE_WINDOW" envDefault:"15m" flag:"login-failure-window" help:"length of the failed-login counting window"`
	ClientIPHeader          string        `env:"CASTELLAN_CLIENT_IP_HEADER" flag:"client-ip-header" help:"header in which a trusted reverse proxy passes the client address (e.g. X-Forwarded-For; its last entry is used); default the connection's address"`
	// TokenSigningAlg signs access tokens; keys of other algorithms held from before keep verifying.
	TokenSigningAlg string `env:"CASTELLAN_TOKEN_SIGNING_ALG" envDefault:"EdDSA" flag:"token-signing-alg" help:"algorithm of the access tokens castellan signs: EdDSA, ES256 or RS256; tokens signed before a change stay valid until they expire"`

	DNSServer string `env:"CASTELLAN_DNS_SERVER" flag:"dns-server" help:"DNS server (host:port) that castellan asks for the TXT records of claimed domains, e.g. for split-horizon DNS (default the system resolver)"`
	// The domain re-verification job (internal/domains): how often it runs, how often a verified
	// domain is checked again, and how long a claimed domain may fail before its claim ends.
	DomainCheckInterval   time.Duration `env:"CASTELLAN_DOMAIN_CHECK_INTERVAL" envDefault:"15m" flag:"domain-check-interval" help:"how often the background job runs the domain checks that are due (one castellan process runs it, under a database lease)"`
	DomainRecheckInterval time.Duration `env:"CASTELLAN_DOMAIN_RECHECK_INTERVAL" envDefault:"24h" flag:"domain-recheck-interval" help:"how often the TXT record of a verified domain is checked again"`
	DomainGracePeriod     time.Duration `env:"CASTELLAN_DOMAIN_GRACE_PERIOD" envDefault:"336h" flag:"domain-grace-period" help:"how long a verified domain's TXT record may be missing before the organization's claim on it ends (a failing DNS lookup alone never ends it)"`

	InviteExpiry time.Duration `env:"CASTELLAN_INVITE_EXPIRY" envDefault:"120h" flag:"invite-expiry" help:"how long an organization invitation stays valid"`
	DefaultSeats int           `env:"CASTELLAN_DEFAULT_SEATS" envDefault:"0" flag:"default-seats" help:"seat limit of new organizations; 0 means unlimited (change one organization with castellan orgs set-seats)"`

	SSOTokenLifetime time.Duration `env:"CASTELLAN_SSO_TOKEN_LIFETIME" envDefault:"5m" flag:"sso-token-lifetime" help:"how long the token of SSO prevalidation lets a browser start a sign-in"`
	// SSOEnforceForAllUsers binds owners and admins to the Require SSO policy too.
	SSOEnforceForAllUsers bool `env:"CASTELLAN_SSO_ENFORCE_FOR_ALL_USERS" envDefault:"false" flag:"sso-enforce-for-all-users" help:"make the Require SSO policy bind organization owners and admins too (by default they keep their master password login)"`

	WebVaultDir string `env:"CASTELLAN_WEB_VAULT_DIR" flag:"web-vault-dir" help:"folder of an official Bitwarden web vault build (the one holding index.html) to serve at /; castellan's API and SSO routes keep their paths"`
}

// Validate checks values that a type alone cannot, and fills in derived defaults.
func (c *Server) Validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		return &Error{Var: "CASTELLAN_ADDR", Reason: "want host:port, e.g. 127.0.0.1:8443"}
	}
	if c.PublicURL == "" {
		scheme := "https"
		if c.InsecureHTTP {
			scheme = "http"
		}
		if host == "" || net.ParseIP(host).IsUnspecified() {
			host = "localhost" // a wildcard address is not one clients can reach
		}
		c.PublicURL = scheme + "://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return &Error{Var: "CASTELLAN_PUBLIC_URL", Reason: "want an origin such as https://vault.example.com"}
	}
	// Every route is served from the root and every URL castellan writes is origin + absolute
	// path, so a path prefix would be dropped from some URLs and doubled in others.
	if u.Path != "" && u.Path != "/" {
		return &Error{Var: "CASTELLAN_PUBLIC_URL", Reason: "want an origin such as https://vault.example.com, " +
			"without a path: castellan is served from the root of its host name"}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.DataDir == "" {
		return &Error{Var: "CASTELLAN_DATA_DIR", Reason: "must not be empty"}
	}
	if n := len(c.SealKey.Reveal()); n > 0 && n < 32 {
		return &Error{Var: "CASTELLAN_SEAL_KEY", Reason: "must be at least 32 characters of random text " +
			"(e.g. from openssl rand -base64 32)"}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return &Error{Var: "CASTELLAN_TLS_CERT", Reason: "CASTELLAN_TLS_CERT and CASTELLAN_TLS_KEY go together: set both or neither"}
	}
	if c.InsecureHTTP && c.TLSCert != "" {
		return &Error{Var: "CASTELLAN_INSECURE_HTTP", Reason: "plain HTTP was asked for, but a TLS certificate is configured too"}
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return &Error{Var: "CASTELLAN_LOG_LEVEL", Reason: err.Error()}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return &Error{Var: "CASTELLAN_LOG_FORMAT", Reason: "want text or json"}
	}
	if c.MaxBodyBytes < 1024 {
		return &Error{Var: "CASTELLAN_MAX_BODY_BYTES", Reason: "must be at least 1024"}
	}
	if c.ShutdownTimeout <= 0 {
		return &Error{Var: "CASTELLAN_SHUTDOWN_TIMEOUT", Reason: "must be positive, e.g. 20s"}
	}
	if err := c.validateAccounts(); err != nil {
		return err
	}
	if err := c.validateOrgs(); err != nil {
		return err
	}
	if err := c.validateDomains(); err != nil {
		return err
	}
	if err := c.validateWebVault(); err != nil {
		return err
	}
	return c.validateSMTP(u.Hostname())
}

// ParseLevel turns a level name into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q: want debug, info, warn or error", s)
}

// Error is a configuration problem with one variable. Its text names the variable (or the flag, for
// a value given by flag) and never contains the value of a secret.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return e.Var + ": " + e.Reason }

// validateAccounts checks the registration and login-limit settings.
func (c *Server) validateAccounts() error {
	if c.Registration != "open" && c.Registration != "closed" {
		return &Error{Var: "CASTELLAN_REGISTRATION", Reason: "want open or closed"}
	}
	for _, d := range c.RegistrationDomainList() {
		if strings.ContainsAny(d, "@ /") || !strings.Contains(d, ".") {
			return &Error{Var: "CASTELLAN_REGISTRATION_DOMAINS", Reason: "want domains such as example.com, comma-separated"}
		}
	}
	if c.LoginFailuresPerAccount < 1 {
		return &Error{Var: "CASTELLAN_LOGIN_FAILURES_PER_ACCOUNT", Reason: "must be at least 1"}
	}
	if c.LoginFailuresPerAddress < 1 {
		return &Error{Var: "CASTELLAN_LOGIN_FAILURES_PER_ADDRESS", Reason: "must be at least 1"}
	}
	if c.LoginFailureWindow < time.Minute {
		return &Error{Var: "CASTELLAN_LOGIN_FAILURE_WINDOW", Reason: "must be at least 1m"}
	}
	if strings.ContainsAny(c.ClientIPHeader, " :\r\n") {
		return &Error{Var: "CASTELLAN_CLIENT_IP_HEADER", Reason: "want a header name such as X-Forwarded-For"}
	}
	// The names are matched without regard to case (es256 is ES256) and kept in the JOSE spelling.
	alg := ""
	for _, a := range []string{"EdDSA", "ES256", "RS256"} {
		if strings.EqualFold(strings.TrimSpace(c.TokenSigningAlg), a) {
			alg = a
		}
	}
	if alg == "" {
		return &Error{Var: "CASTELLAN_TOKEN_SIGNING_ALG", Reason: fmt.Sprintf("%q: want EdDSA, ES256 or RS256",
			c.TokenSigningAlg)}
	}
	c.TokenSigningAlg = alg
	return nil
}

// RegistrationDomainList returns CASTELLAN_REGISTRATION_DOMAINS as lower-case domains.
func (c *Server) RegistrationDomainList() []string {
	var out []string
	for _, d := range strings.Split(c.RegistrationDomains, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// validateOrgs checks the organization settings.
func (c *Server) validateOrgs() error {
	if c.InviteExpiry < time.Hour || c.InviteExpiry > 90*24*time.Hour {
		return &Error{Var: "CASTELLAN_INVITE_EXPIRY", Reason: "must be between 1h and 2160h (90 days)"}
	}
	if c.DefaultSeats < 0 {
		return &Error{Var: "CASTELLAN_DEFAULT_SEATS", Reason: "must be 0 (unlimited) or a positive number"}
	}
	if c.SSOTokenLifetime < 10*time.Second || c.SSOTokenLifetime > time.Hour {
		return &Error{Var: "CASTELLAN_SSO_TOKEN_LIFETIME", Reason: "must be between 10s and 1h"}
	}
	return nil
}

// validateDomains checks CASTELLAN_DNS_SERVER, when set, is host:port with a numeric port, and
// that the domain job's durations are at least a second.
func (c *Server) validateDomains() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"CASTELLAN_DOMAIN_CHECK_INTERVAL", c.DomainCheckInterval},
		{"CASTELLAN_DOMAIN_RECHECK_INTERVAL", c.DomainRecheckInterval},
		{"CASTELLAN_DOMAIN_GRACE_PERIOD", c.DomainGracePeriod}} {
		if d.v < time.Second {
			return &Error{Var: d.name, Reason: "must be at least 1s"}
		}
	}
	if c.DNSServer == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.DNSServer)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return &Error{Var: "CASTELLAN_DNS_SERVER", Reason: "want host:port, e.g. 10.0.0.53:53"}
	}
	return nil
}

// validateWebVault checks that CASTELLAN_WEB_VAULT_DIR, when set, is a folder that castellan can
// serve as a web vault (webvault.Check: index.html and the connector pages, inside the folder).
func (c *Server) validateWebVault() error {
	if c.WebVaultDir == "" {
		return nil
	}
	if fi, err := os.Stat(c.WebVaultDir); err != nil || !fi.IsDir() {
		return &Error{Var: "CASTELLAN_WEB_VAULT_DIR", Reason: "not a folder: " + c.WebVaultDir}
	}
	if err := webvault.Check(c.WebVaultDir); err != nil {
		return &Error{Var: "CASTELLAN_WEB_VAULT_DIR", Reason: err.Error()}
	}
	return nil
}
