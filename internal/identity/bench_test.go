package identity_test

import (
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
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
