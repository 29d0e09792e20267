package orgs_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// gid makes a canonical GUID from a small number, readable in failures.
func gid(prefix, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", prefix, n) }

func addUser(t *testing.T, db *storage.DB, n int) string {
	t.Helper()
	id := gid(0x05e7, n)
	u := &accounts.User{ID: id, Email: fmt.Sprintf("user%d@example.com", n), Name: fmt.Sprint("User ", n),
		PasswordHash: "$pbkdf2-sha256$i=1$c2FsdA$aGFzaA", KDF: bwcrypto.DefaultKDF(), PublicKey: "pub",
		SecurityStamp: "s", APIKey: "k", Culture: "en-US", CreatedAt: t0, RevisionDate: t0, AccountRevisionDate: t0}
	if err := (accounts.SQLStore{DB: db}).CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return id
}

func sampleOrg(n int) orgs.Organization {
	seats := 10
	return orgs.Organization{ID: gid(0x0f6a, n), Name: fmt.Sprint("Org ", n),
		BillingEmail: "billing@example.com",
		PublicKey:    "pk", PrivateKey: "2.priv", Seats: &seats, Enabled: true, CreatedAt: t0, RevisionDate: t0}
}

func member(org string, n int, userID, email string, st orgs.Status, role orgs.Role) orgs.Member {
	return orgs.Member{ID: gid(0x3e3b, n), OrganizationID: org, UserID: userID, Email: email, Status: st,
		Type: role, CreatedAt: t0.Add(time.Duration(n) * time.Second), RevisionDate: t0}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStoreConformance(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		s := orgs.NewSQLStore(db)
		ctx := context.Background()
		users := make([]string, 6)
		for i := range users {
			users[i] = addUser(t, db, i)
		}
		org, other := sampleOrg(1), sampleOrg(2)
		must(t, s.CreateOrganization(ctx, org))
		must(t, s.CreateOrganization(ctx, other))

		t.Run("OrganizationRoundTrip", func(t *testing.T) { testOrganizationRoundTrip(t, s, org) })
		t.Run("IdentifierUniqueIgnoringCase", func(t *testing.T) { testIdentifier(t, s, org, other) })
		t.Run("Members", func(t *testing.T) { testMembers(t, s, org, other, users) })
		t.Run("MemberUpdateRoundTrip", func(t *testing.T) { testMemberUpdate(t, s, org) })
		t.Run("SeatsAndOwners", func(t *testing.T) { testSeatsAndOwners(t, s, org) })
		t.Run("MemberDetailsJoinAccounts", func(t *testing.T) { testMemberDetails(t, s, org, users) })
		t.Run("GroupsAndCollections", func(t *testing.T) { testGroupsAndCollections(t, s, org) })
		t.Run("UserCollectionsMergePaths", func(t *testing.T) { testUserCollections(t, s, db, users) })
		t.Run("TransactionRollsBack", func(t *testing.T) { testRollback(t, s, org) })
		t.Run("Events", func(t *testing.T) { testEvents(t, s, org, other) })
		t.Run("BumpMemberRevisions", func(t *testing.T) { testBump(t, s, db, users) })
		t.Run("DeleteOrganizationCascades", func(t *testing.T) { testDeleteOrganization(t, s, db, users) })
		t.Run("DeleteUserCascades", func(t *testing.T) { testDeleteUser(t, s, db) })
	})
}

func testOrganizationRoundTrip(t *testing.T, s orgs.Store, org orgs.Organization) {
	ctx := context.Background()
	got, err := s.Organization(ctx, org.ID)
	if err != nil || !reflect.DeepEqual(got, org) {
		t.Fatalf("read back %+v, %v; want %+v", got, err, org)
	}
	org.Name, org.BusinessName, org.BillingEmail, org.RevisionDate = "Renamed", "Biz", "b@example.com", t0.Add(time.Hour)
	must(t, s.UpdateOrganization(ctx, org))
	must(t, s.UpdateOrganization(ctx, org)) // unchanged values are not "not found" (MySQL counts changes)
	must(t, s.SetSeats(ctx, org.ID, nil, org.RevisionDate))
	org.Seats = nil
	got, err = s.LockOrganization(ctx, org.ID)
	if err != nil || !reflect.DeepEqual(got, org) {
		t.Fatalf("after update %+v, %v; want %+v", got, err, org)
	}
	if _, err := s.Organization(ctx, gid(0x0f6a, 99)); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing organization: %v", err)
	}
	if err := s.SetSeats(ctx, gid(0x0f6a, 99), nil, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("SetSeats(missing): %v", err)
	}
	list, err := s.Organizations(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Organizations = %d, %v", len(list), err)
	}
}

