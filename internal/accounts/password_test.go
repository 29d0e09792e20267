package accounts_test

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/accounts"
)

func TestPasswordHash(t *testing.T) {
	const client = "mI41vUaipWAE6w3SpDmnxkT8Pus+2RSsQSv9ygyw9Wk="
	h, err := accounts.HashPassword(rand.Reader, client, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$pbkdf2-sha256$i=1000$") || strings.Contains(h, client) {
		t.Fatalf("hash %q", h)
	}
	again, _ := accounts.HashPassword(rand.Reader, client, 1000)
	if again == h {
		t.Fatal("two hashes of one value are equal: the salt is not random")
	}
	ok, outdated, err := accounts.VerifyPassword(h, client)
	if !ok || !outdated || err != nil {
		t.Fatalf("verify right value: ok=%v outdated=%v err=%v (1000 < %d must be outdated)", ok, outdated, err,
			accounts.PasswordIterations)
	}
	if ok, _, _ := accounts.VerifyPassword(h, client[:len(client)-1]+"x"); ok {
		t.Fatal("a different value verified")
	}
	for _, bad := range []string{"", "plain", "$pbkdf2-sha256$i=0$c2FsdA$aGFzaA", "$md5$i=1$c2FsdA$aGFzaA",
		"$pbkdf2-sha256$i=1$!!$aGFzaA", "$pbkdf2-sha256$1$c2FsdA$aGFzaA"} {
		if _, _, err := accounts.VerifyPassword(bad, client); !errors.Is(err, accounts.ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) err = %v, want ErrMalformedHash", bad, err)
		}
	}
}

// TestPasswordHashFormat pins the stored form to an independent computation, so a change of
// algorithm or encoding cannot slip in and lock every user out.
func TestPasswordHashFormat(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key, _ := pbkdf2.Key(sha256.New, "client-hash", salt, 3, 32)
	stored := "$pbkdf2-sha256$i=3$MDEyMzQ1Njc4OWFiY2RlZg$" + rawB64(key)
	if ok, _, err := accounts.VerifyPassword(stored, "client-hash"); !ok || err != nil {
		t.Fatalf("independently computed hash does not verify: %v", err)
	}
}
