package mail

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyEmailMessage(t *testing.T) {
	d := VerifyEmailData{PublicURL: "https://vault.example.com:8443/", Email: "ann+x@example.com",
		Token: "eyJlIjoiYSJ9.mac-_", ExpiresAt: time.Date(2026, 3, 5, 14, 30, 0, 0, time.UTC)}
	m, err := VerifyEmailMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://vault.example.com:8443/redirect-connector.html#finish-signup?token=eyJlIjoiYSJ9.mac-_" +
		"&email=ann%2Bx%40example.com&fromEmail=true"
	if got := linkRE.FindString(m.Text); got != want {
		t.Errorf("text link = %s, want %s", got, want)
	}
	if !strings.Contains(m.Text, "castellan account register --verification-link '"+want+"'") {
		t.Errorf("text lacks the command line:\n%s", m.Text)
	}
	if !strings.Contains(strings.ReplaceAll(m.HTML, "&amp;", "&"), want) {
		t.Errorf("HTML lacks the link:\n%s", m.HTML)
	}
	if len(m.To) != 1 || m.To[0] != d.Email || m.Subject != "Verify your e-mail address" {
		t.Errorf("to %v subject %q", m.To, m.Subject)
	}
	if !strings.Contains(m.Text, "5 March 2026, 14:30 UTC") {
		t.Errorf("text lacks the expiry:\n%s", m.Text)
	}
	for _, bad := range []VerifyEmailData{{PublicURL: d.PublicURL, Email: d.Email},
		{PublicURL: d.PublicURL, Token: d.Token}, {PublicURL: "vault.example.com", Email: d.Email, Token: d.Token}} {
		if _, err := VerifyEmailMessage(bad); !errors.Is(err, ErrMissingInput) {
			t.Errorf("%+v: err = %v, want ErrMissingInput", bad.Email, err)
		}
	}
}
