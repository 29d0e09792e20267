package sso_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// BenchmarkSSOLogin measures SSO logins end to end through castellan's HTTP stack (TLS, the whole
// middleware chain) against the in-process provider: prevalidate, authorize (discovery cached,
// flow stored), the provider's code (its ID token signed RS256 by the in-process provider, in this
// process), the callback (flow consumed, code exchange, ID token verified, provisioning
// transaction, code stored), and the authorization_code grant (code taken, device recorded,
// access token signed, refresh token stored). Returning: the linked member signs in again;
// FirstLogin: a new person each time (account, membership, link, event). Each engine runs with
// every access token signing algorithm (CASTELLAN_TOKEN_SIGNING_ALG).
func BenchmarkSSOLogin(b *testing.B) {
	for _, engine := range storagetest.Engines()[:2] { // SQLite and PostgreSQL
		for _, alg := range identity.Algorithms() {
			b.Run(engine.Name+"/"+alg, func(b *testing.B) {
				e := newEnvWith(b, storagetest.OpenFresh(b, engine), app.AccountSettings{TokenSigningAlg: alg})
				b.Run("Returning", func(b *testing.B) {
					e.login()
					benchLogins(b, e, func(int) {})
				})
				b.Run("FirstLogin", func(b *testing.B) {
					benchLogins(b, e, func(i int) {
						sub := "bench-" + rand.Text()
						e.op.sub = sub
						e.op.idClaims = func(c map[string]any) { c["email"] = sub + "@example.com" }
					})
				})
			})
		}
	}
}

func benchLogins(b *testing.B, e *env, before func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		before(i)
		c := cliClient()
		code := e.codeFrom(e.browser().signIn(c), c)
		if status, _ := e.redeem(c, code, c.Verifier); status != http.StatusOK {
			b.Fatalf("redeem: %d", status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkSSOLoginParallel is BenchmarkSSOLogin/Returning with concurrent browsers, for the
// throughput of one process on each engine.
func BenchmarkSSOLoginParallel(b *testing.B) {
	for _, engine := range storagetest.Engines()[:2] {
		b.Run(engine.Name, func(b *testing.B) {
			e := newEnvOn(b, storagetest.OpenFresh(b, engine))
			e.login()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := cliClient()
					code := e.codeFrom(e.browser().signIn(c), c)
					if status, _ := e.redeem(c, code, c.Verifier); status != http.StatusOK {
						b.Errorf("redeem: %d", status)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}

// BenchmarkCryptoCeiling is the bare cryptography one SSO login needs on castellan's side: verify
// the provider's RS256 ID token and sign the access token, for each algorithm castellan can sign
// with (CASTELLAN_TOKEN_SIGNING_ALG). VerifyPlusSign's inverse is the ceiling of logins per second
// per core. VerifyAccessToken is what each authenticated API request then pays for the signature.
func BenchmarkCryptoCeiling(b *testing.B) {
	idToken := signJWT(b, opKey(), map[string]any{"iss": "https://idp.example.com", "sub": "user-1",
		"aud": opClientID, "nonce": rand.Text(), "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"email": "alice@example.com", "email_verified": true, "name": "Alice Adams"})
	pub := jose.JSONWebKey{Key: opKey().Public(), KeyID: "k1"}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	claims := accessTokenClaims()
	b.Run("VerifyIDTokenRS256", func(b *testing.B) {
		for b.Loop() {
			verifyJWT(b, idToken, pub, jose.RS256, "https://idp.example.com", opClientID)
		}
	})
	for _, s := range []struct {
		alg jose.SignatureAlgorithm
		key crypto.Signer
	}{{jose.RS256, otherKey()}, {jose.ES256, ec}, {jose.EdDSA, ed}} {
		signer := newSigner(b, s.alg, s.key)
		b.Run("SignAccessToken"+string(s.alg), func(b *testing.B) {
			for b.Loop() {
				if _, err := jwt.Signed(signer).Claims(claims).Serialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("VerifyAccessToken"+string(s.alg), func(b *testing.B) {
			tok, err := jwt.Signed(signer).Claims(claims).Serialize()
			if err != nil {
				b.Fatal(err)
			}
			key := jose.JSONWebKey{Key: s.key.Public()}
			for b.Loop() {
				verifyJWT(b, tok, key, s.alg, "https://vault.example.com/identity", "")
			}
		})
		b.Run("VerifyPlusSign"+string(s.alg), func(b *testing.B) {
			for b.Loop() {
				verifyJWT(b, idToken, pub, jose.RS256, "https://idp.example.com", opClientID)
				if _, err := jwt.Signed(signer).Claims(claims).Serialize(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}

// verifyJWT checks raw's alg, signature, issuer, audience (unless aud is "") and validity window.
func verifyJWT(b *testing.B, raw string, key jose.JSONWebKey, alg jose.SignatureAlgorithm, iss, aud string) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		b.Fatal(err)
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		b.Fatal(err)
	}
	want := jwt.Expected{Issuer: iss, Time: time.Now()}
	if aud != "" {
		want.AnyAudience = jwt.Audience{aud}
	}
	if err := c.ValidateWithLeeway(want, time.Minute); err != nil {
		b.Fatal(err)
	}
}

func newSigner(b *testing.B, alg jose.SignatureAlgorithm, key crypto.Signer) jose.Signer {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: "k"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// accessTokenClaims are shaped like castellan's access token claims (identity.Claims).
func accessTokenClaims() map[string]any {
	now := time.Now()
	var c map[string]any
	raw, _ := json.Marshal(map[string]any{"iss": "https://vault.example.com/identity", "sub": "0d520558-6f1f-4783-a247-2272dcdd7d55",
		"jti": "f6662ef2-6134-431a-bce0-d5cc4dc59393", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": "alice@example.com", "name": "Alice Adams", "email_verified": false, "premium": true, "client_id": "cli",
		"amr": []string{"external"}, "sstamp": "78337e33-8e29-4678-867a-5d95bddc7215",
		"device": "85bd82f9-9f23-4731-9fcb-958ef52f6140", "scope": []string{"api", "offline_access"},
		"org_id": "ed5d57e7-2e4d-47c2-8f82-e24283460985"})
	_ = json.Unmarshal(raw, &c)
	return c
}
