package domains_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/castellan-vault/castellan/internal/domains"
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		tok, err := domains.NewToken(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rest, ok := strings.CutPrefix(tok, "bw=")
		if !ok || len(rest) != 44 || strings.Trim(rest,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Fatalf("token %q: want bw= and 44 letters or digits", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func TestNewTokenUsesTheReaderAndDropsBiasedBytes(t *testing.T) {
	// 0xff is above the rejection limit and must be skipped; 0 and 61 map to 'A' and '9', 62 to
	// 'A'.
	src := bytes.Repeat([]byte{0xff, 0, 61, 62}, 64)
	tok, err := domains.NewToken(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := "bw=" + strings.Repeat("A9A", 15)[:44]
	if tok != want {
		t.Fatalf("token = %q, want %q", tok, want)
	}
	if _, err := domains.NewToken(iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Fatal("a failing reader gave a token")
	}
}
