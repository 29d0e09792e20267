package domains_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
	"github.com/castellan-vault/castellan/internal/storage"
)

func TestReverifier(t *testing.T) {
	forEachEngine(t, map[string]func(*testing.T, *env){
		"PendingAttemptsThenExpiry":     testPendingSchedule,
		"PendingVerifiedByAnAttempt":    testPendingVerifiedByAttempt,
		"LastCheckBeforeExpirySaves":    testLastCheckSaves,
		"TransientFailuresNeverDrop":    testTransientNeverDrops,
		"AbsentPastGraceDrops":          testGraceDrop,
		"RecoveryClearsFailing":         testRecovery,
		"LeaseKeepsOneReverifier":       testLease,
		"ConcurrentRunsOneLeader":       testConcurrentLeader,
		"RunReleasesLeaseOnStop":        testRunLoop,
		"DomainDeletedDuringCheck":      testDeletedDuringCheck,
		"ManualVerifyOfFailingRecovers": testManualRecovery,
	})
}

func testPendingSchedule(t *testing.T, e *env) {
	d := e.add("org-1", "example.com")
	e.dns.SetTXT("example.com", d.TXT[:46]+"x") // published with a typo
	e.notes.Reset()
	if rep := e.runAt(t0.Add(12*time.Hour - time.Minute)); rep.Checked != 0 {
		t.Fatalf("checked before the first attempt: %+v", rep)
	}
	for i, at := range []time.Duration{12 * time.Hour, 36 * time.Hour, 72 * time.Hour} {
		next := []time.Duration{36 * time.Hour, 72 * time.Hour, 7 * day}[i]
		rep := e.runAt(t0.Add(at))
		got := e.get(d)
		if rep.Checked != 1 || rep.Missed != 1 || got.JobRunCount != i+1 ||
			got.State != domains.Pending || !got.NextRunAt.Equal(t0.Add(next)) ||
			!got.LastCheckedAt.Equal(t0.Add(at)) {
			t.Fatalf("attempt %d: %+v, domain %+v", i+1, rep, got)
		}
		if rep := e.runAt(t0.Add(at + time.Hour)); rep.Checked != 0 {
			t.Fatalf("attempt %d repeated an hour later: %+v", i+1, rep)
		}
	}
	missed := domains.EventNotVerified
	wantKinds(t, e.notes, missed, missed, missed)
	if rep := e.runAt(t0.Add(7*day - time.Minute)); rep.Checked != 0 || rep.Expired != 0 {
		t.Fatalf("before expiry: %+v", rep)
	}
	if rep := e.runAt(t0.Add(7 * day)); rep.Expired != 1 || rep.Checked != 1 {
		t.Fatalf("at expiry: %+v", rep)
	}
	_, err := e.svc.Get(context.Background(), "org-1", d.ID)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("expired domain still there: %v", err)
	}
	wantKinds(t, e.notes, domains.EventExpired)
}

func testPendingVerifiedByAttempt(t *testing.T, e *env) {
	d := e.add("org-1", "example.com")
	e.runAt(t0.Add(12 * time.Hour)) // NXDOMAIN: a missed attempt
	e.dns.SetTXT("example.com", d.TXT)
	e.notes.Reset()
	rep := e.runAt(t0.Add(36 * time.Hour))
	got := e.get(d)
	if rep.Verified != 1 || got.State != domains.Verified || got.JobRunCount != 2 ||
		!got.VerifiedAt.Equal(t0.Add(36*time.Hour)) || !got.NextRunAt.Equal(t0.Add(60*time.Hour)) {
		t.Fatalf("%+v, domain %+v", rep, got)
	}
	ev := e.notes.Events()
	if len(ev) != 1 || ev[0].Kind != domains.EventVerified || ev[0].ActorID != "" {
		t.Fatalf("events = %+v (want one Verified by the system)", ev)
	}
	if rep := e.runAt(t0.Add(8 * day)); rep.Expired != 0 || e.get(d).State != domains.Verified {
		t.Fatalf("a verified domain expired: %+v", rep)
	}
}