func testIdentifier(t *testing.T, s orgs.Store, org, other orgs.Organization) {
	ctx := context.Background()
	must(t, s.SetIdentifier(ctx, org.ID, "Acme", t0))
	if err := s.SetIdentifier(ctx, other.ID, "ACME", t0); !errors.Is(err, orgs.ErrIdentifierTaken) {
		t.Fatalf("duplicate identifier: %v", err)
	}
	got, err := s.OrganizationByIdentifier(ctx, "aCmE")
	if err != nil || got.ID != org.ID || got.Identifier != "Acme" {
		t.Fatalf("by identifier: %+v, %v", got, err)
	}
	third := sampleOrg(3)
	third.Identifier = "acme"
	if err := s.CreateOrganization(ctx, third); !errors.Is(err, orgs.ErrIdentifierTaken) {
		t.Fatalf("create with taken identifier: %v", err)
	}
	must(t, s.SetIdentifier(ctx, org.ID, "", t0))
	if _, err := s.OrganizationByIdentifier(ctx, "acme"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("cleared identifier still found: %v", err)
	}
}

func testMembers(t *testing.T, s orgs.Store, org, other orgs.Organization, users []string) {
	ctx := context.Background()
	ms := []orgs.Member{
		member(org.ID, 1, users[0], "", orgs.StatusConfirmed, orgs.RoleOwner),
		member(org.ID, 2, "", "invited@example.com", orgs.StatusInvited, orgs.RoleUser),
		member(org.ID, 3, users[1], "", orgs.StatusAccepted, orgs.RoleAdmin),
	}
	ms[0].Key = "4.key"
	must(t, s.InsertMembers(ctx, ms))
	must(t, s.InsertMembers(ctx, []orgs.Member{member(other.ID, 4, users[0], "",
		orgs.StatusConfirmed, orgs.RoleUser)}))
	for _, m := range ms {
		got, err := s.Member(ctx, org.ID, m.ID)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("Member %s = %+v, %v; want %+v", m.ID, got, err, m)
		}
	}
	if _, err := s.Member(ctx, other.ID, ms[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("member of another organization: %v", err)
	}
	if got, err := s.MemberByID(ctx, ms[1].ID); err != nil || got.OrganizationID != org.ID {
		t.Fatalf("MemberByID = %+v, %v", got, err)
	}
	if got, err := s.MemberByUser(ctx, org.ID, users[1]); err != nil || got.ID != ms[2].ID {
		t.Fatalf("MemberByUser = %+v, %v", got, err)
	}
	if got, err := s.MemberByEmail(ctx, org.ID, "invited@example.com"); err != nil || got.ID != ms[1].ID {
		t.Fatalf("MemberByEmail = %+v, %v", got, err)
	}
	got, err := s.Members(ctx, org.ID, []string{ms[2].ID, gid(1, 1), ms[0].ID, ms[2].ID})
	if err != nil || len(got) != 2 || got[0].ID != ms[2].ID || got[1].ID != ms[0].ID {
		t.Fatalf("Members = %+v, %v", got, err)
	}
	mine, err := s.MembershipsOfUser(ctx, users[0])
	if err != nil || len(mine) != 2 {
		t.Fatalf("MembershipsOfUser = %d, %v", len(mine), err)
	}
	dupEmail := member(org.ID, 5, "", "invited@example.com", orgs.StatusInvited, orgs.RoleUser)
	if err := s.InsertMembers(ctx, []orgs.Member{dupEmail}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second row for one email: %v", err)
	}
	dupUser := member(org.ID, 6, users[1], "", orgs.StatusInvited, orgs.RoleUser)
	if err := s.InsertMembers(ctx, []orgs.Member{dupUser}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second row for one user: %v", err)
	}
	present, err := s.PresentEmails(ctx, org.ID, []string{"invited@example.com", "user1@example.com",
		"user5@example.com", "nobody@example.com"})
	want := map[string]bool{"invited@example.com": true, "user1@example.com": true}
	if err != nil || !reflect.DeepEqual(present, want) {
		t.Fatalf("PresentEmails = %v, %v; want %v", present, err, want)
	}
	accountsFound, err := s.PresentUsers(ctx, []string{"user1@example.com", "invited@example.com",
		"user5@example.com"})
	want = map[string]bool{"user1@example.com": true, "user5@example.com": true}
	if err != nil || !reflect.DeepEqual(accountsFound, want) {
		t.Fatalf("PresentUsers = %v, %v; want %v", accountsFound, err, want)
	}
}

