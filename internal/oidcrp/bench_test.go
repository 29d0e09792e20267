package oidcrp

import (
	"context"
	"testing"
	"time"
)

// BenchmarkVerifyIDToken measures the ID token work of one sign-in with warm caches (discovery
// and keys fetched once): signature, issuer, audience, expiry, azp, nonce and claim extraction.
// It is the crypto ceiling for the end-to-end SSO benchmark.
func BenchmarkVerifyIDToken(b *testing.B) {
	for _, bc := range []struct {
		name string
		op   func(testing.TB) *testOP
	}{{"RS256", newTestOP}, {"ES256", newTestOPES256}} {
		b.Run(bc.name, func(b *testing.B) {
			op := bc.op(b)
			rp, cfg := op.rp(), op.config()
			ctx := context.Background()
			p, err := rp.provider(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			now := op.clock.Now()
			raw := signJWT(b, op.key, op.alg, map[string]any{
				"iss": op.issuer(), "sub": "user-1", "aud": testClientID, "nonce": "n-1",
				"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
				"email": "alice@example.com", "email_verified": true, "name": "Alice Adams",
			})
			flow := Flow{Nonce: "n-1"}
			b.ReportAllocs()
			for b.Loop() {
				if err := verifyOnce(ctx, rp, cfg, p, flow, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func verifyOnce(ctx context.Context, rp *RP, cfg Config, p *provider, flow Flow, raw string) error {
	idt, err := rp.verifyIDToken(ctx, cfg, p, raw)
	if err != nil {
		return err
	}
	if err := checkNonce(idt, flow); err != nil {
		return err
	}
	_, err = idTokenResult(idt)
	return err
}
