package provision

import (
	"fmt"
	"reflect"
	"testing"
)

// Fixtures: one organization, its provider's subjects, accounts and membership rows.

func testOrg() Org { return Org{ID: "org-1", Enabled: true, SSOEnabled: true} }

func seats(n int) *int { return &n }

func verified(ext, email string) Identity {
	return Identity{ExternalID: ext, Email: email, EmailVerified: true,
		EmailVerifiedBy: VerifiedByProvider}
}

func unverified(ext, email string) Identity { return Identity{ExternalID: ext, Email: email} }

// passwordUser is an ordinary account with a master password and a proven address.
func passwordUser(id string) *User {
	return &User{ID: id, EmailVerified: true, HasMasterPassword: true}
}

// ssoOnlyUser is an account created by SSO: no master password yet.
func ssoOnlyUser(id string) *User { return &User{ID: id, EmailVerified: true} }

func member(id, userID string, s Status) *Member {
	return &Member{ID: id, UserID: userID, Status: s, Type: TypeUser}
}

func invitation(id, email string, s Status, t MemberType) *Member {
	return &Member{ID: id, Email: email, Status: s, Type: t}
}

func link(userID, ext string) *Link { return &Link{UserID: userID, ExternalID: ext} }

func refused(r Reason) Decision { return Decision{Outcome: Refuse, Reason: r} }

func refusedFor(r Reason, userID string) Decision {
	return Decision{Outcome: Refuse, Reason: r,
		Events: []Event{{Type: EventUserFailedLogIn, UserID: userID}}}
}

func linked(userID, memberID, ext string) Decision {
	return Decision{Outcome: LinkExisting, UserID: userID, MemberID: memberID, LinkExternalID: ext,
		Events: []Event{{Type: EventFirstSsoLogin, UserID: userID, MemberID: memberID}}}
}

func created(ext string) Decision {
	return Decision{Outcome: CreateUser, NewMember: &NewMember{Type: TypeUser, Status: StatusInvited},
		LinkExternalID: ext, Events: []Event{{Type: EventFirstSsoLogin}}}
}

func adopted(memberID, ext string) Decision {
	return Decision{Outcome: AdoptInvite, MemberID: memberID, LinkExternalID: ext,
		Events: []Event{{Type: EventFirstSsoLogin, MemberID: memberID}}}
}

type decideCase struct {
	name string
	in   Input
	want Decision
}

func decideCases() []decideCase {
	var cases []decideCase
	cases = append(cases, orgAndLinkedCases()...)
	cases = append(cases, existingAccountCases()...)
	cases = append(cases, newAccountCases()...)
	cases = append(cases, fieldReportCases()...)
	cases = append(cases, fieldReportCasesF5F7()...)
	return cases
}

func orgAndLinkedCases() []decideCase {
	alice := verified("sub-a", "alice@example.com")
	withOrg := func(o Org) Input { return Input{Identity: alice, Org: o} }
	off, noSSO, noID := testOrg(), testOrg(), testOrg()
	off.Enabled, noSSO.SSOEnabled, noID.ID = false, false, ""
	linkedIn := func(m *Member) Input {
		return Input{Identity: alice, Org: testOrg(), LinkByExternalID: link("u-a", "sub-a"),
			MemberOfLinkedUser: m}
	}
	stale := linkedIn(member("m-a", "u-a", StatusConfirmed))
	stale.Identity = unverified("sub-a", "")
	return []decideCase{
		{"org disabled refuses", withOrg(off), refused(ReasonOrgDisabled)},
		{"sso disabled refuses", withOrg(noSSO), refused(ReasonSSODisabled)},
		{"org without id is inconsistent input", withOrg(noID), refused(ReasonInconsistentInput)},
		{"missing external id refuses",
			Input{Identity: unverified("", "alice@example.com"), Org: testOrg()},
			refused(ReasonExternalIDMissing)},
		{"linked invited member signs in (JIT user before set-password)",
			linkedIn(member("m-a", "u-a", StatusInvited)),
			Decision{Outcome: SignIn, UserID: "u-a", MemberID: "m-a"}},
		{"linked accepted member signs in", linkedIn(member("m-a", "u-a", StatusAccepted)),
			Decision{Outcome: SignIn, UserID: "u-a", MemberID: "m-a"}},
		{"linked confirmed member signs in", linkedIn(member("m-a", "u-a", StatusConfirmed)),
			Decision{Outcome: SignIn, UserID: "u-a", MemberID: "m-a"}},
		{"linked member signs in without a usable email: the link is the identity", stale,
			Decision{Outcome: SignIn, UserID: "u-a", MemberID: "m-a"}},
		{"linked revoked member refused", linkedIn(member("m-a", "u-a", StatusRevoked)),
			refusedFor(ReasonRevoked, "u-a")},
		{"linked staged member refused as unknown state", linkedIn(member("m-a", "u-a", StatusStaged)),
			refusedFor(ReasonUnknownState, "u-a")},
		{"linked member with undefined status refused", linkedIn(member("m-a", "u-a", Status(9))),
			refusedFor(ReasonUnknownState, "u-a")},
		{"linked account without membership refused", linkedIn(nil),
			refusedFor(ReasonMembershipNotFound, "u-a")},
		{"linked account with another account's membership refused",
			linkedIn(member("m-b", "u-b", StatusConfirmed)),
			refusedFor(ReasonMembershipNotFound, "u-a")},
		{"link for another external id is inconsistent input", Input{Identity: alice, Org: testOrg(),
			LinkByExternalID:   link("u-a", "sub-x"),
			MemberOfLinkedUser: member("m-a", "u-a", StatusConfirmed)},
			refused(ReasonInconsistentInput)},
	}
}

