package domains_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/domains"
)

func TestNormalizeAccepts(t *testing.T) {
	long := strings.Repeat("abcdefghi.", 24) + "example" // 247 characters
	cases := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"  Example.COM ", "example.com"},
		{"mail.corp.example.co.uk", "mail.corp.example.co.uk"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"Bücher.example", "xn--bcher-kva.example"},
		// Full-width letters and dot map to ASCII.
		{"ＥＸＡＭＰＬＥ．com", "example.com"},
		// Non-transitional processing: ß is kept, not turned into ss.
		{"straße.de", "xn--strae-oqa.de"},
		// The ideographic full stop separates labels.
		{"例え。テスト", "xn--r8jz45g.xn--zckzah"},
		{"a-b.c-d.example", "a-b.c-d.example"},
		{"123.example", "123.example"},
		{strings.Repeat("a", 63) + ".x", strings.Repeat("a", 63) + ".x"},
		{long, long},
	}
	for _, c := range cases {
		got, err := domains.Normalize(c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	cases := []struct{ in, reason string }{
		{"", "empty"},
		{"   ", "empty"},
		{"com", "two labels"},
		{"localhost", "two labels"},
		{"example.com.", "trailing dot"},
		{".example.com", "empty label"},
		{"example..com", "empty label"},
		{"*.example.com", "wildcards"},
		{"https://example.com", "without a scheme"},
		{"example.com/path", "without a scheme"},
		{"user@example.com", "email"},
		{"example.com:443", "port"},
		{"192.0.2.1", "IP address"},
		{"[2001:db8::1]", "IP address"},
		{"2001:db8::1", "IP address"},
		{"1.2.3.999", "all digits"},
		{"-example.com", "hyphen"},
		{"example-.com", "hyphen"},
		{"ex_ample.com", "letters, digits and hyphens"},
		{"ex ample.com", "letters, digits and hyphens"},
		{"exa\nmple.com", "letters, digits and hyphens"},
		{strings.Repeat("a", 64) + ".example", "63"},
		{strings.Repeat("abcdefghi.", 25) + "example", "253"}, // 257 characters
		{strings.Repeat("é", 60) + ".example", "63"},          // fine in Unicode, too long in punycode
		{"xn--zz.example", "internationalised"},               // not valid punycode
		{"ab--cd.example", "internationalised"},               // hyphens in 3rd and 4th place
		{"a\u200db.example", "internationalised"},             // a zero-width joiner out of context
		{strings.Repeat("a.", 600) + "com", "longer than 253"},
	}
	for _, c := range cases {
		got, err := domains.Normalize(c.in)
		var ne *domains.NameError
		if !errors.As(err, &ne) || !errors.Is(err, domains.ErrInvalidName) {
			t.Errorf("Normalize(%q) = %q, %v; want a NameError", c.in, got, err)
			continue
		}
		if !strings.Contains(ne.Reason, c.reason) {
			t.Errorf("Normalize(%q) reason = %q, want it to mention %q", c.in, ne.Reason, c.reason)
		}
	}
}

// FuzzNormalize checks that whatever an administrator may send, an accepted name is a lower-case
// LDH name of at least two labels within the DNS limits, and normalising it again changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "Bücher.example", "*.x.y", "a..b",
		"xn--bcher-kva.example", "1.2.3.4", "ＥＸＡＭＰＬＥ．com", "example.com."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := domains.Normalize(in)
		if err != nil {
			if !errors.Is(err, domains.ErrInvalidName) {
				t.Fatalf("Normalize(%q) error %v is not ErrInvalidName", in, err)
			}
			return
		}
		labels := strings.Split(out, ".")
		if len(out) > domains.MaxNameLength || len(labels) < 2 {
			t.Fatalf("Normalize(%q) = %q: bad length or label count", in, out)
		}
		for _, l := range labels {
			if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") ||
				strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				t.Fatalf("Normalize(%q) = %q: bad label %q", in, out, l)
			}
		}
		if again, err := domains.Normalize(out); err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but again gives %q, %v", in, out, again, err)
		}
	})
}