func testLastCheckSaves(t *testing.T, e *env) {
	d := e.add("org-1", "example.com")
	for _, at := range []time.Duration{12 * time.Hour, 36 * time.Hour, 72 * time.Hour} {
		e.runAt(t0.Add(at))
	}
	e.dns.SetTXT("example.com", d.TXT) // published on day 5, never verified by hand
	if rep := e.runAt(t0.Add(7 * day)); rep.Verified != 1 || rep.Expired != 0 {
		t.Fatalf("last check: %+v", rep)
	}
}

// verifiedAt verifies a fresh domain and moves the clock to its first re-check.
func (e *env) verifiedForRecheck() domains.Domain {
	d := e.verified("org-1", "example.com")
	if !d.NextRunAt.Equal(t0.Add(day)) {
		e.t.Fatalf("first re-check planned at %v", d.NextRunAt.Sub(t0))
	}
	return d
}

func testTransientNeverDrops(t *testing.T, e *env) {
	ctx := context.Background()
	d := e.verifiedForRecheck()
	e.dns.SetMode("example.com", domainstest.ServFail)
	rep := e.runAt(t0.Add(day))
	got := e.get(d)
	if rep.Failing != 1 || got.State != domains.Failing || !got.FailingSince.Equal(t0.Add(day)) ||
		!got.VerifiedAt.Equal(d.VerifiedAt) || !got.NextRunAt.Equal(t0.Add(day+4*time.Hour)) {
		t.Fatalf("first failure: %+v, domain %+v", rep, got)
	}
	ev := e.notes.Events()
	if len(ev) != 1 || ev[0].Kind != domains.EventFailing || ev[0].Reason == "" {
		t.Fatalf("events = %+v, want one Failing warning with a reason", ev)
	}
	e.notes.Reset()
	// Thirty days of DNS trouble, well past the grace period: timeouts some of the time, SERVFAIL
	// the rest. The claim holds throughout.
	for at := t0.Add(day + 4*time.Hour); at.Before(t0.Add(31 * day)); at = at.Add(4 * time.Hour) {
		mode := domainstest.ServFail
		if at.Sub(t0)%(5*day) == 0 {
			mode = domainstest.Drop
		}
		e.dns.SetMode("example.com", mode)
		if rep := e.runAt(at); rep.Checked != 1 || rep.Lapsed != 0 {
			t.Fatalf("at %v: %+v", at.Sub(t0), rep)
		}
	}
	got = e.get(d)
	if got.State != domains.Failing || !got.FailingSince.Equal(t0.Add(day)) {
		t.Fatalf("after 30 days of DNS failures: %+v", got)
	}
	if c, err := e.svc.ClaimedBy(ctx, "example.com"); err != nil || c.ID != d.ID {
		t.Fatalf("claim lost to DNS failures: %v", err)
	}
	wantKinds(t, e.notes) // one warning, not one per failed check
}

func testGraceDrop(t *testing.T, e *env) {
	ctx := context.Background()
	d := e.verifiedForRecheck()
	e.dns.Remove("example.com")
	e.runAt(t0.Add(day))
	wantKinds(t, e.notes, domains.EventFailing)
	grace := t0.Add(day + 14*day)
	var at time.Time
	for at = t0.Add(day + 4*time.Hour); at.Before(grace); at = at.Add(4 * time.Hour) {
		if rep := e.runAt(at); rep.Lapsed != 0 {
			t.Fatalf("dropped at %v, before the grace period ended", at.Sub(t0))
		}
	}
	if got := e.get(d); got.State != domains.Failing {
		t.Fatalf("before grace end: %+v", got)
	}
	rep := e.runAt(at)
	got := e.get(d)
	if rep.Lapsed != 1 || got.State != domains.Lapsed || !got.VerifiedAt.IsZero() ||
		!got.FailingSince.IsZero() || !got.NextRunAt.IsZero() {
		t.Fatalf("at grace end: %+v, domain %+v", rep, got)
	}
	wantKinds(t, e.notes, domains.EventLapsed)
	if _, err := e.svc.ClaimedBy(ctx, "example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("lapsed claim still found: %v", err)
	}
	if rep := e.runAt(at.Add(30 * day)); rep.Checked != 0 || rep.Expired != 0 {
		t.Fatalf("a lapsed domain was checked or removed: %+v", rep)
	}
	// The name is free: another organization can claim it, and the first can only verify again
	// while nobody holds it.
	e.verified("org-2", "example.com")
	_, err := e.svc.VerifyNow(ctx, "org-1", "admin", d.ID)
	if !errors.Is(err, domains.ErrClaimedElsewhere) {
		t.Fatalf("re-verify of a lapsed domain claimed elsewhere: %v", err)
	}
}

