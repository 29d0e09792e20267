package seal

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/secret"
)

const testKey = secret.String("0123456789abcdef0123456789abcdef-test-key")

func mustNew(t *testing.T, key secret.String) *Sealer {
	t.Helper()
	s, err := New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := mustNew(t, testKey)
	sealed, err := s.Seal("setting:x", "the secret value")
	if err != nil {
		t.Fatal(err)
	}
	if !IsSealed(sealed) || strings.Contains(sealed, "secret value") {
		t.Fatalf("sealed = %q", sealed)
	}
	if again, _ := s.Seal("setting:x", "the secret value"); again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := s.Open("setting:x", sealed); err != nil || got != "the secret value" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Another instance with the same key opens it: the key is all that is needed.
	if got, err := mustNew(t, testKey).Open("setting:x", sealed); err != nil || got != "the secret value" {
		t.Fatalf("Open with the same key elsewhere = %q, %v", got, err)
	}
}

func TestOpenRefusals(t *testing.T) {
	s := mustNew(t, testKey)
	sealed, _ := s.Seal("setting:x", "v")
	other := mustNew(t, testKey+"-other")
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 'A' ^ 'B'
	cases := []struct {
		name    string
		s       *Sealer
		purpose string
		stored  string
		want    error
	}{
		{"no key", nil, "setting:x", sealed, ErrNoKey},
		{"other key", other, "setting:x", sealed, ErrWrongKey},
		{"other purpose", s, "setting:y", sealed, ErrDamaged},
		{"altered", s, "setting:x", string(flipped), ErrDamaged},
		{"truncated", s, "setting:x", sealed[:len(sealed)-10], ErrDamaged},
		{"no key id", s, "setting:x", "sealed:v1:abc", ErrDamaged},
	}
	for _, c := range cases {
		if _, err := c.s.Open(c.purpose, c.stored); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestNilSealerAndPlainValues(t *testing.T) {
	var none *Sealer
	if v, err := none.Seal("p", "plain"); err != nil || v != "plain" {
		t.Fatalf("nil Seal = %q, %v", v, err)
	}
	for _, s := range []*Sealer{none, mustNew(t, testKey)} {
		if v, err := s.Open("p", "written before the key"); err != nil || v != "written before the key" {
			t.Fatalf("Open of a plain value = %q, %v", v, err)
		}
	}
}

func TestShortKeyRefusedWithoutEcho(t *testing.T) {
	_, err := New("short-secret", rand.Reader)
	if err == nil || strings.Contains(err.Error(), "short-secret") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	s, _ := New(testKey, rand.Reader)
	sealed, _ := s.Seal("p", "value")
	f.Add(sealed)
	f.Add("sealed:v1:")
	f.Add("sealed:v1:00000000:")
	f.Fuzz(func(t *testing.T, stored string) {
		v, err := s.Open("p", stored)
		if err == nil && IsSealed(stored) && v != "value" {
			t.Fatalf("a forged value opened: %q", v)
		}
	})
}
