package mail

import (
	"errors"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sampleInvite has values that need escaping in a URL and in HTML.
func sampleInvite() InviteData {
	return InviteData{
		PublicURL:          "https://vault.example.com:8443/",
		OrganizationID:     "0b3c7f0e-5a61-4a0e-9d55-3f5b0c3f2a10",
		OrganizationUserID: "7d1e2f3a-1111-4c2d-8e9f-0a1b2c3d4e5f",
		OrganizationName:   `Acme & <Sons> "R+D" #1`,
		Email:              "alice+vault@example.com",
		Token:              "BwOrgUserInviteToken_CfDJ8/abc+def==&x=1",
		UserExists:         true,
		ExpiresAt:          time.Date(2026, 3, 5, 14, 30, 0, 0, time.UTC),
	}
}

// linkRE finds http(s) links in a text body (they end at white space).
var linkRE = regexp.MustCompile(`https?://\S+`)

// hashQuery splits <origin>/#/<route>?<query> into origin, route and the decoded query.
func hashQuery(t *testing.T, link string) (string, string, url.Values) {
	t.Helper()
	before, fragment, _ := strings.Cut(link, "#")
	u, err := url.Parse(before)
	if err != nil {
		t.Fatalf("parse %q: %v", link, err)
	}
	route, rawQuery, _ := strings.Cut(fragment, "?")
	if strings.Contains(rawQuery, "+") {
		t.Errorf("link has a literal +, which the client's router reads as a space: %s", link)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatalf("query of %q: %v", link, err)
	}
	return u.Scheme + "://" + u.Host + u.Path, route, q
}

// checkJoinLink asserts every query parameter of the Join link against d.
func checkJoinLink(t *testing.T, link string, d InviteData, wantSSOIdentifier bool) {
	t.Helper()
	base, route, q := hashQuery(t, link)
	if base != "https://vault.example.com:8443/" || route != "/accept-organization" {
		t.Errorf("join link %s: base %q route %q", link, base, route)
	}
	want := map[string]string{
		"organizationId": d.OrganizationID, "organizationUserId": d.OrganizationUserID, "email": d.Email,
		"organizationName": d.OrganizationName, "token": d.Token.Reveal(), "initOrganization": "false",
		"orgUserHasExistingUser": map[bool]string{true: "true", false: "false"}[d.UserExists],
	}
	if wantSSOIdentifier {
		want["orgSsoIdentifier"] = d.SSOIdentifier
	}
	for k, v := range want {
		if got := q[k]; len(got) != 1 || got[0] != v {
			t.Errorf("join link %s = %q, want %q", k, got, v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("join link has parameters %v, want exactly %d", q, len(want))
	}
}

func TestInviteLinks(t *testing.T) {
	cases := []struct {
		name                 string
		usesSSO, requireSSO  bool
		wantOrgSSO, wantLink bool
	}{
		{"no SSO", false, false, false, false},
		{"SSO available", true, false, false, true},
		{"SSO required", true, true, true, true},
		{"policy without SSO", false, true, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := sampleInvite()
			d.UsesSSO, d.RequireSSO, d.SSOIdentifier = c.usesSSO, c.requireSSO, "acme sso/1"
			m, err := InviteMessage(d)
			if err != nil {
				t.Fatal(err)
			}
			links := linkRE.FindAllString(m.Text, -1)
			if want := map[bool]int{false: 1, true: 2}[c.wantLink]; len(links) != want {
				t.Fatalf("text has %d links, want %d:\n%s", len(links), want, m.Text)
			}
			checkJoinLink(t, links[0], d, c.wantOrgSSO)
			if c.wantLink {
				checkSSOLink(t, links[1], d)
			}
			if got := hrefs(m.HTML); !equal(got, links) {
				t.Errorf("HTML links %q differ from text links %q", got, links)
			}
		})
	}
}

func checkSSOLink(t *testing.T, link string, d InviteData) {
	t.Helper()
	base, route, q := hashQuery(t, link)
	if base != "https://vault.example.com:8443/" || route != "/sso" || len(q) != 2 ||
		q.Get("identifier") != d.SSOIdentifier || q.Get("email") != d.Email {
		t.Errorf("SSO link %s: base %q route %q query %v", link, base, route, q)
	}
}

// hrefs returns the unescaped href targets of an HTML body.
func hrefs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestInviteContent(t *testing.T) {
	d := sampleInvite()
	m, err := InviteMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.To) != 1 || m.To[0] != d.Email || m.Subject != "Join "+d.OrganizationName {
		t.Fatalf("to %v subject %q", m.To, m.Subject)
	}
	if strings.Contains(m.HTML, "<Sons>") || !strings.Contains(m.HTML, "Acme &amp; &lt;Sons&gt;") {
		t.Errorf("organization name not escaped in HTML:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, `Acme & <Sons> "R+D" #1`) {
		t.Errorf("text body should carry the name as is:\n%s", m.Text)
	}
	const expiry = "5 March 2026, 14:30 UTC"
	if !strings.Contains(m.Text, expiry) || !strings.Contains(m.HTML, expiry) {
		t.Errorf("expiry missing")
	}
	d.ExpiresAt = time.Time{}
	m, _ = InviteMessage(d)
	if strings.Contains(m.Text, "valid until") {
		t.Errorf("zero expiry printed")
	}
}

func TestInviteRefusesIncompleteData(t *testing.T) {
	breaks := map[string]func(*InviteData){
		"no public URL":          func(d *InviteData) { d.PublicURL = "" },
		"relative public URL":    func(d *InviteData) { d.PublicURL = "/vault" },
		"javascript public URL":  func(d *InviteData) { d.PublicURL = "javascript:alert(1)" },
		"no organization":        func(d *InviteData) { d.OrganizationID = "" },
		"no membership":          func(d *InviteData) { d.OrganizationUserID = "" },
		"no email":               func(d *InviteData) { d.Email = "" },
		"bad email":              func(d *InviteData) { d.Email = "alice" },
		"no token":               func(d *InviteData) { d.Token = "" },
		"no organization name":   func(d *InviteData) { d.OrganizationName = "" },
		"SSO without identifier": func(d *InviteData) { d.UsesSSO = true },
	}
	for name, breakIt := range breaks {
		d := sampleInvite()
		breakIt(&d)
		_, err := InviteMessage(d)
		if !errors.Is(err, ErrMissingInput) && !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	d := sampleInvite()
	d.OrganizationName = "Acme\r\nBcc: eve@example.com"
	m, err := InviteMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("subject %q spans lines", m.Subject)
	}
}

func TestConfirmedMessage(t *testing.T) {
	m, err := ConfirmedMessage(ConfirmedData{
		PublicURL: "https://vault.example.com", OrganizationName: "Acme <Ops>", Email: "bob@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.To[0] != "bob@example.com" || !strings.Contains(m.Subject, "Acme <Ops>") ||
		!strings.Contains(m.Text, "https://vault.example.com/#/vault") ||
		!strings.Contains(m.HTML, "Acme &lt;Ops&gt;") {
		t.Fatalf("confirmed message: %+v", m)
	}
	_, err = ConfirmedMessage(ConfirmedData{PublicURL: "https://v.example.com"})
	if !errors.Is(err, ErrMissingInput) {
		t.Fatalf("empty data: %v", err)
	}
}

func TestDomainVerificationFailingMessage(t *testing.T) {
	d := DomainFailingData{
		PublicURL: "https://vault.example.com", OrganizationID: "org-1", OrganizationName: "Acme",
		DomainName: "acme.example", TXTRecord: "bw=abcdef", Checks: 3,
		RemovedOn:   time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC),
		AdminEmails: []string{"owner@acme.example", "admin@acme.example"},
	}
	m, err := DomainVerificationFailingMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.To) != 2 || !strings.Contains(m.Subject, "acme.example") {
		t.Fatalf("to %v subject %q", m.To, m.Subject)
	}
	for _, want := range []string{"bw=abcdef", "after 3 checks", "1 April 2026",
		"https://vault.example.com/#/organizations/org-1/settings/domain-verification"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(html.UnescapeString(m.HTML), want) {
			t.Errorf("body lacks %q", want)
		}
	}
	d.AdminEmails = nil
	if _, err := DomainVerificationFailingMessage(d); !errors.Is(err, ErrMissingInput) {
		t.Fatalf("no admins: %v", err)
	}
}