func testRecovery(t *testing.T, e *env) {
	d := e.verifiedForRecheck()
	e.dns.Remove("example.com")
	e.runAt(t0.Add(day))
	for at := t0.Add(day + 4*time.Hour); at.Before(t0.Add(14 * day)); at = at.Add(4 * time.Hour) {
		e.runAt(at)
	}
	e.dns.SetTXT("example.com", d.TXT) // fixed on day 14, one day before the grace period ends
	e.notes.Reset()
	at := t0.Add(14 * day)
	rep := e.runAt(at)
	got := e.get(d)
	if rep.Recovered != 1 || got.State != domains.Verified || !got.FailingSince.IsZero() ||
		!got.VerifiedAt.Equal(d.VerifiedAt) || !got.NextRunAt.Equal(at.Add(day)) {
		t.Fatalf("recovery: %+v, domain %+v", rep, got)
	}
	wantKinds(t, e.notes, domains.EventRecovered)
	// Failing again later starts a fresh grace period: 13 more days do not drop it.
	e.dns.Remove("example.com")
	e.runAt(at.Add(day))
	for a := at.Add(day + 4*time.Hour); a.Before(at.Add(day + 13*day)); a = a.Add(4 * time.Hour) {
		if rep := e.runAt(a); rep.Lapsed != 0 {
			t.Fatalf("dropped %v into the second failure", a.Sub(at.Add(day)))
		}
	}
	if got := e.get(d); got.State != domains.Failing || !got.FailingSince.Equal(at.Add(day)) {
		t.Fatalf("second failure: %+v", got)
	}
}

func testManualRecovery(t *testing.T, e *env) {
	d := e.verifiedForRecheck()
	e.dns.SetMode("example.com", domainstest.ServFail)
	e.runAt(t0.Add(day))
	e.notes.Reset()
	_, err := e.svc.VerifyNow(context.Background(), "org-1", "admin", d.ID)
	if !errors.Is(err, domains.ErrDNSUnavailable) {
		t.Fatalf("manual check during the outage: %v", err)
	}
	if got := e.get(d); got.State != domains.Failing {
		t.Fatalf("a failed manual check changed the domain: %+v", got)
	}
	e.dns.SetMode("example.com", domainstest.Answer)
	e.clock.Advance(time.Hour)
	got, err := e.svc.VerifyNow(context.Background(), "org-1", "admin", d.ID)
	if err != nil || got.State != domains.Verified || !got.FailingSince.IsZero() {
		t.Fatalf("manual check after the fix: %+v, %v", got, err)
	}
	wantKinds(t, e.notes, domains.EventRecovered)
}

func testLease(t *testing.T, e *env) {
	ctx := context.Background()
	e.add("org-1", "example.com")
	e.add("org-1", "example.net")
	b := e.reverifier("holder-b")
	e.clock.Set(t0.Add(12 * time.Hour))
	repA, err := e.rev.RunOnce(ctx)
	if err != nil || !repA.Leader || repA.Checked != 2 {
		t.Fatalf("A: %+v, %v", repA, err)
	}
	for _, at := range []time.Duration{12 * time.Hour, 12*time.Hour + 59*time.Minute} {
		e.clock.Set(t0.Add(at))
		repB, err := b.RunOnce(ctx)
		if err != nil || repB.Leader || repB.Checked != 0 {
			t.Fatalf("B ran at %v while A held the lease: %+v, %v", at, repB, err)
		}
	}
	if n := e.dns.Queries("example.com") + e.dns.Queries("example.net"); n != 2 {
		t.Fatalf("%d DNS queries, want 2", n)
	}
	// A stops without giving the lease back (a crash); once the lease runs out, B takes over.
	e.clock.Set(t0.Add(36 * time.Hour))
	repB, err := b.RunOnce(ctx)
	if err != nil || !repB.Leader || repB.Checked != 2 {
		t.Fatalf("B after the lease expired: %+v, %v", repB, err)
	}
	if repA, _ = e.rev.RunOnce(ctx); repA.Leader {
		t.Fatal("A ran while B held the lease")
	}
}

