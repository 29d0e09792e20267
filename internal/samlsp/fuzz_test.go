package samlsp

import (
	"context"
	"crypto/x509"
	"strconv"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/castellan-vault/castellan/internal/clock"
)

// neverSeen is a replay cache that accepts every ID, so that the fuzzer can reach acceptance of
// the same seed again and again.
type neverSeen struct{}

func (neverSeen) Seen(context.Context, string, time.Time) (bool, error) { return false, nil }

func fuzzSP(tb testing.TB, edit func(*Config)) *ServiceProvider {
	tb.Helper()
	sp := newTestSP(tb, edit)
	cfg := sp.Config()
	keys := KeySet{Current: spKeys, Previous: &oldSPKeys}
	nsp, err := New(cfg, keys, sp.Endpoints(), Options{ReplayCache: neverSeen{}})
	if err != nil {
		tb.Fatal(err)
	}
	return nsp
}

// FuzzParseResponse feeds response documents to the whole parse and validation path, seeded with
// the accepted fixtures and the negative corpus. Besides never panicking, whatever it accepts
// must be something the IdP signed: the fixtures only ever sign alice-0001, so any other NameID
// coming through would be a forgery.
func FuzzParseResponse(f *testing.F) {
	sp := newTestSP(f, func(c *Config) { c.IdpAllowUnsolicitedAuthnResponse = true })
	s := sp.spec()
	f.Add(idp.signedAssertionResponse(f, s))
	f.Add(idp.signedResponse(f, s))
	f.Add(docBytes(f, responseEl(s, encrypt(f, signedEl(f, s), spKeys.Encryption.Cert))))
	for _, at := range negativeCorpus() {
		f.Add(at.build(f, s))
	}
	strict := fuzzSP(f, nil)
	lenient := fuzzSP(f, func(c *Config) {
		c.SpWantAssertionsSigned, c.IdpAllowUnsolicitedAuthnResponse = false, true
		c.SpMinIncomingSigningAlgorithm = AlgRSASHA1
	})
	signed := map[string]bool{s.NameID: true}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, p := range []*ServiceProvider{strict, lenient} {
			a, err := p.ParseResponseXML(context.Background(), doc, []string{testRequestID}, t0)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %T is not an *Error: %v", err, err)
				}
				continue
			}
			if !signed[a.NameID] || a.Issuer != testIdPEntityID || (!a.AssertionSigned && !a.ResponseSigned) {
				t.Fatalf("accepted unsigned content: %+v", *a)
			}
		}
	})
}

// BenchmarkParseResponse measures the whole assertion consumer path for a typical response (signed
// assertion, three attributes): size checks, shape precheck, crewjam's validation with castellan's
// verifier, castellan's checks and the replay cache, against the bare goxmldsig verification of
// the same assertion's signature, which is the ceiling.
func BenchmarkParseResponse(b *testing.B) {
	sp := newTestSP(b, nil)
	s := sp.spec()
	signedAssertion := idp.signedAssertionResponse(b, s)
	encrypted := docBytes(b, responseEl(s, encrypt(b, signedEl(b, s),
		spKeys.Encryption.Cert)))
	p := fuzzSP(b, nil)
	ctx := context.Background()
	docs := map[string][]byte{"signed-assertion": signedAssertion, "encrypted-assertion": encrypted}
	for name, doc := range docs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := p.ParseResponseXML(ctx, doc, []string{testRequestID}, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("form-with-replay-cache", func(b *testing.B) {
		withCache := *sp.ServiceProvider
		withCache.opts.ReplayCache = NewMemoryReplayCache(clock.NewFake(t0), 1<<24)
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			s := s
			n++
			s.AssertionID = "_assert-bench-" + strconv.Itoa(n)
			b.StopTimer()
			values := form(idp.signedAssertionResponse(b, s))
			b.StartTimer()
			if _, err := withCache.ParseResponse(ctx, values, []string{testRequestID}, t0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ceiling-goxmldsig-only", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(signedAssertion)))
		for b.Loop() {
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(signedAssertion); err != nil {
				b.Fatal(err)
			}
			vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{
				Roots: []*x509.Certificate{idp.cert}})
			vc.Clock = dsig.NewFakeClockAt(t0)
			if _, err := vc.Validate(doc.Root().SelectElement("Assertion")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