func testMemberUpdate(t *testing.T, s orgs.Store, org orgs.Organization) {
	ctx := context.Background()
	m, err := s.Member(ctx, org.ID, gid(0x3e3b, 2))
	must(t, err)
	before, reason := orgs.StatusInvited, orgs.RevokedManual
	m.Status, m.StatusBeforeRevoke, m.RevocationReason = orgs.StatusRevoked, &before, &reason
	m.Type, m.Permissions = orgs.RoleCustom, orgs.Permissions{ManageUsers: true, AccessEventLogs: true}
	m.ExternalID, m.AccessSecretsManager, m.ResetPasswordKey = "ext-1", true, "4.reset"
	m.RevisionDate = t0.Add(time.Minute)
	must(t, s.UpdateMember(ctx, m))
	got, err := s.Member(ctx, org.ID, m.ID)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("after update %+v, %v; want %+v", got, err, m)
	}
	m.Type = orgs.RoleUser // permissions are kept for custom roles only
	must(t, s.UpdateMember(ctx, m))
	got, _ = s.Member(ctx, org.ID, m.ID)
	if got.Permissions != (orgs.Permissions{}) {
		t.Fatalf("a user role kept permissions %+v", got.Permissions)
	}
	m.ID = gid(0x3e3b, 77)
	if err := s.UpdateMember(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update missing member: %v", err)
	}
}

func testSeatsAndOwners(t *testing.T, s orgs.Store, org orgs.Organization) {
	ctx := context.Background()
	// Members: owner confirmed (1), invited-now-revoked (2), admin accepted (3).
	if n, err := s.OccupiedSeats(ctx, org.ID); err != nil || n != 2 {
		t.Fatalf("OccupiedSeats = %d, %v; want 2", n, err)
	}
	if n, err := s.ConfirmedOwners(ctx, org.ID, nil); err != nil || n != 1 {
		t.Fatalf("ConfirmedOwners = %d, %v; want 1", n, err)
	}
	if n, err := s.ConfirmedOwners(ctx, org.ID, []string{gid(0x3e3b, 1)}); err != nil || n != 0 {
		t.Fatalf("ConfirmedOwners(except the owner) = %d, %v; want 0", n, err)
	}
}

func testMemberDetails(t *testing.T, s orgs.Store, org orgs.Organization, users []string) {
	ctx := context.Background()
	list, err := s.ListMembers(ctx, org.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListMembers = %d, %v", len(list), err)
	}
	if list[0].User == nil || list[0].User.Email != "user0@example.com" || !list[0].User.HasMasterPassword ||
		list[0].User.Name != "User 0" || list[0].User.PublicKey != "pub" || list[0].UserID != users[0] {
		t.Fatalf("bound member details: %+v %+v", list[0].Member, list[0].User)
	}
	if list[1].User != nil || list[1].DisplayEmail() != "invited@example.com" {
		t.Fatalf("invited member details: %+v", list[1])
	}
	d, err := s.MemberDetails(ctx, org.ID, list[2].ID)
	if err != nil || d.DisplayEmail() != "user1@example.com" {
		t.Fatalf("MemberDetails = %+v, %v", d, err)
	}
}