func existingAccountCases() []decideCase {
	bob := verified("sub-b", "bob@example.com")
	in := func(u *User, byUser, byEmail *Member) Input {
		return Input{Identity: bob, Org: testOrg(), UserByEmail: u, MemberByUser: byUser,
			MemberByEmail: byEmail}
	}
	kc := &User{ID: "u-b", EmailVerified: true, UsesKeyConnector: true}
	pw := passwordUser("u-b")
	mb := func(s Status) *Member { return member("m-b", "u-b", s) }
	return []decideCase{
		{"A1 key connector account without membership refused", in(kc, nil, nil),
			refusedFor(ReasonKeyConnectorUser, "u-b")},
		{"A1 key connector account invited refused", in(kc, member("m-b", "u-b", StatusInvited), nil),
			refusedFor(ReasonKeyConnectorUser, "u-b")},
		{"key connector account confirmed in this org links", in(kc, mb(StatusConfirmed), nil),
			linked("u-b", "m-b", "sub-b")},
		{"A4 accepted member links with FirstSsoLogin",
			in(pw, mb(StatusAccepted), nil), linked("u-b", "m-b", "sub-b")},
		{"A4 confirmed member links", in(pw, mb(StatusConfirmed), nil),
			linked("u-b", "m-b", "sub-b")},
		{"A5 revoked by-email row (revoked before accepting) refused",
			in(passwordUser("u-b"), nil, invitation("m-b", "bob@example.com", StatusRevoked, TypeUser)),
			refusedFor(ReasonRevoked, "u-b")},
		{"A6 staged member refused as unknown state",
			in(passwordUser("u-b"), nil, invitation("m-b", "bob@example.com", StatusStaged, TypeUser)),
			refusedFor(ReasonUnknownState, "u-b")},
		{"accepted by-email row without account is not a real row",
			in(pw, nil, invitation("m-b", "bob@example.com", StatusAccepted, TypeUser)),
			refusedFor(ReasonUnknownState, "u-b")},
		{"another account's membership does not count",
			in(passwordUser("u-b"), member("m-x", "u-x", StatusConfirmed), nil),
			refusedFor(ReasonMembershipRequired, "u-b")},
		{"by-email row bound to another account does not count",
			in(passwordUser("u-b"), nil, &Member{ID: "m-x", UserID: "u-x", Email: "bob@example.com",
				Status: StatusConfirmed}), refusedFor(ReasonMembershipRequired, "u-b")},
		{"link of another account is inconsistent input", Input{Identity: bob, Org: testOrg(),
			UserByEmail: passwordUser("u-b"), MemberByUser: member("m-b", "u-b", StatusConfirmed),
			LinkByUser: link("u-x", "sub-x")}, refused(ReasonInconsistentInput)},
		{"existing account without id is inconsistent input",
			in(&User{EmailVerified: true}, nil, nil), refused(ReasonInconsistentInput)},
		{"unverified email refuses before the account is considered",
			Input{Identity: unverified("sub-b", "bob@example.com"), Org: testOrg(),
				UserByEmail: passwordUser("u-b"), MemberByUser: member("m-b", "u-b", StatusConfirmed)},
			refused(ReasonEmailNotVerified)},
		{"missing email refuses", Input{Identity: unverified("sub-b", ""), Org: testOrg(),
			UserByEmail: passwordUser("u-b")}, refused(ReasonEmailMissing)},
	}
}

