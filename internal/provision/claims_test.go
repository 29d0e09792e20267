package provision

import (
	"errors"
	"strings"
	"testing"
)

func claims(kv ...string) []Claim {
	out := make([]Claim, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Claim{Type: kv[i], Value: kv[i+1]})
	}
	return out
}

const (
	oidMail      = "urn:oid:0.9.2342.19200300.100.1.3"
	oidUID       = "urn:oid:0.9.2342.19200300.100.1.1"
	oidGivenName = "urn:oid:2.5.4.42"
	oidSurname   = "urn:oid:2.5.4.4"
	wsEmail      = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	persistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
)

type resolveCase struct {
	name    string
	a       Assertion
	cfg     ClaimConfig
	want    [3]string // external id, email, name
	wantErr error
}

func oidcClaims(kv ...string) Assertion { return Assertion{Claims: claims(kv...)} }

func samlClaims(format string, kv ...string) Assertion {
	return Assertion{Claims: claims(kv...), NameIDFormat: format}
}

func idTypes(t ...string) ClaimConfig    { return ClaimConfig{AdditionalUserIDClaimTypes: t} }
func emailTypes(t ...string) ClaimConfig { return ClaimConfig{AdditionalEmailClaimTypes: t} }
func want(id, email, name string) [3]string {
	return [3]string{id, email, name}
}

func resolveIDCases() []resolveCase {
	return []resolveCase{
		{name: "additional user id type wins over sub",
			a:   oidcClaims("sub", "s-1", "objectGUID", "g-1"),
			cfg: idTypes("objectGUID"), want: want("g-1", "", "")},
		{name: "configured order wins over claim order",
			a: oidcClaims("b", "vb", "a", "va"), cfg: idTypes("a", "b"), want: want("va", "", "")},
		{name: "sub wins over NameID",
			a: samlClaims(persistent, ClaimNameID, "n-1", "sub", "s-1"), want: want("s-1", "", "")},
		{name: "persistent NameID is an external id",
			a: samlClaims(persistent, "uid", "u-1", ClaimNameID, "n-1"), want: want("n-1", "", "")},
		{name: "F4 transient NameID is skipped for a stable uid",
			a:    samlClaims(NameIDFormatTransient, ClaimNameID, "_8f2a", "uid", "jdoe"),
			want: want("jdoe", "", "")},
		{name: "F4 transient NameID alone is no external id",
			a:       samlClaims(NameIDFormatTransient, ClaimNameID, "_8f2a", "mail", "j@example.com"),
			wantErr: ErrNoExternalID},
		{name: "F4 transient NameID is refused even when configured as the user id claim",
			a:   samlClaims(NameIDFormatTransient, ClaimNameID, "_8f2a", "upn", "j@corp"),
			cfg: idTypes(ClaimNameID), want: want("j@corp", "j@corp", "")},
		{name: "upn before eppn", a: oidcClaims("eppn", "e-1", "upn", "u-1"), want: want("u-1", "", "")},
		{name: "blank values are skipped",
			a: oidcClaims("sub", "  ", "uid", "u-1"), want: want("u-1", "", "")},
		{name: "no user id claim", a: oidcClaims("email", "a@example.com"), wantErr: ErrNoExternalID},
		{name: "external id too long", a: oidcClaims("sub", strings.Repeat("x", 301)),
			wantErr: ErrExternalIDTooLong},
	}
}