func testGroupsAndCollections(t *testing.T, s orgs.Store, org orgs.Organization) {
	ctx := context.Background()
	g := orgs.Group{ID: gid(0x06, 1), OrganizationID: org.ID, Name: "Engineering", ExternalID: "eng",
		CreatedAt: t0, RevisionDate: t0}
	c := orgs.Collection{ID: gid(0x0c, 1), OrganizationID: org.ID, Name: "2.name", CreatedAt: t0,
		RevisionDate: t0}
	must(t, s.CreateGroup(ctx, g))
	must(t, s.CreateCollection(ctx, c))
	if got, err := s.Group(ctx, org.ID, g.ID); err != nil || got != g {
		t.Fatalf("Group = %+v, %v", got, err)
	}
	if got, err := s.Collection(ctx, org.ID, c.ID); err != nil || got != c {
		t.Fatalf("Collection = %+v, %v", got, err)
	}
	owner, admin := gid(0x3e3b, 1), gid(0x3e3b, 3)
	must(t, s.AddMemberLinks(ctx, []string{owner}, nil, []string{g.ID}))
	must(t, s.SetGroupMembers(ctx, g.ID, []string{owner, admin}))
	must(t, s.SetMemberGroups(ctx, admin, []string{g.ID})) // idempotent from the member's side
	grant := orgs.Access{ID: c.ID, ReadOnly: true, HidePasswords: true}
	must(t, s.SetGroupCollections(ctx, g.ID, []orgs.Access{grant}))
	must(t, s.SetMemberCollections(ctx, owner, []orgs.Access{{ID: c.ID, Manage: true}}))
	if ids, err := s.GroupMembers(ctx, g.ID); err != nil || len(ids) != 2 {
		t.Fatalf("GroupMembers = %v, %v", ids, err)
	}
	if mg, err := s.MemberGroups(ctx, org.ID, ""); err != nil || len(mg[owner]) != 1 || len(mg[admin]) != 1 {
		t.Fatalf("MemberGroups = %v, %v", mg, err)
	}
	if gc, err := s.GroupCollections(ctx, org.ID, g.ID); err != nil || !reflect.DeepEqual(gc[g.ID],
		[]orgs.Access{grant}) {
		t.Fatalf("GroupCollections = %v, %v", gc, err)
	}
	cu, err := s.CollectionUsers(ctx, org.ID, c.ID)
	if err != nil || !reflect.DeepEqual(cu[c.ID], []orgs.Access{{ID: owner, Manage: true}}) {
		t.Fatalf("CollectionUsers = %v, %v", cu, err)
	}
	must(t, s.SetCollectionGroups(ctx, c.ID, []orgs.Access{{ID: g.ID, ReadOnly: true}}))
	if cg, err := s.CollectionGroups(ctx, org.ID,
		""); err != nil || !cg[c.ID][0].ReadOnly || cg[c.ID][0].HidePasswords {
		t.Fatalf("CollectionGroups = %v, %v", cg, err)
	}
	must(t, s.SetCollectionUsers(ctx, c.ID, nil))
	must(t, s.AddMemberLinks(ctx, []string{admin}, []orgs.Access{{ID: c.ID}}, nil))
	if mc, err := s.MemberCollections(ctx, org.ID,
		""); err != nil || len(mc[owner]) != 0 || len(mc[admin]) != 1 {
		t.Fatalf("MemberCollections = %v, %v", mc, err)
	}
	g.Name, c.Name = "Eng", "2.other"
	must(t, s.UpdateGroup(ctx, g))
	must(t, s.UpdateCollection(ctx, c))
	gs, _ := s.Groups(ctx, org.ID)
	cs, _ := s.Collections(ctx, org.ID)
	if len(gs) != 1 || gs[0].Name != "Eng" || len(cs) != 1 || cs[0].Name != "2.other" {
		t.Fatalf("after update groups %+v collections %+v", gs, cs)
	}
	must(t, s.DeleteGroups(ctx, org.ID, []string{g.ID}))
	if mg, _ := s.MemberGroups(ctx, org.ID, ""); len(mg) != 0 {
		t.Fatalf("group links survived the group: %v", mg)
	}
	must(t, s.DeleteCollections(ctx, org.ID, []string{c.ID}))
	if mc, _ := s.MemberCollections(ctx, org.ID, ""); len(mc) != 0 {
		t.Fatalf("collection grants survived the collection: %v", mc)
	}
}

