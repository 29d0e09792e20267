// Package secret holds values that must never reach a log line, an error message or a response body.
//
// A [String] prints as a mask through fmt, log/slog and encoding/json; the value itself is only
// available through [String.Reveal], so every place that uses a secret is easy to find.
package secret

import (
	"crypto/subtle"
	"log/slog"
)

const mask = "[redacted]"

// String is a secret text value (a password, a token, a DSN with credentials, a client secret).
type String string

// Reveal returns the secret value. Call it only where the value is used, never to log or print it.
func (s String) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s == "" }

// String masks the value for fmt and friends.
func (s String) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString masks the value for %#v.
func (s String) GoString() string { return s.String() }

// LogValue masks the value for log/slog.
func (s String) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the value for encoding/json.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText masks the value for text encoders.
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText stores the text as the secret value (used by the configuration loader).
func (s *String) UnmarshalText(b []byte) error {
	*s = String(b)
	return nil
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
