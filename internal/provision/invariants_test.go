package provision

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// checkInvariants states the safety properties of Decide that hold for every input. The table
// test checks them on every row; the fuzz target on arbitrary inputs.
func checkInvariants(in Input, d Decision) error {
	if again := Decide(in); !reflect.DeepEqual(d, again) {
		return errors.New("Decide is not deterministic")
	}
	if d.Outcome == Refuse {
		return checkRefusal(d)
	}
	if o := in.Org; d.Reason != "" || !o.Enabled || !o.SSOEnabled || o.ID == "" ||
		in.Identity.ExternalID == "" {
		return fmt.Errorf("%s with reason %q or a closed org or no external id", d.Outcome, d.Reason)
	}
	if d.Outcome == SignIn {
		return checkSignIn(in, d)
	}
	if err := checkLinkWrite(in, d); err != nil {
		return err
	}
	switch d.Outcome {
	case LinkExisting:
		return checkLinkExisting(in, d)
	case CreateUser:
		return checkCreate(in, d)
	case AdoptInvite:
		return checkAdopt(in, d)
	}
	return fmt.Errorf("unknown outcome %d", d.Outcome)
}

func checkRefusal(d Decision) error {
	if d.Reason == "" || d.UserID != "" || d.MemberID != "" || d.NewMember != nil ||
		d.LinkExternalID != "" || d.ReplaceExternalID != "" {
		return fmt.Errorf("refusal carries writes or no reason: %s", show(d))
	}
	for _, e := range d.Events {
		if e.Type != EventUserFailedLogIn {
			return fmt.Errorf("refusal audits %d", e.Type)
		}
	}
	return nil
}

func checkSignIn(in Input, d Decision) error {
	l, m := in.LinkByExternalID, in.MemberOfLinkedUser
	if l == nil || m == nil || d.UserID != l.UserID || m.UserID != l.UserID || d.MemberID != m.ID {
		return fmt.Errorf("sign-in without a link and its account's membership: %s", show(d))
	}
	if statusGate(m.Status) != "" {
		return fmt.Errorf("sign-in of a %s member", m.Status)
	}
	if d.NewMember != nil || d.LinkExternalID != "" || d.ReplaceExternalID != "" {
		return errors.New("sign-in writes")
	}
	return nil
}

// checkLinkWrite: every non-sign-in outcome writes exactly one link, for a verified email, and
// respects one link per (org, external id) and per (org, account).
func checkLinkWrite(in Input, d Decision) error {
	id := in.Identity
	switch {
	case in.LinkByExternalID != nil:
		return errors.New("second link for an external id")
	case d.LinkExternalID != id.ExternalID:
		return errors.New("link is not for the presented external id")
	case id.Email == "" || !id.EmailVerified:
		return fmt.Errorf("%s by an unverified or missing email", d.Outcome)
	}
	l := in.LinkByUser
	if d.UserID == "" || l == nil {
		if d.ReplaceExternalID != "" {
			return errors.New("replaces a link that is not there")
		}
		return nil
	}
	if !in.Org.RelinkChangedSubject || d.ReplaceExternalID != l.ExternalID ||
		len(d.Events) != 1 || d.Events[0].Type != EventResetSsoLink {
		return errors.New("second link for an account, or an unaudited relink")
	}
	return nil
}

func checkLinkExisting(in Input, d Decision) error {
	u, m := in.UserByEmail, in.MemberByUser
	if u == nil || !u.EmailVerified || d.UserID != u.ID {
		return errors.New("link to an account that has not proven the address")
	}
	if m == nil || m.UserID != u.ID || m.ID != d.MemberID ||
		(m.Status != StatusAccepted && m.Status != StatusConfirmed) {
		return errors.New("link without an accepted or confirmed membership")
	}
	return nil
}

func checkCreate(in Input, d Decision) error {
	if in.UserByEmail != nil {
		return errors.New("second account for an email")
	}
	if m := in.MemberByEmail; m != nil && m.UserID == "" {
		return fmt.Errorf("account created next to a %s invitation", m.Status)
	}
	if o := in.Org; o.Seats != nil && o.OccupiedSeats >= *o.Seats {
		return errors.New("created past the seat limit")
	}
	if d.NewMember == nil || *d.NewMember != (NewMember{Type: TypeUser, Status: StatusInvited}) {
		return errors.New("new membership is not an Invited User")
	}
	return nil
}

func checkAdopt(in Input, d Decision) error {
	if d.UserID != "" || in.UserByEmail != nil {
		return errors.New("an existing account adopted an invitation by email")
	}
	row := in.MemberByEmail
	if row == nil || row.UserID != "" || row.ID != d.MemberID || row.Status != StatusInvited {
		return errors.New("adopted row is not an Invited membership")
	}
	return nil
}

// FuzzDecide drives Decide with arbitrary combinations of records and checks the invariants.
func FuzzDecide(f *testing.F) {
	f.Add(uint32(0xffff), int8(2), int8(0), int8(-1), 5, 5, "sub", "sub-old")
	f.Add(uint32(0x0f0f), int8(0), int8(1), int8(3), 1, 0, "a", "")
	f.Add(uint32(0x1234), int8(-1), int8(2), int8(0), -1, 9, "", "x")
	f.Fuzz(func(t *testing.T, bits uint32, s1, s2, s3 int8, limit, occupied int, ext, stale string) {
		in := fuzzInput(bits, [3]Status{Status(s1), Status(s2), Status(s3)}, limit, occupied, ext, stale)
		if err := checkInvariants(in, Decide(in)); err != nil {
			t.Fatalf("%v\ninput %+v", err, in)
		}
	})
}

// fuzzInput builds an Input: each bit of bits switches one fact on, so the fuzzer explores
// every combination, including contradictory ones a buggy caller might pass.
func fuzzInput(bits uint32, st [3]Status, limit, occupied int, ext, stale string) Input {
	on := func(i uint) bool { return bits&(1<<i) != 0 }
	pick := func(i uint, a, b string) string {
		if on(i) {
			return a
		}
		return b
	}
	in := Input{
		Identity: Identity{ExternalID: ext, Email: pick(0, "a@example.com", ""), EmailVerified: on(1)},
		Org: Org{ID: pick(2, "org", ""), Enabled: on(3), SSOEnabled: on(4), OccupiedSeats: occupied,
			RelinkChangedSubject: on(5)},
	}
	if on(6) {
		in.Org.Seats = &limit
	}
	user := pick(7, "u-1", "u-2")
	if on(8) {
		in.LinkByExternalID = &Link{UserID: pick(9, user, ""), ExternalID: pick(10, ext, stale)}
	}
	if on(11) {
		in.MemberOfLinkedUser = &Member{ID: "m-l", UserID: pick(12, user, "u-3"), Status: st[0]}
	}
	if on(13) {
		in.UserByEmail = &User{ID: pick(14, user, ""), EmailVerified: on(15), HasMasterPassword: on(16),
			UsesKeyConnector: on(17)}
	}
	if on(18) {
		in.LinkByUser = &Link{UserID: pick(19, user, "u-3"), ExternalID: pick(20, stale, ext)}
	}
	if on(21) {
		in.MemberByUser = &Member{ID: "m-u", UserID: pick(22, user, "u-3"), Status: st[1]}
	}
	if on(23) {
		in.MemberByEmail = &Member{ID: "m-e", UserID: pick(24, "", user), Email: "a@example.com",
			Status: st[2], Type: MemberType(bits >> 28)}
	}
	return in
}