func testUserCollections(t *testing.T, s orgs.Store, db *storage.DB, users []string) {
	ctx := context.Background()
	o := sampleOrg(10)
	must(t, s.CreateOrganization(ctx, o))
	alice, bob := member(o.ID, 100, users[2], "", orgs.StatusConfirmed, orgs.RoleUser),
		member(o.ID, 101, users[3], "", orgs.StatusAccepted, orgs.RoleUser)
	must(t, s.InsertMembers(ctx, []orgs.Member{alice, bob}))
	c1 := orgs.Collection{ID: gid(0x0c, 10), OrganizationID: o.ID, Name: "2.a", CreatedAt: t0,
		RevisionDate: t0}
	c2 := orgs.Collection{ID: gid(0x0c, 11), OrganizationID: o.ID, Name: "2.b", CreatedAt: t0,
		RevisionDate: t0}
	must(t, s.CreateCollection(ctx, c1))
	must(t, s.CreateCollection(ctx, c2))
	g := orgs.Group{ID: gid(0x06, 10), OrganizationID: o.ID, Name: "g", CreatedAt: t0, RevisionDate: t0}
	must(t, s.CreateGroup(ctx, g))
	must(t, s.SetGroupMembers(ctx, g.ID, []string{alice.ID, bob.ID}))
	// c1: direct read-only+hide, group read-only only -> read-only, passwords visible, no manage.
	must(t, s.SetCollectionUsers(ctx, c1.ID, []orgs.Access{{ID: alice.ID, ReadOnly: true,
		HidePasswords: true},
		{ID: bob.ID}}))
	must(t, s.SetCollectionGroups(ctx, c1.ID, []orgs.Access{{ID: g.ID, ReadOnly: true}}))
	// c2: through the group only, with manage.
	must(t, s.SetCollectionGroups(ctx, c2.ID, []orgs.Access{{ID: g.ID, Manage: true}}))
	got, err := s.UserCollections(ctx, users[2])
	if err != nil || len(got) != 2 {
		t.Fatalf("UserCollections = %+v, %v", got, err)
	}
	if !got[0].ReadOnly || got[0].HidePasswords || got[0].Manage || got[1].ReadOnly || !got[1].Manage {
		t.Fatalf("merged grants wrong: %+v", got)
	}
	if got, _ := s.UserCollections(ctx, users[3]); len(got) != 0 {
		t.Fatalf("an accepted (unconfirmed) member reaches %+v", got)
	}
	storagetest.MustExec(t, db, `UPDATE organizations SET enabled = ? WHERE id = ?`, false, o.ID)
	if got, _ := s.UserCollections(ctx, users[2]); len(got) != 0 {
		t.Fatalf("a disabled organization's collections reached: %+v", got)
	}
	storagetest.MustExec(t, db, `UPDATE organizations SET enabled = ? WHERE id = ?`, true, o.ID)
	alice.Status = orgs.StatusRevoked
	must(t, s.UpdateMember(ctx, alice))
	if got, _ := s.UserCollections(ctx, users[2]); len(got) != 0 {
		t.Fatalf("a revoked member reaches %+v", got)
	}
}

func testRollback(t *testing.T, s orgs.Store, org orgs.Organization) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(q orgs.Queries) error {
		if _, err := q.LockOrganization(ctx, org.ID); err != nil {
			return err
		}
		m := member(org.ID, 50, "", "rollback@example.com", orgs.StatusInvited, orgs.RoleUser)
		if err := q.InsertMembers(ctx, []orgs.Member{m}); err != nil {
			return err
		}
		if _, err := q.MemberByEmail(ctx, org.ID, "rollback@example.com"); err != nil {
			return fmt.Errorf("own write not visible in the transaction: %w", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if _, err := s.MemberByEmail(ctx, org.ID, "rollback@example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rolled-back member exists: %v", err)
	}
}

func testEvents(t *testing.T, s orgs.Store, org, other orgs.Organization) {
	ctx := context.Background()
	var evs []orgs.Event
	dev := 25
	for i := range 5 {
		evs = append(evs, orgs.Event{ID: gid(0xe0, i), Type: orgs.EventMemberInvited, OrganizationID: org.ID,
			ActingUserID: gid(1, 1), MemberID: gid(2, i), DeviceType: &dev, IPAddress: "192.0.2.1",
			Date: t0.Add(time.Duration(i/2) * time.Minute)}) // pairs share a date
	}
	evs = append(evs, orgs.Event{ID: gid(0xe0, 9), Type: orgs.EventGroupCreated,
		OrganizationID: other.ID, Date: t0})
	must(t, s.AddEvents(ctx, evs))
	var seen []string
	var cur orgs.EventCursor
	for page := 0; page < 5; page++ {
		got, err := s.Events(ctx, org.ID, t0, t0.Add(time.Hour), cur, 2)
		must(t, err)
		for _, e := range got {
			seen = append(seen, e.ID)
		}
		if len(got) < 2 {
			break
		}
		cur = orgs.EventCursor{Date: got[len(got)-1].Date, ID: got[len(got)-1].ID}
	}
	want := []string{gid(0xe0, 4), gid(0xe0, 3), gid(0xe0, 2), gid(0xe0, 1), gid(0xe0, 0)}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("paged events %v, want %v", seen, want)
	}
	got, _ := s.Events(ctx, org.ID, t0.Add(time.Minute), t0.Add(2*time.Minute), orgs.EventCursor{}, 10)
	if len(got) != 2 || !reflect.DeepEqual(got[0], evs[3]) {
		t.Fatalf("window [1m,2m) = %+v", got)
	}
}