func newAccountCases() []decideCase {
	carol := verified("sub-c", "carol@example.com")
	in := func(o Org, byEmail *Member) Input {
		return Input{Identity: carol, Org: o, MemberByEmail: byEmail}
	}
	unproven := unverified("sub-c", "carol@example.com")
	inv := func(s Status, t MemberType) *Member { return invitation("m-c", "carol@example.com", s, t) }
	full, free := testOrg(), testOrg()
	full.Seats, full.OccupiedSeats = seats(5), 5
	free.Seats, free.OccupiedSeats = seats(5), 4
	return []decideCase{
		{"B2 new account and membership when seats are unlimited",
			in(testOrg(), nil), created("sub-c")},
		{"B2 new account and membership when a seat is free", in(free, nil), created("sub-c")},
		{"B1 no free seat refused, nothing created", in(full, nil), refused(ReasonNoSeats)},
		{"B3 invited row adopted without a seat check (it holds a seat)",
			in(full, inv(StatusInvited, TypeUser)), adopted("m-c", "sub-c")},
		{"B4 revoked invitation refused before anything is created",
			in(testOrg(), inv(StatusRevoked, TypeUser)), refused(ReasonRevoked)},
		{"B4 staged invitation refused before anything is created",
			in(testOrg(), inv(StatusStaged, TypeUser)),
			refused(ReasonUnknownState)},
		{"confirmed row without account refused as unknown state",
			in(testOrg(), inv(StatusConfirmed, TypeUser)),
			refused(ReasonUnknownState)},
		{"row bound to another account is not an invitation: new account",
			in(testOrg(), &Member{ID: "m-x", UserID: "u-x", Email: "carol@example.com",
				Status: StatusRevoked}),
			created("sub-c")},
		{"unverified email never creates an account",
			Input{Identity: unproven, Org: testOrg()}, refused(ReasonEmailNotVerified)},
		{"unverified email never adopts an invitation",
			Input{Identity: unproven, Org: testOrg(), MemberByEmail: inv(StatusInvited, TypeAdmin)},
			refused(ReasonEmailNotVerified)},
	}
}

func fieldReportCases() []decideCase {
	alice := verified("att-1", "alice@example.com")
	existing := func(id Identity, u *User, m *Member, l *Link, relink bool) Input {
		o := testOrg()
		o.RelinkChangedSubject = relink
		return Input{Identity: id, Org: o, UserByEmail: u, MemberByUser: m, LinkByUser: l}
	}
	unprovenKeyed := &User{ID: "u-a", HasMasterPassword: true} // registered, address never proven
	reset := Decision{Outcome: LinkExisting, UserID: "u-a", MemberID: "m-a", LinkExternalID: "sub-B",
		ReplaceExternalID: "sub-A",
		Events:            []Event{{Type: EventResetSsoLink, UserID: "u-a", MemberID: "m-a"}}}
	aliceB := verified("sub-B", "alice@example.com")
	pw, staleA := passwordUser("u-a"), link("u-a", "sub-A")
	as := func(s Status) *Member { return member("m-a", "u-a", s) }
	return []decideCase{
		{"F1 existing unlinked account, provider email not verified: refused, no link",
			existing(unverified("att-1", "alice@example.com"), passwordUser("u-a"),
				member("m-a", "u-a", StatusConfirmed), nil, false), refused(ReasonEmailNotVerified)},
		{"F1 existing account that is no member, verified email: still no link",
			existing(alice, pw, nil, nil, false), refusedFor(ReasonMembershipRequired, "u-a")},
		{"F2 changed subject for a linked member refused by default and audited",
			existing(aliceB, pw, as(StatusConfirmed), staleA, false),
			refusedFor(ReasonSubjectChanged, "u-a")},
		{"F2 changed subject replaces the stale link when the org allows it (ResetSsoLink)",
			existing(aliceB, pw, as(StatusConfirmed), staleA, true),
			reset},
		{"F2 relink still requires an accepted membership",
			existing(aliceB, pw, as(StatusInvited), staleA, true),
			refusedFor(ReasonInviteAcceptanceRequired, "u-a")},
		{"F2 relink never revives a revoked member",
			existing(aliceB, pw, as(StatusRevoked), staleA, true),
			refusedFor(ReasonRevoked, "u-a")},
		{"F2 changed subject of a JIT user (Confirmed, no password) refused by default",
			existing(aliceB, ssoOnlyUser("u-a"), as(StatusConfirmed), staleA, false),
			refusedFor(ReasonSubjectChanged, "u-a")},
		{"F2 stale link with the same subject is inconsistent input",
			existing(aliceB, pw, as(StatusConfirmed), link("u-a", "sub-B"), true),
			refusedFor(ReasonInconsistentInput, "u-a")},
		{"F3 keyed account that never proved its address is not linked, even as a confirmed member",
			existing(alice, unprovenKeyed, member("m-a", "u-a", StatusConfirmed), nil, false),
			refusedFor(ReasonAccountEmailNotVerified, "u-a")},
		{"F3 unproven account without membership is not linked",
			existing(alice, unprovenKeyed, nil, nil, false),
			refusedFor(ReasonMembershipRequired, "u-a")},
		{"F3 unproven invited account is sent to accept the invitation, not linked",
			existing(alice, unprovenKeyed, member("m-a", "u-a", StatusInvited), nil, false),
			refusedFor(ReasonInviteAcceptanceRequired, "u-a")},
	}
}

