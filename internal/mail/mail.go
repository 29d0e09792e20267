package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/castellan-vault/castellan/internal/clock"
)

// Sender delivers messages. Implementations are safe for concurrent use.
type Sender interface {
	// Send delivers one message to all its recipients, or returns an error and delivers nothing
	// that the caller could rely on. It gives up when ctx ends.
	Send(ctx context.Context, m Message) error
}

// Message is one email. Every recipient sees the others in the To header, so callers that write
// to unrelated people send one message per person.
type Message struct {
	To      []string // bare addresses or "Name <address>"
	Subject string
	Text    string // the text/plain part, always present
	HTML    string // the text/html alternative; empty for a text-only message
}

// Options are the dependencies of a sender. A nil Logger discards; a nil Clock is the wall clock; a
// nil Rand is crypto/rand.
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock
	Rand   io.Reader
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return o
}

// ErrInvalidMessage reports a message that cannot be sent as it is (no recipient, a malformed
// address, no subject or text).
var ErrInvalidMessage = errors.New("invalid message")

// validate checks m without quoting any address in the error, since errors end up in logs.
func (m Message) validate() error {
	if len(m.To) == 0 {
		return fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	for i, to := range m.To {
		if _, err := netmail.ParseAddress(to); err != nil {
			return fmt.Errorf("%w: recipient %d is not one valid address", ErrInvalidMessage, i+1)
		}
	}
	if strings.TrimSpace(m.Subject) == "" {
		return fmt.Errorf("%w: no subject", ErrInvalidMessage)
	}
	if m.Text == "" {
		return fmt.Errorf("%w: no text body", ErrInvalidMessage)
	}
	return nil
}

// compose turns m into a MIME message: multipart/alternative with the text part first (RFC 2046
// §5.1.4 puts the preferred, richest part last), quoted-printable UTF-8, Date from the clock and a
// Message-ID from the random source.
func compose(from string, m Message, opts Options) (*gomail.Msg, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("set sender: %w", err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("%w: recipients", ErrInvalidMessage)
	}
	id, err := messageID(opts.Rand, from)
	if err != nil {
		return nil, err
	}
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(opts.Clock.Now())
	msg.SetUserAgent("castellan")
	msg.Subject(oneLine(m.Subject))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageID is <128 random bits in hex>@<sender's domain> (RFC 5322 §3.6.4).
func messageID(random io.Reader, from string) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	domain := "castellan.invalid"
	if a, err := netmail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	return hex.EncodeToString(b) + "@" + domain, nil
}

// oneLine folds line breaks into spaces so that a subject built from user data (an organization
// name) cannot start a new header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// sinceMillis is a duration in milliseconds for log lines.
func sinceMillis(c clock.Clock, start time.Time) int64 {
	return c.Now().Sub(start).Milliseconds()
}
