package domains_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
)

// testTimeout keeps timeout cases fast; loopback answers come back in well under a millisecond.
const testTimeout = 300 * time.Millisecond

const token = "bw=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefgh"

func newResolver(t *testing.T, srv *domainstest.DNSServer) *domains.NetResolver {
	t.Helper()
	r, err := domains.NewResolver(domains.ResolverOptions{Server: srv.Addr, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckAgainstDNSServer(t *testing.T) {
	srv := domainstest.NewDNSServer(t)
	r := newResolver(t, srv)
	offByOne := token[:len(token)-1] + "i"
	long := make([]string, 40) // more than fits in a UDP answer: the client must retry over TCP
	for i := range long {
		long[i] = "v=spf1 include:_spf.example.net ~all " + strings.Repeat("x", 20+i)
	}
	cases := []struct {
		name  string
		setup func(name string)
		want  domains.Outcome
	}{
		{"ExactMatch", func(n string) { srv.SetTXT(n, "v=spf1 -all", token) }, domains.Found},
		{"OffByOneCharacter", func(n string) { srv.SetTXT(n, offByOne) }, domains.Absent},
		{"PrefixOnly", func(n string) { srv.SetTXT(n, token[:len(token)-1]) }, domains.Absent},
		{"ExtraText", func(n string) { srv.SetTXT(n, token+" ") }, domains.Absent},
		{"OtherCase", func(n string) { srv.SetTXT(n, strings.ToUpper(token)) }, domains.Absent},
		{"SplitIntoStrings", func(n string) { srv.SetRecords(n, []string{token[:10], token[10:]}) },
			domains.Found},
		{"NoTXT", func(n string) { srv.SetTXT(n) }, domains.Absent},
		{"NXDOMAIN", func(n string) { srv.Remove(n) }, domains.Absent},
		{"ServFail", func(n string) { srv.SetTXT(n, token); srv.SetMode(n, domainstest.ServFail) },
			domains.Unknown},
		{"Timeout", func(n string) { srv.SetTXT(n, token); srv.SetMode(n, domainstest.Drop) },
			domains.Unknown},
		{"TruncatedThenTCP", func(n string) { srv.SetTXT(n, append(long, token)...) },
			domains.Found},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := strings.ToLower(c.name) + ".example.test"
			c.setup(name)
			start := time.Now()
			res := domains.Check(context.Background(), r, name, token)
			if res.Outcome != c.want {
				t.Fatalf("outcome = %v (%s, %v), want %v", res.Outcome, res.Reason, res.Err, c.want)
			}
			if res.Reason == "" {
				t.Error("no reason given")
			}
			if took := time.Since(start); took > 3*testTimeout {
				t.Errorf("check took %v, beyond the %v lookup timeout", took, testTimeout)
			}
			if srv.Queries(name) == 0 {
				t.Error("the DNS server was never asked")
			}
			if tcp := srv.TCPQueries(name) > 0; tcp != (c.name == "TruncatedThenTCP") {
				t.Errorf("asked over TCP: %v", tcp)
			}
		})
	}
}

func TestResolverClassifiesErrors(t *testing.T) {
	srv := domainstest.NewDNSServer(t)
	r := newResolver(t, srv)
	ctx := context.Background()
	srv.Remove("gone.example.test")
	if _, err := r.LookupTXT(ctx, "gone.example.test"); !errors.Is(err, domains.ErrNoRecords) {
		t.Errorf("NXDOMAIN: err = %v, want ErrNoRecords", err)
	}
	srv.SetMode("broken.example.test", domainstest.ServFail)
	_, err := r.LookupTXT(ctx, "broken.example.test")
	if err == nil || errors.Is(err, domains.ErrNoRecords) {
		t.Errorf("SERVFAIL: err = %v, want a transient error", err)
	}
	res := domains.Check(ctx, r, "broken.example.test", token)
	if !strings.Contains(res.Reason, "temporary") {
		t.Errorf("SERVFAIL reason = %q", res.Reason)
	}
	srv.SetMode("slow.example.test", domainstest.Drop)
	res = domains.Check(ctx, r, "slow.example.test", token)
	if res.Outcome != domains.Unknown || !strings.Contains(res.Reason, "timed out") {
		t.Errorf("timeout: %v %q", res.Outcome, res.Reason)
	}
}

func TestResolverQueriesTheNameAsFullyQualified(t *testing.T) {
	srv := domainstest.NewDNSServer(t)
	r := newResolver(t, srv)
	srv.SetTXT("example.test", token)
	res := domains.Check(context.Background(), r, "example.test", token)
	if res.Outcome != domains.Found {
		t.Fatalf("outcome = %v (%v)", res.Outcome, res.Err)
	}
	// With a search domain appended, the server would have seen other names too.
	if n := srv.Queries("example.test"); n != 1 {
		t.Errorf("queries for example.test = %d, want 1", n)
	}
}

func TestNewResolverRefusesBadServer(t *testing.T) {
	bad := []string{"10.0.0.53", ":53", "dns.internal:0", "dns.internal:dns", "[::1]:99999"}
	for _, s := range bad {
		if _, err := domains.NewResolver(domains.ResolverOptions{Server: s}); err == nil {
			t.Errorf("server %q accepted", s)
		}
	}
	for _, s := range []string{"10.0.0.53:53", "[::1]:5353", "dns.internal:53"} {
		if _, err := domains.NewResolver(domains.ResolverOptions{Server: s}); err != nil {
			t.Errorf("server %q refused: %v", s, err)
		}
	}
}