func testBump(t *testing.T, s orgs.Store, db *storage.DB, users []string) {
	ctx := context.Background()
	o := sampleOrg(20)
	must(t, s.CreateOrganization(ctx, o))
	a, b := member(o.ID, 200, users[4], "", orgs.StatusConfirmed, orgs.RoleOwner),
		member(o.ID, 201, users[5], "", orgs.StatusAccepted, orgs.RoleUser)
	must(t, s.InsertMembers(ctx, []orgs.Member{a, b, member(o.ID, 202, "", "x@example.com", 0,
		orgs.RoleUser)}))
	later := t0.Add(3 * time.Hour)
	must(t, s.BumpMemberRevisions(ctx, o.ID, []string{b.ID}, later))
	acc := accounts.SQLStore{DB: db}
	ua, _ := acc.UserByID(ctx, users[4])
	ub, _ := acc.UserByID(ctx, users[5])
	if !ua.AccountRevisionDate.Equal(t0) || !ub.AccountRevisionDate.Equal(later) {
		t.Fatalf("bump one: %v %v", ua.AccountRevisionDate, ub.AccountRevisionDate)
	}
	must(t, s.BumpMemberRevisions(ctx, o.ID, nil, later.Add(time.Hour)))
	ua, _ = acc.UserByID(ctx, users[4])
	if !ua.AccountRevisionDate.Equal(later.Add(time.Hour)) {
		t.Fatalf("bump all: %v", ua.AccountRevisionDate)
	}
	must(t, s.MarkEmailVerified(ctx, users[4], later))
	if ua, _ = acc.UserByID(ctx, users[4]); !ua.EmailVerified {
		t.Fatal("email not marked verified")
	}
}

