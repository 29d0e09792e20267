// Package domainstest holds test doubles for the domains package: an authoritative DNS server that
// runs in the test process on 127.0.0.1 (UDP and TCP), and a Notifier that records events.
package domainstest

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Mode is how the DNS server answers queries for a name.
type Mode int

// The ways the DNS server can answer.
const (
	// Answer: answer from the records set (NXDOMAIN for an unknown name).
	Answer Mode = iota
	// ServFail: answer SERVFAIL.
	ServFail
	// Drop: never answer, so the client times out.
	Drop
)

// DNSServer is an authoritative DNS server for tests. Names are matched without regard to case
// and without the trailing dot. It is safe for concurrent use.
type DNSServer struct {
	// Addr is host:port of the server, for domains.ResolverOptions.Server.
	Addr string

	mu      sync.Mutex
	names   map[string][][]string // name -> TXT records, each a list of character-strings
	modes   map[string]Mode
	deflt   Mode
	queries map[string]int
	viaTCP  map[string]int
}

// NewDNSServer starts a server on a free port of 127.0.0.1, serving UDP and TCP on the same port,
// and stops it when the test ends.
func NewDNSServer(t testing.TB) *DNSServer {
	t.Helper()
	s := &DNSServer{names: map[string][][]string{}, modes: map[string]Mode{},
		queries: map[string]int{}, viaTCP: map[string]int{}}
	pc, l, err := listenPair()
	if err != nil {
		t.Fatalf("start test DNS server: %v", err)
	}
	s.Addr = l.Addr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: l, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return s
}

// listenPair opens UDP and TCP on one free port, retrying when the TCP port is taken.
func listenPair() (net.PacketConn, net.Listener, error) {
	var err error
	for range 20 {
		var pc net.PacketConn
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		var l net.Listener
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			return pc, l, nil
		}
		_ = pc.Close()
	}
	return nil, nil, errors.Join(errors.New("no free port for both UDP and TCP"), err)
}

func key(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

// SetTXT makes name exist with one TXT record per value (each value one character-string, split
// into 255-byte pieces if longer), replacing its earlier records. No values: the name exists with
// no TXT record (the answer is NOERROR with no data).
func (s *DNSServer) SetTXT(name string, values ...string) {
	recs := make([][]string, 0, len(values))
	for _, v := range values {
		var parts []string
		for len(v) > 255 {
			parts, v = append(parts, v[:255]), v[255:]
		}
		recs = append(recs, append(parts, v))
	}
	s.SetRecords(name, recs...)
}

// SetRecords makes name exist with these TXT records, each given as its character-strings.
func (s *DNSServer) SetRecords(name string, records ...[]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[key(name)] = records
}

// Remove makes name not exist (NXDOMAIN).
func (s *DNSServer) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.names, key(name))
}

// SetMode sets how queries for name are answered; SetMode("", m) sets the default for all names.
func (s *DNSServer) SetMode(name string, m Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		s.deflt = m
		return
	}
	s.modes[key(name)] = m
}

// Queries returns how many queries for name the server has received, over both transports.
func (s *DNSServer) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[key(name)]
}

// TCPQueries returns how many of those queries came over TCP.
func (s *DNSServer) TCPQueries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viaTCP[key(name)]
}

// ServeDNS answers one query.
func (s *DNSServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		_ = w.WriteMsg(m.SetRcode(req, dns.RcodeFormatError))
		return
	}
	_, tcp := w.LocalAddr().(*net.TCPAddr)
	mode, recs, exists := s.lookup(req.Question[0].Name, tcp)
	m := new(dns.Msg)
	switch {
	case mode == Drop:
		return
	case mode == ServFail:
		m.SetRcode(req, dns.RcodeServerFailure)
	case !exists:
		m.SetRcode(req, dns.RcodeNameError)
	default:
		m.SetReply(req)
		if q := req.Question[0]; q.Qtype == dns.TypeTXT {
			for _, r := range recs {
				hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}
				m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: r})
			}
		}
	}
	m.Authoritative = true
	if !tcp {
		fit(req, m)
	}
	_ = w.WriteMsg(m)
}

// lookup counts a query for name and returns how to answer it.
func (s *DNSServer) lookup(name string, tcp bool) (Mode, [][]string, bool) {
	name = key(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries[name]++
	if tcp {
		s.viaTCP[name]++
	}
	mode, ok := s.modes[name]
	if !ok {
		mode = s.deflt
	}
	recs, exists := s.names[name]
	return mode, recs, exists
}

// fit truncates a UDP answer to the size the client accepts, setting TC so it asks again over TCP.
func fit(req, m *dns.Msg) {
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = int(opt.UDPSize())
		m.SetEdns0(opt.UDPSize(), false)
	}
	m.Truncate(size)
}
