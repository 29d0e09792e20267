package domains

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Resolver looks up the TXT records at a name. Each string returned is one whole record (a record
// made of several character-strings comes back joined, as net.Resolver does). A name that
// authoritatively has no TXT record (NXDOMAIN, or the name exists without TXT records) returns an
// error matching [ErrNoRecords]; any other error means the answer is unknown for now.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// ErrNoRecords means DNS answered that the name has no TXT record.
var ErrNoRecords = errors.New("no TXT record at the name")

// DefaultLookupTimeout bounds one TXT lookup, retries included.
const DefaultLookupTimeout = 5 * time.Second

// ResolverOptions configure [NewResolver].
type ResolverOptions struct {
	// Server is a DNS server as host:port (CASTELLAN_DNS_SERVER). Empty means the system resolver.
	Server string
	// Timeout bounds each lookup; zero means DefaultLookupTimeout.
	Timeout time.Duration
}

// NetResolver is the [Resolver] castellan uses: the system's, or the DNS server named in the
// options, for split-horizon networks (and for tests against a local server).
type NetResolver struct {
	resolver *net.Resolver
	timeout  time.Duration
}

// NewResolver builds a NetResolver. With a Server, every query goes to that server (UDP, then TCP
// when an answer is truncated) through Go's own DNS client; the addresses in /etc/resolv.conf are
// then ignored, but its timeout and attempts options still apply within the lookup timeout.
func NewResolver(o ResolverOptions) (*NetResolver, error) {
	r := &NetResolver{resolver: &net.Resolver{}, timeout: o.Timeout}
	if r.timeout <= 0 {
		r.timeout = DefaultLookupTimeout
	}
	if o.Server == "" {
		return r, nil
	}
	if err := CheckServer(o.Server); err != nil {
		return nil, err
	}
	server := o.Server
	r.resolver = &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
	return r, nil
}

// CheckServer checks that s is a DNS server address of the form host:port.
func CheckServer(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return fmt.Errorf("DNS server %q: want host:port, e.g. 10.0.0.53:53", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("DNS server %q: the port must be a number from 1 to 65535", s)
	}
	return nil
}

// LookupTXT returns the TXT records at name. The name is queried as fully qualified, so no search
// domain of the host is ever appended.
func (r *NetResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	recs, err := r.resolver.LookupTXT(ctx, name+".")
	if err == nil {
		return recs, nil
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nil, fmt.Errorf("look up TXT at %s: %w", name, ErrNoRecords)
	}
	return nil, fmt.Errorf("look up TXT at %s: %w", name, err)
}

// Outcome classifies a verification check.
type Outcome int

// The outcomes of a check.
const (
	// Found: a TXT record at the name equals the verification value.
	Found Outcome = iota + 1
	// Absent: DNS answered, and no TXT record at the name equals the value (NXDOMAIN, no TXT
	// record, or only other values).
	Absent
	// Unknown: DNS did not answer usefully (timeout, SERVFAIL, network error), so nothing is known.
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case Found:
		return "found"
	case Absent:
		return "absent"
	case Unknown:
		return "unknown"
	}
	return "invalid"
}

// Result is the outcome of one check. Reason is a short sentence safe to show an administrator and
// to log; Err keeps the resolver's error, when there was one, for the logs.
type Result struct {
	Outcome Outcome
	Reason  string
	Err     error
}

// Check looks up the TXT records at name and says whether one of them equals token exactly: the
// whole record, byte for byte, so a value differing in one character, or with extra text around it,
// does not verify. (The official server compares the first character-string of each record; a
// 47-character value always fits in one, so both accept the same records in practice.)
func Check(ctx context.Context, r Resolver, name, token string) Result {
	recs, err := r.LookupTXT(ctx, name)
	switch {
	case errors.Is(err, ErrNoRecords):
		return Result{Outcome: Absent, Reason: "there is no TXT record at " + name, Err: err}
	case err != nil:
		return Result{Outcome: Unknown, Reason: unknownReason(err), Err: err}
	}
	for _, rec := range recs {
		// The value is public (it is published in DNS); the constant-time compare costs nothing.
		if len(rec) == len(token) && subtle.ConstantTimeCompare([]byte(rec), []byte(token)) == 1 {
			return Result{Outcome: Found, Reason: "the TXT record was found at " + name}
		}
	}
	return Result{Outcome: Absent,
		Reason: "no TXT record at " + name + " equals the verification value"}
}

func unknownReason(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "the DNS lookup timed out"
	case errors.Is(err, context.Canceled):
		return "the DNS lookup was cancelled"
	case errors.As(err, &dnsErr) && dnsErr.IsTemporary:
		return "the DNS server failed to answer (temporary failure)"
	}
	return "the DNS lookup failed"
}