func fieldReportCasesF5F7() []decideCase {
	alice := verified("att-1", "alice@example.com")
	existing := func(id Identity, u *User, m *Member, l *Link, relink bool) Input {
		o := testOrg()
		o.RelinkChangedSubject = relink
		return Input{Identity: id, Org: o, UserByEmail: u, MemberByUser: m, LinkByUser: l}
	}
	pw := passwordUser("u-a")
	return []decideCase{
		{"F5a existing password account invited (row bound) must accept with its password first",
			existing(alice, passwordUser("u-a"), member("m-a", "u-a", StatusInvited), nil, false),
			refusedFor(ReasonInviteAcceptanceRequired, "u-a")},
		{"F5a existing password account invited by email must accept with its password first",
			Input{Identity: alice, Org: testOrg(), UserByEmail: passwordUser("u-a"),
				MemberByEmail: invitation("m-a", "alice@example.com", StatusInvited, TypeUser)},
			refusedFor(ReasonInviteAcceptanceRequired, "u-a")},
		{"F5b existing account never invited gets ssoOrgMembershipRequired",
			existing(alice, pw, nil, nil, false), refusedFor(ReasonMembershipRequired, "u-a")},
		{"F5 revoked existing member refused",
			existing(alice, passwordUser("u-a"), member("m-a", "u-a", StatusRevoked), nil, false),
			refusedFor(ReasonRevoked, "u-a")},
		{"F5 accepted existing member linked with FirstSsoLogin",
			existing(alice, passwordUser("u-a"), member("m-a", "u-a", StatusAccepted), nil, false),
			linked("u-a", "m-a", "att-1")},
		{"F7 invited email without account: SSO adopts the invitation (type kept by the caller)",
			Input{Identity: alice, Org: testOrg(),
				MemberByEmail: invitation("m-a", "alice@example.com", StatusInvited, TypeAdmin)},
			adopted("m-a", "att-1")},
		{"F7 invited account without a master password is sent to accept the invitation, not linked",
			Input{Identity: alice, Org: testOrg(), UserByEmail: ssoOnlyUser("u-a"),
				MemberByEmail: invitation("m-a", "alice@example.com", StatusInvited, TypeUser)},
			refusedFor(ReasonInviteAcceptanceRequired, "u-a")},
	}
}

func TestDecide(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range decideCases() {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decide:\n got  %s\n want %s", show(got), show(tc.want))
			}
			if err := checkInvariants(tc.in, got); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func show(d Decision) string {
	nm := "nil"
	if d.NewMember != nil {
		nm = fmt.Sprintf("%+v", *d.NewMember)
	}
	return fmt.Sprintf("{%s reason=%q user=%q member=%q new=%s link=%q replace=%q events=%+v}",
		d.Outcome, d.Reason, d.UserID, d.MemberID, nm, d.LinkExternalID, d.ReplaceExternalID, d.Events)
}
