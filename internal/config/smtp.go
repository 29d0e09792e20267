package config

import (
	"net"
	"net/mail"
	"strings"
)

// SMTP security modes accepted by CASTELLAN_SMTP_SECURITY.
const (
	SMTPStartTLS = "starttls"  // plain connect, then STARTTLS is required before anything else
	SMTPForceTLS = "force_tls" // TLS from the first byte (implicit TLS, RFC 8314)
	SMTPOff      = "off"       // no TLS at all
)

// smtpDefaultPorts is the usual port of each security mode: submission with STARTTLS (RFC 6409),
// submissions over implicit TLS (RFC 8314) and plain SMTP relay.
var smtpDefaultPorts = map[string]int{SMTPStartTLS: 587, SMTPForceTLS: 465, SMTPOff: 25}

// validateSMTP checks the mail settings and fills in the port and sender defaults. publicHost is the
// host of the public URL, used for the default sender address.
func (c *Server) validateSMTP(publicHost string) error {
	c.SMTPSecurity = strings.ToLower(strings.TrimSpace(c.SMTPSecurity))
	defaultPort, ok := smtpDefaultPorts[c.SMTPSecurity]
	if !ok {
		return &Error{Var: "CASTELLAN_SMTP_SECURITY", Reason: "want starttls, force_tls or off"}
	}
	if c.SMTPHost != "" {
		if _, _, err := net.SplitHostPort(c.SMTPHost); err == nil || strings.ContainsAny(c.SMTPHost, "/ ") {
			return &Error{Var: "CASTELLAN_SMTP_HOST", Reason: "want a host name or IP address alone; " +
				"the port goes in CASTELLAN_SMTP_PORT"}
		}
	}
	if c.SMTPPort == 0 {
		c.SMTPPort = defaultPort
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		return &Error{Var: "CASTELLAN_SMTP_PORT", Reason: "want a port between 1 and 65535"}
	}
	if c.SMTPFrom == "" {
		c.SMTPFrom = defaultSender(publicHost)
	}
	if err := checkSender(c.SMTPFrom); err != "" {
		return &Error{Var: "CASTELLAN_SMTP_FROM", Reason: err}
	}
	if c.SMTPTimeout <= 0 {
		return &Error{Var: "CASTELLAN_SMTP_TIMEOUT", Reason: "must be positive, e.g. 15s"}
	}
	if c.SMTPPassword != "" && c.SMTPUsername == "" {
		return &Error{Var: "CASTELLAN_SMTP_PASSWORD", Reason: "a password needs CASTELLAN_SMTP_USERNAME too"}
	}
	return nil
}

// defaultSender is castellan@<public host>. An IPv6 literal makes no valid address (net/mail has no
// domain literals), so that case falls back to localhost.
func defaultSender(publicHost string) string {
	if publicHost == "" || strings.Contains(publicHost, ":") {
		publicHost = "localhost"
	}
	return "castellan@" + publicHost
}

// checkSender returns why from is not a usable sender address, or "" when it is. A display name is
// allowed ("Castellan <vault@example.com>"); several addresses are not.
func checkSender(from string) string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return "want one email address such as vault@example.com or " +
			"\"Vault <vault@example.com>\": " + err.Error()
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "want one email address such as vault@example.com"
	}
	return ""
}
