package mail

import (
	"errors"
	"strings"

	"github.com/wneessen/go-mail/smtp"
)

// errNoSafeMechanism is returned when the server offers no mechanism that castellan is willing to
// use on this connection.
var errNoSafeMechanism = errors.New("the server offers no authentication mechanism castellan can use " +
	"on this connection")

// Mechanism preferences. On an encrypted channel PLAIN and LOGIN come first: every relay supports
// them, while a server may advertise SCRAM or CRAM-MD5 without holding the secrets they need. On a
// plain channel only challenge-response mechanisms are allowed, so the password never crosses the
// wire in the clear (RFC 4954 §4 leaves this to the client).
var (
	tlsMechanisms   = []string{"PLAIN", "LOGIN", "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5"}
	clearMechanisms = []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5"}
)

// chooseAuth is an smtp.Auth that picks a mechanism from what the server advertised after EHLO and
// whether the connection is encrypted, then delegates to go-mail's implementation of it.
type chooseAuth struct {
	user, pass, host string
	started          *bool // set when the AUTH exchange begins, to classify errors
	inner            smtp.Auth
}

// Start picks the mechanism and begins the exchange.
func (a *chooseAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	*a.started = true
	prefs := clearMechanisms
	if server.TLS {
		prefs = tlsMechanisms
	}
	mech := pick(prefs, server.Auth)
	switch mech {
	case "PLAIN":
		a.inner = smtp.PlainAuth("", a.user, a.pass, a.host, false)
	case "LOGIN":
		a.inner = smtp.LoginAuth(a.user, a.pass, a.host, false)
	case "SCRAM-SHA-256":
		a.inner = smtp.ScramSHA256Auth(a.user, a.pass)
	case "SCRAM-SHA-1":
		a.inner = smtp.ScramSHA1Auth(a.user, a.pass)
	case "CRAM-MD5":
		a.inner = smtp.CRAMMD5Auth(a.user, a.pass)
	default:
		return "", nil, errNoSafeMechanism
	}
	return a.inner.Start(server)
}

// Next continues the exchange with the chosen mechanism.
func (a *chooseAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.inner.Next(fromServer, more)
}

// pick returns the first of prefs that offered contains (case-insensitively), or "".
func pick(prefs, offered []string) string {
	for _, p := range prefs {
		for _, o := range offered {
			if strings.EqualFold(p, o) {
				return p
			}
		}
	}
	return ""
}
