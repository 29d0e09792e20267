package identity_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// BenchmarkPasswordLogin measures whole password logins through the handler (form parsing, the
// failed-login buckets, the server-side hash at full cost, the device upsert, signing the JWT and
// storing the refresh token) on SQLite. Compare it with BenchmarkServerSideHash, the ceiling.
func BenchmarkPasswordLogin(b *testing.B) {
	e := newEnv(b)
	a := identitytest.NewAccount(b, "ada@example.com", "pw")
	e.Register(b, a)
	form := identitytest.PasswordForm(a)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := e.Token(form); w.Code != http.StatusOK {
				b.Errorf("login: %d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkServerSideHash runs the server-side hash check bare, at full cost, in a loop.
func BenchmarkServerSideHash(b *testing.B) {
	stored, err := accounts.HashPassword(rand.Reader, "mI41vUaipWAE6w3SpDmnxkT8Pus+2RSsQSv9ygyw9Wk=",
		accounts.PasswordIterations)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, _ := accounts.VerifyPassword(stored, "mI41vUaipWAE6w3SpDmnxkT8Pus+2RSsQSv9ygyw9Wk="); !ok {
				b.Error("no match")
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkVerify measures what every authenticated /api request pays for its access token, per
// signing algorithm, on SQLite: Verifier is the whole auth.Verifier (parse, key lookup, signature,
// claims, the user read for the security stamp) and Request a whole GET /api/accounts/revision-date
// through the handler chain. Verified tokens are not cached: each request pays this again. The bare
// signature checks are in internal/sso BenchmarkCryptoCeiling.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range identity.Algorithms() {
		b.Run(alg, func(b *testing.B) {
			e := newEnvAlg(b, storagetest.OpenFresh(b, storagetest.Engines()[0]), alg)
			_, tok := e.RegisterAndLogin(b, "ada@example.com", "pw")
			ctx := context.Background()
			b.Run("Verifier", func(b *testing.B) {
				for b.Loop() {
					if _, err := e.App.Verifier.Verify(ctx, tok.AccessToken); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Request", func(b *testing.B) {
				for b.Loop() {
					if w := authedGet(e, "/api/accounts/revision-date", tok.AccessToken); w.Code != http.StatusOK {
						b.Fatalf("revision-date: %d", w.Code)
					}
				}
			})
		})
	}
}

// BenchmarkRefresh measures the refresh_token grant per signing algorithm on SQLite: the
// token-endpoint work of a login without the password hash (refresh token rotated in one
// transaction, user read, access token signed), which is what the clients do every hour.
func BenchmarkRefresh(b *testing.B) {
	for _, alg := range identity.Algorithms() {
		b.Run(alg, func(b *testing.B) {
			e := newEnvAlg(b, storagetest.OpenFresh(b, storagetest.Engines()[0]), alg)
			_, tok := e.RegisterAndLogin(b, "ada@example.com", "pw")
			refresh := tok.RefreshToken
			for b.Loop() {
				w := e.Token(url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}, "refresh_token": {refresh}})
				var next identitytest.Tokens
				if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &next) != nil {
					b.Fatalf("refresh: %d %s", w.Code, w.Body)
				}
				refresh = next.RefreshToken
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
		})
	}
}