func testConcurrentLeader(t *testing.T, e *env) {
	e.add("org-1", "example.com")
	e.clock.Set(t0.Add(12 * time.Hour))
	revs := []*domains.Reverifier{e.rev, e.reverifier("holder-b"), e.reverifier("holder-c")}
	reps := make([]domains.RunReport, len(revs))
	errs := make([]error, len(revs))
	var wg sync.WaitGroup
	for i, r := range revs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = r.RunOnce(context.Background())
		}()
	}
	wg.Wait()
	leaders := 0
	for i := range revs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		if reps[i].Leader {
			leaders++
		}
	}
	if leaders != 1 || e.dns.Queries("example.com") != 1 {
		t.Fatalf("%d leaders, %d DNS queries; want 1 and 1 (%+v)", leaders,
			e.dns.Queries("example.com"), reps)
	}
}

func testRunLoop(t *testing.T, e *env) {
	d := e.add("org-1", "example.com")
	e.clock.Set(t0.Add(12 * time.Hour))
	ticks := make(chan time.Time)
	r := domains.NewReverifier(e.svc, e.db,
		domains.ReverifierOptions{Holder: "loop", LeaseTTL: time.Hour, Ticks: ticks})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	ticks <- time.Time{} // received only after the first run finished
	if got := e.get(d); got.JobRunCount != 1 {
		t.Fatalf("first run did not check: %+v", got)
	}
	e.clock.Set(t0.Add(36 * time.Hour))
	ticks <- time.Time{}
	ticks <- time.Time{} // the run for the previous tick has finished
	if got := e.get(d); got.JobRunCount != 2 {
		t.Fatalf("tick did not run: %+v", got)
	}
	cancel()
	<-done
	// The lease was given back: another process takes the job at once.
	other := e.reverifier("holder-b")
	if rep, err := other.RunOnce(context.Background()); err != nil || !rep.Leader {
		t.Fatalf("lease not released on stop: %+v, %v", rep, err)
	}
}

// deletingResolver deletes the domain while its check is under way, as an administrator might.
type deletingResolver struct {
	domains.Resolver
	del func()
}

func (r deletingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	r.del()
	return r.Resolver.LookupTXT(ctx, name)
}

func testDeletedDuringCheck(t *testing.T, e *env) {
	ctx := context.Background()
	d := e.add("org-1", "example.com")
	e.dns.SetTXT("example.com", d.TXT)
	base, _ := domains.NewResolver(domains.ResolverOptions{Server: e.dns.Addr})
	store := domains.SQLStore{DB: e.db}
	svc, err := domains.NewService(domains.Options{Store: store, Clock: e.clock, Notifier: e.notes,
		Logger:   slog.New(slog.DiscardHandler),
		Resolver: deletingResolver{base, func() { _ = store.Delete(ctx, "org-1", d.ID) }}})
	if err != nil {
		t.Fatal(err)
	}
	e.notes.Reset()
	e.clock.Set(t0.Add(12 * time.Hour))
	rev := domains.NewReverifier(svc, e.db, domains.ReverifierOptions{Holder: "x"})
	rep, err := rev.RunOnce(ctx)
	if err != nil || rep.Errors != 0 || rep.Verified != 0 {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	if _, err := store.Get(ctx, "org-1", d.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted domain came back: %v", err)
	}
	wantKinds(t, e.notes)
}
