package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"
)

// A bucket counts failed logins for one account or one client address. Account buckets are named
// by a hash of the e-mail address (or by the API key's user id), so the table holds no addresses.
type bucket struct {
	name   string
	max    int
	window time.Duration
}

func (s *Server) accountBucket(normalizedEmail string) bucket {
	sum := sha256.Sum256([]byte(normalizedEmail))
	return bucket{name: "account:" + hex.EncodeToString(sum[:]), max: s.limits.PerAccount,
		window: s.limits.Window}
}

func (s *Server) clientBucket(userID string) bucket {
	return bucket{name: "client:" + userID, max: s.limits.PerAccount, window: s.limits.Window}
}

func (s *Server) addressBucket(r *http.Request) bucket {
	return bucket{name: "address:" + s.clientIP(r), max: s.limits.PerAddress, window: s.limits.Window}
}

// clientIP is the caller's address: the last entry of the configured proxy header, or the
// connection's address.
func (s *Server) clientIP(r *http.Request) string {
	if s.ipHeader != "" {
		if v := r.Header.Values(s.ipHeader); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(host) > 100 {
		host = host[:100]
	}
	return host
}

// blocked returns how long until the first full bucket among bs accepts logins again, or 0.
func (s *Server) blocked(ctx context.Context, bs ...bucket) (time.Duration, error) {
	now := s.clock.Now()
	var wait time.Duration
	for _, b := range bs {
		w, err := s.fullFor(ctx, b, now, b.max)
		if err != nil {
			return 0, err
		}
		wait = max(wait, w)
	}
	return wait, nil
}

// fullFor returns how long until bucket b, once it holds limit events in its window, frees up, or 0
// while it holds fewer.
func (s *Server) fullFor(ctx context.Context, b bucket, now time.Time, limit int) (time.Duration, error) {
	n, start, err := s.store.LoginFailures(ctx, b.name, now.Add(-b.window))
	if err != nil {
		return 0, err
	}
	if n < limit {
		return 0, nil
	}
	return start.Add(b.window).Sub(now), nil
}

// failed counts a failed login in every bucket. A store error is logged: the login fails anyway.
func (s *Server) failed(ctx context.Context, bs ...bucket) {
	now := s.clock.Now()
	for _, b := range bs {
		if err := s.store.RecordLoginFailure(ctx, b.name, now, now.Add(-b.window)); err != nil {
			s.log.ErrorContext(ctx, "could not count a failed login", "err", err)
		}
	}
}

// succeeded empties an account's bucket after a good login. Address buckets are left alone, so one
// valid account cannot launder guesses against others from the same address.
func (s *Server) succeeded(ctx context.Context, b bucket) {
	if err := s.store.ClearLoginFailures(ctx, b.name); err != nil {
		s.log.ErrorContext(ctx, "could not clear failed logins", "err", err)
	}
}

// Verification mails (register/send-verification-email) are limited in the same buckets table as
// failed logins, so that every castellan process on the database shares the count: per recipient
// (named by a hash of the address) and per client address, each in a fixed window.
const (
	DefaultMailsPerRecipient = 5
	DefaultMailsPerClient    = 20
	DefaultMailWindow        = time.Hour
)

// ClientAddress is the caller's address as the login limits see it (ClientIPHeader or the
// connection's address).
func (s *Server) ClientAddress(r *http.Request) string { return s.clientIP(r) }

// LimitVerificationMail counts one verification mail to normalizedEmail asked from clientAddr and
// returns how long until the fuller of the two buckets accepts another one, or 0 when this one may be
// sent. It counts first and reads after, so processes racing on one bucket never send more than its
// maximum. It counts whether or not the address has an account, so the answer tells nothing.
func (s *Server) LimitVerificationMail(ctx context.Context, normalizedEmail,
	clientAddr string) (time.Duration, error) {
	sum := sha256.Sum256([]byte(normalizedEmail))
	w := s.limits.MailWindow
	bs := []bucket{
		{name: "mail-to:" + hex.EncodeToString(sum[:]), max: s.limits.MailsPerRecipient, window: w},
		{name: "mail-from:" + clientAddr, max: s.limits.MailsPerClient, window: w},
	}
	now := s.clock.Now()
	var wait time.Duration
	for _, b := range bs {
		if err := s.store.RecordLoginFailure(ctx, b.name, now, now.Add(-b.window)); err != nil {
			return 0, err
		}
		w, err := s.fullFor(ctx, b, now, b.max+1) // this mail is counted already
		if err != nil {
			return 0, err
		}
		wait = max(wait, w)
	}
	return wait, nil
}
