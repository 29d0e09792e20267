package mail

import (
	"errors"
	"html"
	"strings"
	"testing"
	"time"
)

func TestDomainClaimFailingMessage(t *testing.T) {
	d := DomainClaimData{
		PublicURL: "https://vault.example.com", OrganizationID: "org-1", OrganizationName: "Acme",
		DomainName: "acme.example", TXTRecord: "bw=abcdef", Reason: "the DNS lookup timed out",
		FailingSince: time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC),
		DropsAfter:   time.Date(2026, 4, 15, 2, 0, 0, 0, time.UTC),
		AdminEmails:  []string{"owner@acme.example", "admin@acme.example"},
	}
	settings := "https://vault.example.com/#/organizations/org-1/settings/domain-verification"
	cases := []struct {
		lapsed        bool
		subject       string
		want, notWant []string
	}{
		{false, "The DNS check of acme.example failed",
			[]string{"still claims", "1 April 2026", "after 15 April 2026", "the DNS lookup timed out"},
			[]string{"no longer claims"}},
		{true, "acme.example is no longer claimed",
			[]string{"no longer claims", "since 1 April 2026", "verify the domain"},
			[]string{"still claims", "15 April 2026"}},
	}
	for _, tc := range cases {
		d.Lapsed = tc.lapsed
		m, err := DomainClaimFailingMessage(d)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != tc.subject || len(m.To) != 2 {
			t.Errorf("lapsed %v: subject %q, to %v", tc.lapsed, m.Subject, m.To)
		}
		body := html.UnescapeString(m.HTML)
		for _, want := range append(tc.want, "bw=abcdef", settings) {
			if !strings.Contains(m.Text, want) || !strings.Contains(body, want) {
				t.Errorf("lapsed %v: a body lacks %q", tc.lapsed, want)
			}
		}
		for _, not := range tc.notWant {
			if strings.Contains(m.Text, not) || strings.Contains(body, not) {
				t.Errorf("lapsed %v: a body has %q", tc.lapsed, not)
			}
		}
	}
	d.AdminEmails = nil
	if _, err := DomainClaimFailingMessage(d); !errors.Is(err, ErrMissingInput) {
		t.Fatalf("no administrators: %v", err)
	}
}
