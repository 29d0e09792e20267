package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Kinds of delivery failure, for errors.Is on an [*Error].
var (
	ErrConnect  = errors.New("cannot reach the smtp server")
	ErrTLS      = errors.New("tls with the smtp server failed")
	ErrAuth     = errors.New("smtp authentication refused")
	ErrRejected = errors.New("the smtp server refused the message")
)

// Error is a failed SMTP delivery. Its text names the server, what failed and the server's reply
// code; it never contains the password, the user name, the recipients or the message. The
// underlying error is kept out of the chain for the same reason: errors.Is finds the kind
// (ErrConnect, ErrTLS, ErrAuth, ErrRejected) and a context error, nothing else.
type Error struct {
	Server string // host:port
	Code   int    // SMTP reply code, 0 when there was none
	kind   error
	ctxErr error
	text   string
}

func (e *Error) Error() string { return e.text }

// Temporary reports whether trying again later may succeed: a 4xx reply, or no answer at all.
func (e *Error) Temporary() bool {
	return e.Code/100 == 4 || (e.Code == 0 && e.kind == ErrConnect)
}

// Unwrap exposes the kind and, when the Send was cut short by its context, the context's error.
func (e *Error) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.kind, e.ctxErr}
	}
	return []error{e.kind}
}

// classify turns what go-mail returned into an *Error. op overrides the description of the step;
// secrets are strings that must not appear in the text.
func classify(sess *session, op string, err error, server string, secrets []string) *Error {
	e := &Error{Server: server}
	code, reply := replyOf(err)
	e.Code = code
	detail := err.Error()
	switch {
	case sess.ctx.Err() != nil:
		e.kind, e.ctxErr = ErrConnect, sess.ctx.Err()
		detail = "gave up: " + sess.ctx.Err().Error()
	case sess.authStarted && sess.phase < phaseSend, code == 530 || code == 534 || code == 535:
		e.kind = ErrAuth
		detail = "check the SMTP user name and password"
		if errors.Is(err, errNoSafeMechanism) {
			detail = errNoSafeMechanism.Error()
		}
	case sess.phase == phaseConnect && !isTLSError(err):
		e.kind = ErrConnect
	case strings.Contains(detail, "does not support STARTTLS"):
		e.kind = ErrTLS
		detail = "the server does not offer STARTTLS, which security starttls requires"
	case isTLSError(err):
		e.kind = ErrTLS
	case sess.phase == phaseSend:
		e.kind = ErrRejected
		detail = rejectedStep(err)
	default:
		e.kind = ErrConnect
	}
	if op == "" {
		op = e.kind.Error()
	}
	text := fmt.Sprintf("mail: smtp %s: %s: %s", server, op, detail)
	if code != 0 {
		text += fmt.Sprintf(" (server reply %d%s)", code, reply)
	}
	e.text = scrub(text, secrets)
	return e
}

// replyOf finds the SMTP reply code in err and, for go-mail's SendError, the enhanced status code.
func replyOf(err error) (int, string) {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if esc := se.EnhancedStatusCode(); esc != "" {
			return se.ErrorCode(), " " + esc
		}
		return se.ErrorCode(), ""
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code, ""
	}
	return 0, ""
}

// rejectedStep names the SMTP command the server refused, without go-mail's text (which lists the
// recipients).
func rejectedStep(err error) string {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return "during the mail transaction"
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom:
		return "at MAIL FROM (the sender address)"
	case gomail.ErrSMTPRcptTo:
		return "at RCPT TO (a recipient address)"
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		return "at DATA (the message)"
	}
	return "during the mail transaction"
}

func isTLSError(err error) bool {
	var (
		rh  tls.RecordHeaderError
		ae  tls.AlertError
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		inv x509.CertificateInvalidError
	)
	return errors.As(err, &rh) || errors.As(err, &ae) || errors.As(err, &cv) || errors.As(err, &ua) ||
		errors.As(err, &hn) || errors.As(err, &inv) || strings.Contains(err.Error(), "tls:")
}

// secretsOf lists what must never appear in an error text: credentials and the recipients.
func secretsOf(cfg SMTPConfig, m Message) []string {
	s := []string{cfg.Password.Reveal(), cfg.Username}
	return append(s, m.To...)
}

// scrub replaces every occurrence of each secret in text with a mask. The texts scrubbed come from
// the network stack and go-mail, which do not quote credentials; this is the second line of defence.
// Values shorter than four bytes are left alone, as masking them would garble the text.
func scrub(text string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	return text
}