func resolveEmailAndNameCases() []resolveCase {
	return []resolveCase{
		{name: "email claim, lower-cased",
			a:    oidcClaims("sub", "s", "email", " Alice@Example.COM "),
			want: want("s", "alice@example.com", "")},
		{name: "additional email type wins",
			a:   oidcClaims("sub", "s", "email", "a@example.com", "workMail", "w@example.com"),
			cfg: emailTypes("workMail"), want: want("s", "w@example.com", "")},
		{name: "email before mail OID before mail",
			a:    oidcClaims("sub", "s", "mail", "m@x.test", oidMail, "o@x.test", wsEmail, "w@x.test"),
			want: want("s", "w@x.test", "")},
		{name: "preferred_username only when no email claim",
			a:    oidcClaims("sub", "s", "preferred_username", "p@x.test", "mail", "m@x.test"),
			want: want("s", "m@x.test", "")},
		{name: "preferred_username as last resort",
			a: oidcClaims("sub", "s", "preferred_username", "p@x.test"), want: want("s", "p@x.test", "")},
		{name: "malformed addresses are skipped",
			a: oidcClaims("sub", "s", "email", "a@b@c", "email", "no-at", "email", "x y@z",
				"email", "ok@x.test"),
			want: want("s", "ok@x.test", "")},
		{name: "the claim used as the external id is not reused, but the id itself can be the email",
			a:   oidcClaims("email", "e@x.test", "sub", "s"),
			cfg: idTypes("email"), want: want("e@x.test", "e@x.test", "")},
		{name: "short names match loosely (Email, given_name, family_name)",
			a:    oidcClaims("sub", "s", "Email", "a@x.test", "given_name", "Ann", "family_name", "Lee"),
			want: want("s", "a@x.test", "Ann Lee")},
		{name: "name wins over given and surname",
			a: oidcClaims("sub", "s", "givenname", "Ann", "name", "Ann Lee"), want: want("s", "", "Ann Lee")},
		{name: "additional name type wins", a: oidcClaims("sub", "s", "name", "N", "nick", "K"),
			cfg: ClaimConfig{AdditionalNameClaimTypes: []string{"nick"}}, want: want("s", "", "K")},
		{name: "OIDs match exactly: given and surname OIDs",
			a:   oidcClaims(oidUID, "jdoe", oidGivenName, "Jo", oidSurname, "Doe"),
			cfg: idTypes(oidUID), want: want("jdoe", "", "Jo Doe")},
		{name: "OIDs match exactly: a mail OID never becomes the display name (official urnoid quirk)",
			a: oidcClaims("uid", "jdoe", oidMail, "j@x.test"), want: want("jdoe", "j@x.test", "")},
		{name: "OIDs match exactly: a foreign OID is not an email source",
			a: oidcClaims("sub", "s", "urn:oid:1.2.3.4", "x@evil.test"), want: want("s", "", "")},
	}
}