func testDeleteOrganization(t *testing.T, s orgs.Store, db *storage.DB, users []string) {
	ctx := context.Background()
	o := sampleOrg(30)
	must(t, s.CreateOrganization(ctx, o))
	m := member(o.ID, 300, users[4], "", orgs.StatusConfirmed, orgs.RoleOwner)
	must(t, s.InsertMembers(ctx, []orgs.Member{m}))
	c := orgs.Collection{ID: gid(0x0c, 30), OrganizationID: o.ID, Name: "2.c", CreatedAt: t0,
		RevisionDate: t0}
	must(t, s.CreateCollection(ctx, c))
	must(t, s.SetMemberCollections(ctx, m.ID, []orgs.Access{{ID: c.ID}}))
	storagetest.MustExec(t, db, `INSERT INTO ciphers (id, organization_id, type, data, created_at, updated_at)
		VALUES (?, ?, 1, '{}', 0, 0)`, gid(0xc1, 1), o.ID)
	storagetest.MustExec(t, db, `INSERT INTO cipher_collections (cipher_id, collection_id) VALUES (?, ?)`,
		gid(0xc1, 1), c.ID)
	must(t, s.AddEvents(ctx, []orgs.Event{{ID: gid(0xe0, 30), Type: orgs.EventMemberInvited,
		OrganizationID: o.ID,
		Date:           t0}}))
	must(t, s.InTx(ctx, func(q orgs.Queries) error { return q.DeleteOrganization(ctx, o.ID) }))
	for _, table := range []string{"organization_users", "collections", "ciphers"} {
		var n int
		must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE organization_id = ?`,
			o.ID).Scan(&n))
		if n != 0 {
			t.Errorf("%s keeps %d rows of the deleted organization", table, n)
		}
	}
	var n int
	must(t, db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM cipher_collections WHERE collection_id = ?`, c.ID).Scan(&n))
	if n != 0 {
		t.Errorf("cipher_collections keeps %d rows", n)
	}
	if evs, _ := s.Events(ctx, o.ID, t0, t0.Add(time.Hour), orgs.EventCursor{}, 10); len(evs) != 1 {
		t.Errorf("the audit log lost the deleted organization's events: %d", len(evs))
	}
	if err := s.DeleteOrganization(ctx, o.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

// testDeleteUser deletes an account with memberships in two organizations, a collection grant, a
// group, a personal item and an organization item: the account's rows go, the organizations, the
// organization item and the audit log stay.
func testDeleteUser(t *testing.T, s orgs.Store, db *storage.DB) {
	ctx := context.Background()
	uid := addUser(t, db, 40)
	o, p := sampleOrg(40), sampleOrg(41)
	must(t, s.CreateOrganization(ctx, o))
	must(t, s.CreateOrganization(ctx, p))
	m := member(o.ID, 400, uid, "", orgs.StatusConfirmed, orgs.RoleUser)
	pm := member(p.ID, 401, uid, "", orgs.StatusAccepted, orgs.RoleUser)
	must(t, s.InsertMembers(ctx, []orgs.Member{m, pm}))
	c := orgs.Collection{ID: gid(0x0c, 40), OrganizationID: o.ID, Name: "2.c", CreatedAt: t0,
		RevisionDate: t0}
	must(t, s.CreateCollection(ctx, c))
	must(t, s.SetMemberCollections(ctx, m.ID, []orgs.Access{{ID: c.ID}}))
	g := orgs.Group{ID: gid(0x6a, 40), OrganizationID: o.ID, Name: "G", CreatedAt: t0, RevisionDate: t0}
	must(t, s.CreateGroup(ctx, g))
	must(t, s.SetMemberGroups(ctx, m.ID, []string{g.ID}))
	storagetest.MustExec(t, db, `INSERT INTO ciphers (id, user_id, type, data, created_at, updated_at)
		VALUES (?, ?, 1, '{}', 0, 0)`, gid(0xc1, 40), uid)
	storagetest.MustExec(t, db, `INSERT INTO ciphers (id, organization_id, type, data, created_at, updated_at)
		VALUES (?, ?, 1, '{}', 0, 0)`, gid(0xc1, 41), o.ID)
	must(t, s.AddEvents(ctx, []orgs.Event{{ID: gid(0xe0, 40), Type: orgs.EventMemberDeleted,
		OrganizationID: o.ID, MemberID: m.ID, UserID: uid, Date: t0}}))

	must(t, s.InTx(ctx, func(q orgs.Queries) error { return q.DeleteUser(ctx, uid) }))
	for _, c := range []struct {
		query, arg string
		want       int
	}{
		{`SELECT COUNT(*) FROM users WHERE id = ?`, uid, 0},
		{`SELECT COUNT(*) FROM organization_users WHERE user_id = ?`, uid, 0},
		{`SELECT COUNT(*) FROM ciphers WHERE user_id = ?`, uid, 0},
		{`SELECT COUNT(*) FROM collection_users WHERE collection_id = ?`, c.ID, 0},
		{`SELECT COUNT(*) FROM group_users WHERE group_id = ?`, g.ID, 0},
		{`SELECT COUNT(*) FROM ciphers WHERE organization_id = ?`, o.ID, 1},
		{`SELECT COUNT(*) FROM audit_events WHERE user_id = ?`, uid, 1},
	} {
		var n int
		must(t, db.QueryRowContext(ctx, c.query, c.arg).Scan(&n))
		if n != c.want {
			t.Errorf("%s: %d, want %d", c.query, n, c.want)
		}
	}
	if _, err := s.Organization(ctx, p.ID); err != nil {
		t.Errorf("the other organization: %v", err)
	}
	err := s.InTx(ctx, func(q orgs.Queries) error { return q.DeleteUser(ctx, uid) })
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleting an unknown account: %v", err)
	}
}
