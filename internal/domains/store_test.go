package domains_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func pending(id, org, name string) domains.Domain {
	return domains.Domain{ID: id, OrganizationID: org, Name: name, TXT: "bw=" + id, CreatedAt: t0,
		NextRunAt: t0.Add(12 * time.Hour), State: domains.Pending}
}

// TestStoreConformance runs the store contract on every engine; each case uses its own
// organizations and names, so the cases share one database per engine.
func TestStoreConformance(t *testing.T) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s domains.SQLStore)
	}{
		{"CreateGetListRoundTrip", storeCreateGetListRoundTrip},
		{"GetIsScopedToTheOrganization", storeGetIsScopedToTheOrganization},
		{"DuplicateInOrganization", storeDuplicateInOrganization},
		{"ConcurrentDuplicateCreates", storeConcurrentDuplicateCreates},
		{"OneClaimPerName", storeOneClaimPerName},
		{"StaleWritesRefused", storeStaleWritesRefused},
		{"DueOrderAndLimit", storeDueOrderAndLimit},
	}
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { c.fn(t, domains.SQLStore{DB: db}) })
		}
	})
}

func storeCreateGetListRoundTrip(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	b := pending("00000000-0000-0000-0000-00000000000b", "org-rt", "b.example")
	a := pending("00000000-0000-0000-0000-00000000000a", "org-rt", "a.example")
	for _, d := range []domains.Domain{b, a} {
		if err := s.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, "org-rt", a.ID)
	if err != nil || got != a {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, a)
	}
	list, err := s.List(ctx, "org-rt")
	if err != nil || len(list) != 2 || list[0] != a || list[1] != b {
		t.Fatalf("List = %+v, %v; want a then b", list, err)
	}
	if list, err := s.List(ctx, "org-none"); err != nil || len(list) != 0 {
		t.Fatalf("List(other org) = %+v, %v", list, err)
	}
}

func storeGetIsScopedToTheOrganization(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	d := pending("scoped-1", "org-s1", "scoped.example")
	if err := s.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "org-s2", d.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get from another org: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "org-s2", d.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Delete from another org: %v, want ErrNotFound", err)
	}
}

func storeDuplicateInOrganization(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	if err := s.Create(ctx, pending("dup-1", "org-d", "dup.example")); err != nil {
		t.Fatal(err)
	}
	err := s.Create(ctx, pending("dup-2", "org-d", "dup.example"))
	if !errors.Is(err, domains.ErrDuplicate) || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second create: %v, want ErrDuplicate (a conflict)", err)
	}
	// Another organization may add the same name while nobody has verified it.
	if err := s.Create(ctx, pending("dup-3", "org-d2", "dup.example")); err != nil {
		t.Fatalf("other org: %v", err)
	}
}

func storeConcurrentDuplicateCreates(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := pending(fmt.Sprint("race-", i), "org-race", "race.example")
			errs[i] = s.Create(ctx, d)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, domains.ErrDuplicate):
			t.Errorf("racing create: %v, want nil or ErrDuplicate", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want 1", ok)
	}
}

func storeOneClaimPerName(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	a := pending("claim-a", "org-ca", "claim.example")
	b := pending("claim-b", "org-cb", "claim.example")
	for _, d := range []domains.Domain{a, b} {
		if err := s.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	a.State, a.VerifiedAt = domains.Verified, t0.Add(time.Hour)
	a.LastCheckedAt = a.VerifiedAt
	a, err := s.Update(ctx, a)
	if err != nil || a.Revision != 1 {
		t.Fatalf("verify a: %+v, %v", a, err)
	}
	owner, err := s.FindClaimed(ctx, "claim.example")
	if err != nil || owner != a {
		t.Fatalf("FindClaimed = %+v, %v; want %+v", owner, err, a)
	}
	b.State, b.VerifiedAt = domains.Verified, t0.Add(2*time.Hour)
	if _, err := s.Update(ctx, b); !errors.Is(err, domains.ErrClaimedElsewhere) {
		t.Fatalf("verify b: %v, want ErrClaimedElsewhere", err)
	}
	err = s.Create(ctx, pending("claim-c", "org-cc", "claim.example"))
	if !errors.Is(err, domains.ErrClaimedElsewhere) || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("create c: %v, want ErrClaimedElsewhere", err)
	}
	// A failing domain still holds the claim; a lapsed one gives it up.
	a.State, a.FailingSince = domains.Failing, t0.Add(3*time.Hour)
	if a, err = s.Update(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, b); !errors.Is(err, domains.ErrClaimedElsewhere) {
		t.Fatalf("verify b while a fails: %v, want ErrClaimedElsewhere", err)
	}
	a.State, a.VerifiedAt, a.FailingSince, a.NextRunAt = domains.Lapsed, time.Time{},
		time.Time{}, time.Time{}
	if a, err = s.Update(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindClaimed(ctx, "claim.example"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("FindClaimed after lapse: %v", err)
	}
	if b, err = s.Update(ctx, b); err != nil || b.State != domains.Verified {
		t.Fatalf("verify b after a lapsed: %+v, %v", b, err)
	}
	got, _ := s.Get(ctx, "org-ca", a.ID)
	if got != a {
		t.Fatalf("lapsed a = %+v, want %+v (zero times stored as NULL)", got, a)
	}
}

func storeStaleWritesRefused(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	d := pending("stale-1", "org-st", "stale.example")
	if err := s.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	d1 := d
	d1.JobRunCount, d1.LastCheckedAt = 1, t0.Add(12*time.Hour)
	if _, err := s.Update(ctx, d1); err != nil {
		t.Fatal(err)
	}
	d2 := d // read before the first update
	d2.JobRunCount = 7
	if _, err := s.Update(ctx, d2); !errors.Is(err, domains.ErrStale) {
		t.Fatalf("stale update: %v, want ErrStale", err)
	}
	if err := s.DeleteAt(ctx, d.ID, d.Revision); !errors.Is(err, domains.ErrStale) {
		t.Fatalf("stale delete: %v, want ErrStale", err)
	}
	if err := s.DeleteAt(ctx, d.ID, d.Revision+1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, d1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update of deleted: %v, want ErrNotFound", err)
	}
	if err := s.DeleteAt(ctx, d.ID, 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete of deleted: %v, want ErrNotFound", err)
	}
}

func storeDueOrderAndLimit(t *testing.T, s domains.SQLStore) {
	ctx := context.Background()
	base := t0.Add(100 * 24 * time.Hour) // after every other sub-test's plans
	for i, off := range []time.Duration{3, 1, 2, 9} {
		d := pending(fmt.Sprint("due-", i), "org-due", fmt.Sprint("due", i, ".example"))
		d.NextRunAt = base.Add(off * time.Hour)
		if err := s.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	none := pending("due-none", "org-due", "none.example")
	none.NextRunAt = time.Time{}
	if err := s.Create(ctx, none); err != nil {
		t.Fatal(err)
	}
	due, err := s.Due(ctx, base.Add(5*time.Hour), 100)
	var ids []string
	for _, d := range due {
		if d.OrganizationID == "org-due" {
			ids = append(ids, d.ID)
		}
	}
	if err != nil || fmt.Sprint(ids) != "[due-1 due-2 due-0]" {
		t.Fatalf("Due = %v, %v", ids, err)
	}
	if due, err := s.Due(ctx, base.Add(5*time.Hour), 2); err != nil || len(due) != 2 {
		t.Fatalf("Due with limit 2 = %d rows, %v", len(due), err)
	}
}