func TestResolveClaims(t *testing.T) {
	for _, tc := range append(resolveIDCases(), resolveEmailAndNameCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			id, err := Resolve(tc.a, tc.cfg, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if got := want(id.ExternalID, id.Email, id.Name); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolveEmailVerification(t *testing.T) {
	base := claims("sub", "s", "email", "Ann@Example.com")
	claimedExample := func(d string) bool { return d == "example.com" }
	yes := []EmailStatement{{"ann@example.com", true}}
	no := []EmailStatement{{"ANN@example.com", false}}
	cases := []struct {
		name    string
		stmts   []EmailStatement
		trust   bool
		claimed DomainClaimed
		want    VerifiedBy
	}{
		{"provider says verified for this address", yes, false, nil, VerifiedByProvider},
		{"provider verified another address only", []EmailStatement{{"other@example.com", true}},
			false, nil, VerifiedByNone},
		{"provider says not verified", no, false, nil, VerifiedByNone},
		{"absent statement, nothing else", nil, false, nil, VerifiedByNone},
		{"absent statement, org trusts its provider", nil, true, nil, VerifiedByOrgTrust},
		{"absent statement, claimed domain", nil, false, claimedExample, VerifiedByClaimedDomain},
		{"absent statement, unclaimed domain", nil, false, func(string) bool { return false },
			VerifiedByNone},
		{"explicit false beats org trust", no, true, nil, VerifiedByNone},
		{"explicit false beats a claimed domain", no, false, claimedExample, VerifiedByNone},
		{"ID token and userinfo disagree: not verified", append(yes, no...), false, nil, VerifiedByNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := Resolve(Assertion{Claims: base, EmailStatements: tc.stmts},
				ClaimConfig{TrustIdPEmails: tc.trust}, tc.claimed)
			if err != nil {
				t.Fatal(err)
			}
			if id.EmailVerifiedBy != tc.want || id.EmailVerified != (tc.want != VerifiedByNone) {
				t.Fatalf("verified by %s (%v), want %s", id.EmailVerifiedBy, id.EmailVerified, tc.want)
			}
		})
	}
}

func TestSplitClaimTypes(t *testing.T) {
	got := SplitClaimTypes(" a, ,b ,,urn:oid:1.2 ")
	if strings.Join(got, "|") != "a|b|urn:oid:1.2" {
		t.Fatalf("got %q", got)
	}
}

// TestFieldReportF1Matrix runs field report F1's matrix through Resolve and Decide:
// email_verified in {true, false, absent} x {new user, existing unlinked member, existing linked}.
func TestFieldReportF1Matrix(t *testing.T) {
	verifiedStmt := map[string][]EmailStatement{
		"true": {{"alice@example.com", true}}, "false": {{"alice@example.com", false}}, "absent": nil,
	}
	states := map[string]func(Identity) Input{
		"new user": func(id Identity) Input { return Input{Identity: id, Org: testOrg()} },
		"existing unlinked member": func(id Identity) Input {
			return Input{Identity: id, Org: testOrg(), UserByEmail: passwordUser("u-a"),
				MemberByUser: member("m-a", "u-a", StatusConfirmed)}
		},
		"existing linked": func(id Identity) Input {
			return Input{Identity: id, Org: testOrg(), LinkByExternalID: link("u-a", "att-1"),
				MemberOfLinkedUser: member("m-a", "u-a", StatusConfirmed)}
		},
	}
	want := map[string]map[string]Outcome{
		"true": {"new user": CreateUser, "existing unlinked member": LinkExisting,
			"existing linked": SignIn},
		"false":  {"new user": Refuse, "existing unlinked member": Refuse, "existing linked": SignIn},
		"absent": {"new user": Refuse, "existing unlinked member": Refuse, "existing linked": SignIn},
	}
	for ev, stmts := range verifiedStmt {
		for state, build := range states {
			t.Run("email_verified "+ev+" / "+state, func(t *testing.T) {
				a := Assertion{Claims: claims("sub", "att-1", "email", "alice@example.com"),
					EmailStatements: stmts}
				id, err := Resolve(a, ClaimConfig{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				d := Decide(build(id))
				if d.Outcome != want[ev][state] {
					t.Fatalf("outcome %s, want %s (%s)", d.Outcome, want[ev][state], show(d))
				}
				if d.Outcome == Refuse && d.Reason != ReasonEmailNotVerified {
					t.Fatalf("reason %q", d.Reason)
				}
			})
		}
	}
}

// FuzzResolve checks Resolve on arbitrary claims: it never panics, its output is well formed,
// and with a transient NameID the NameID claims make no difference at all.
func FuzzResolve(f *testing.F) {
	f.Add("sub\x1fs\x1eemail\x1fA@x.test\x1e"+ClaimNameID+"\x1f_t", "urn:oid:1", "a@x.test", true, true)
	f.Add(ClaimNameID+"\x1f_t\x1euid\x1fu", "uid", "", false, false)
	f.Fuzz(func(t *testing.T, raw, extra, stmtEmail string, stmtVerified, transient bool) {
		a := Assertion{Claims: parseFuzzClaims(raw),
			EmailStatements: []EmailStatement{{stmtEmail, stmtVerified}}}
		if transient {
			a.NameIDFormat = NameIDFormatTransient
		}
		cfg := ClaimConfig{AdditionalUserIDClaimTypes: []string{extra},
			AdditionalEmailClaimTypes: []string{extra}}
		id, err := Resolve(a, cfg, func(d string) bool { return strings.HasPrefix(d, "c") })
		if err := checkIdentity(a, id, err); err != nil {
			t.Fatal(err)
		}
		if transient {
			b := a
			b.Claims = nil
			for _, c := range a.Claims {
				if !typeMatches(ClaimNameID, c.Type) {
					b.Claims = append(b.Claims, c)
				}
			}
			id2, err2 := Resolve(b, cfg, func(d string) bool { return strings.HasPrefix(d, "c") })
			if id2 != id || !errors.Is(err2, err) && !errors.Is(err, err2) {
				t.Fatalf("transient NameID changed the result: %+v vs %+v", id, id2)
			}
		}
	})
}

func parseFuzzClaims(raw string) []Claim {
	var out []Claim
	for _, rec := range strings.Split(raw, "\x1e") {
		typ, val, _ := strings.Cut(rec, "\x1f")
		out = append(out, Claim{Type: typ, Value: val})
	}
	return out
}

func checkIdentity(a Assertion, id Identity, err error) error {
	if err != nil {
		if id != (Identity{}) {
			return errors.New("identity returned with an error")
		}
		return nil
	}
	if ext := id.ExternalID; ext == "" || len(ext) > MaxExternalIDLen || strings.TrimSpace(ext) != ext {
		return errors.New("malformed external id")
	}
	if id.Email != "" {
		if e, ok := normalizeEmail(id.Email); !ok || e != id.Email {
			return errors.New("email not normalized")
		}
	}
	if id.EmailVerified != (id.EmailVerifiedBy != VerifiedByNone) || (id.Email == "" && id.EmailVerified) {
		return errors.New("inconsistent verification")
	}
	for _, s := range a.EmailStatements {
		if e, _ := normalizeEmail(s.Email); e == id.Email && !s.Verified && id.EmailVerified {
			return errors.New("verified despite the provider's explicit false")
		}
	}
	return nil
}
