package adminclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

const joinLink = "https://vault.example.com/#/accept-organization?" +
	"organizationId=0b3c7f0e-5a61-4a0e-9d55-3f5b0c3f2a10" +
	"&organizationUserId=7d1e2f3a-1111-4c2d-8e9f-0a1b2c3d4e5f&email=ann%2Bx%40example.com" +
	"&organizationName=Acme%20%26%20Sons&token=tok.en_-&initOrganization=false&orgUserHasExistingUser=true"

func TestParseInviteLink(t *testing.T) {
	want := adminclient.InviteLink{OrganizationID: "0b3c7f0e-5a61-4a0e-9d55-3f5b0c3f2a10",
		MemberID: "7d1e2f3a-1111-4c2d-8e9f-0a1b2c3d4e5f", Email: "ann+x@example.com",
		OrganizationName: "Acme & Sons", Token: "tok.en_-", ExistingUser: true}
	_, query, _ := strings.Cut(joinLink, "?")
	for name, link := range map[string]string{"link": joinLink, "query": query, "spaces": "  " + joinLink + "\n",
		"fragment": "#/accept-organization?" + query} {
		got, err := adminclient.ParseInviteLink(link)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	for name, bad := range map[string]string{
		"other route":  strings.Replace(joinLink, "accept-organization", "finish-signup", 1),
		"no token":     strings.Replace(joinLink, "&token=tok.en_-", "", 1),
		"no fragment":  "https://vault.example.com/accept-organization",
		"new org":      strings.Replace(joinLink, "initOrganization=false", "initOrganization=true", 1),
		"empty":        "",
		"bad encoding": "organizationId=%zz",
	} {
		if _, err := adminclient.ParseInviteLink(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseVerificationLink(t *testing.T) {
	for _, link := range []string{
		"https://v.example.com/redirect-connector.html#finish-signup?token=a.b&email=ann%2Bx%40example.com" +
			"&fromEmail=true",
		"https://v.example.com/#/finish-signup?token=a.b&email=ann%2Bx%40example.com",
		"token=a.b&email=ann%2Bx%40example.com",
	} {
		v, err := adminclient.ParseVerificationLink(link)
		if err != nil || v.Token != "a.b" || v.Email != "ann+x@example.com" {
			t.Errorf("%s: %+v, %v", link, v, err)
		}
	}
	if _, err := adminclient.ParseVerificationLink(joinLink); err == nil {
		t.Error("a Join link was taken for a verification link")
	}
	if _, err := adminclient.ParseVerificationLink("https://v.example.com/#/finish-signup?email=a%40b.c"); err == nil {
		t.Error("a link without a token was accepted")
	}
}

// TestWrongSchemeSaysWhatToDo: http:// against a TLS server and https:// against a plain HTTP one
// name the scheme to use instead of a bare status.
func TestWrongSchemeSaysWhatToDo(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	host := strings.TrimPrefix(tlsSrv.URL, "https://")
	plainHost := strings.TrimPrefix(plain.URL, "http://")
	for _, tc := range []struct{ server, want string }{
		{"http://" + host, "speaks HTTPS on this port; use https://" + host},
		{"https://" + plainHost, "answers in plain HTTP; use http://" + plainHost},
	} {
		c, err := adminclient.New(adminclient.Options{Server: tc.server})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Login(context.Background(), "a@example.com", "password")
		if !errors.Is(err, adminclient.ErrWrongScheme) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", tc.server, err, tc.want)
		}
	}
	c, err := adminclient.New(adminclient.Options{Server: tlsSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background(), "a@example.com", "password"); err == nil ||
		!strings.Contains(err.Error(), "--ca-file") {
		t.Errorf("untrusted certificate: err = %v, want a hint at --ca-file", err)
	}
}
