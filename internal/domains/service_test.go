package domains_test

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

const day = 24 * time.Hour

// env is one service on a fresh database, with a local DNS server, a fake clock and a recording
// notifier.
type env struct {
	t     *testing.T
	db    *storage.DB
	dns   *domainstest.DNSServer
	clock *clock.Fake
	notes *domainstest.Notifier
	svc   *domains.Service
	rev   *domains.Reverifier
}

func newEnv(t *testing.T, db *storage.DB) *env {
	t.Helper()
	e := &env{t: t, db: db, dns: domainstest.NewDNSServer(t), clock: clock.NewFake(t0),
		notes: &domainstest.Notifier{}}
	r, err := domains.NewResolver(domains.ResolverOptions{Server: e.dns.Addr,
		Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = domains.NewService(domains.Options{Store: domains.SQLStore{DB: db}, Resolver: r,
		Notifier: e.notes, Clock: e.clock, Random: rand.NewChaCha8([32]byte{1}),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.rev = e.reverifier("holder-a")
	return e
}

func (e *env) reverifier(holder string) *domains.Reverifier {
	return domains.NewReverifier(e.svc, e.db,
		domains.ReverifierOptions{Holder: holder, LeaseTTL: time.Hour})
}

// forEachEngine runs each scenario on a fresh database of every engine, so that one scenario's
// domains and lease never reach another's.
func forEachEngine(t *testing.T, scenarios map[string]func(t *testing.T, e *env)) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			for name, fn := range scenarios {
				t.Run(name, func(t *testing.T) {
					t.Parallel() // each scenario has its own database, DNS server and clock
					fn(t, newEnv(t, storagetest.OpenFresh(t, eng)))
				})
			}
		})
	}
}

func (e *env) add(org, name string) domains.Domain {
	e.t.Helper()
	d, err := e.svc.Add(context.Background(), org, "admin-"+org, name)
	if err != nil {
		e.t.Fatalf("Add(%s, %s): %v", org, name, err)
	}
	return d
}

func (e *env) get(d domains.Domain) domains.Domain {
	e.t.Helper()
	got, err := e.svc.Get(context.Background(), d.OrganizationID, d.ID)
	if err != nil {
		e.t.Fatalf("Get %s: %v", d.Name, err)
	}
	return got
}

// runAt moves the clock to at and runs the re-verifier once.
func (e *env) runAt(at time.Time) domains.RunReport {
	e.t.Helper()
	e.clock.Set(at)
	rep, err := e.rev.RunOnce(context.Background())
	if err != nil || !rep.Leader || rep.Errors != 0 {
		e.t.Fatalf("run at %v: %+v, %v", at.Sub(t0), rep, err)
	}
	return rep
}

// verified adds name to org, publishes its record and verifies it manually at the current time.
func (e *env) verified(org, name string) domains.Domain {
	e.t.Helper()
	d := e.add(org, name)
	e.dns.SetTXT(name, d.TXT)
	d, err := e.svc.VerifyNow(context.Background(), org, "admin-"+org, d.ID)
	if err != nil || d.State != domains.Verified {
		e.t.Fatalf("verify %s: %+v, %v", name, d, err)
	}
	e.notes.Reset()
	return d
}

func wantKinds(t *testing.T, n *domainstest.Notifier, want ...domains.EventKind) {
	t.Helper()
	if got := n.Kinds(); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	n.Reset()
}

func TestService(t *testing.T) {
	forEachEngine(t, map[string]func(*testing.T, *env){
		"AddNormalisesAndRefuses": testAdd,
		"VerifyNow":               testVerifyNow,
		"ClaimedElsewhere":        testClaimedElsewhere,
		"Delete":                  testDelete,
		"NotifierFailureKeepsChange": func(t *testing.T, e *env) {
			e.notes.Err = errors.New("mail server down")
			if _, err := e.svc.Add(context.Background(), "org-1", "u", "example.com"); err != nil {
				t.Fatal(err)
			}
			if list, _ := e.svc.List(context.Background(), "org-1"); len(list) != 1 {
				t.Fatalf("domain not kept: %+v", list)
			}
		},
	})
}

func testAdd(t *testing.T, e *env) {
	ctx := context.Background()
	d := e.add("org-1", "  Bücher.Example ")
	if d.Name != "xn--bcher-kva.example" || d.State != domains.Pending || len(d.TXT) != 47 ||
		!d.CreatedAt.Equal(t0) || !d.NextRunAt.Equal(t0.Add(12*time.Hour)) ||
		!d.VerifiedAt.IsZero() {
		t.Fatalf("added %+v", d)
	}
	if got := e.get(d); got != d {
		t.Fatalf("stored %+v, returned %+v", got, d)
	}
	ev := e.notes.Events()
	if len(ev) != 1 || ev[0].Kind != domains.EventAdded || ev[0].ActorID != "admin-org-1" ||
		ev[0].Domain != d {
		t.Fatalf("events = %+v", ev)
	}
	bad := []string{"*.example.com", "example.com.", "https://example.com", "com", "a_b.example"}
	for _, bad := range bad {
		if _, err := e.svc.Add(ctx, "org-1", "u", bad); !errors.Is(err, domains.ErrInvalidName) {
			t.Errorf("Add(%q): %v, want ErrInvalidName", bad, err)
		}
	}
	_, err := e.svc.Add(ctx, "org-1", "u", "XN--BCHER-KVA.example")
	if !errors.Is(err, domains.ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	other := e.add("org-2", "bücher.example") // nobody holds the claim yet
	if other.TXT == d.TXT {
		t.Fatal("two domains got the same verification value")
	}
	if list, _ := e.svc.List(ctx, "org-1"); len(list) != 1 {
		t.Fatalf("org-1 has %d domains, want 1", len(list))
	}
}

func testVerifyNow(t *testing.T, e *env) {
	ctx := context.Background()
	d := e.add("org-1", "example.com")
	e.notes.Reset()
	failedVerifications(t, e, d)
	e.clock.Advance(time.Hour)
	e.dns.SetTXT("example.com", "v=spf1 -all", d.TXT)
	v, err := e.svc.VerifyNow(ctx, "org-1", "admin", d.ID)
	now := t0.Add(time.Hour)
	if err != nil || v.State != domains.Verified || !v.VerifiedAt.Equal(now) ||
		!v.LastCheckedAt.Equal(now) || !v.NextRunAt.Equal(now.Add(day)) || v.JobRunCount != 0 ||
		e.get(d) != v {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	ev := e.notes.Events()
	if len(ev) != 1 || ev[0].Kind != domains.EventVerified || ev[0].ActorID != "admin" {
		t.Fatalf("events = %+v", ev)
	}
	_, err = e.svc.VerifyNow(ctx, "org-1", "admin", d.ID)
	if !errors.Is(err, domains.ErrAlreadyVerified) || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second verify: %v, want ErrAlreadyVerified (a conflict)", err)
	}
	if c, err := e.svc.ClaimedBy(ctx, "EXAMPLE.com"); err != nil || c.ID != d.ID {
		t.Fatalf("ClaimedBy = %+v, %v", c, err)
	}
	_, err = e.svc.VerifyNow(ctx, "org-2", "admin", d.ID)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("verify another org's domain: %v, want ErrNotFound", err)
	}
}

func testClaimedElsewhere(t *testing.T, e *env) {
	ctx := context.Background()
	late := e.add("org-2", "example.com") // added while nobody held the claim
	e.dns.SetTXT("example.com", late.TXT) // even with its own record published...
	a := e.verified("org-1", "example.com")
	e.dns.SetTXT("example.com", a.TXT, late.TXT)
	before := e.dns.Queries("example.com")
	_, err := e.svc.VerifyNow(ctx, "org-2", "admin", late.ID)
	if !errors.Is(err, domains.ErrClaimedElsewhere) || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("verify at org-2: %v, want ErrClaimedElsewhere", err)
	}
	if e.dns.Queries("example.com") != before {
		t.Fatal("DNS was asked for a domain claimed elsewhere")
	}
	_, err = e.svc.Add(ctx, "org-3", "u", "Example.COM")
	if !errors.Is(err, domains.ErrClaimedElsewhere) {
		t.Fatalf("add at org-3: %v, want ErrClaimedElsewhere", err)
	}
	// The background job does not verify org-2's copy either: its attempt just fails.
	rep := e.runAt(t0.Add(12 * time.Hour))
	got := e.get(late)
	if got.State != domains.Pending || got.JobRunCount != 1 || rep.Verified != 0 {
		t.Fatalf("org-2 copy after the job: %+v (%+v)", got, rep)
	}
	if c, _ := e.svc.ClaimedBy(ctx, "example.com"); c.ID != a.ID {
		t.Fatalf("claim moved to %+v", c)
	}
}

func testDelete(t *testing.T, e *env) {
	ctx := context.Background()
	a := e.verified("org-1", "example.com")
	if err := e.svc.Delete(ctx, "org-2", "admin", a.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete from another org: %v", err)
	}
	if err := e.svc.Delete(ctx, "org-1", "admin", a.ID); err != nil {
		t.Fatal(err)
	}
	ev := e.notes.Events()
	if len(ev) != 1 || ev[0].Kind != domains.EventRemoved || ev[0].Domain.ID != a.ID {
		t.Fatalf("events = %+v", ev)
	}
	if _, err := e.svc.ClaimedBy(ctx, "example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("claim survived deletion: %v", err)
	}
	b := e.add("org-2", "example.com") // the name is free again
	if err := e.svc.Delete(ctx, "org-2", "admin", b.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, "org-2", "admin", b.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// failedVerifications checks that every way a manual check can fail gives its error and writes
// nothing.
func failedVerifications(t *testing.T, e *env, d domains.Domain) {
	ctx := context.Background()
	fails := []struct {
		name  string
		setup func()
		want  error
	}{
		{"NXDOMAIN", func() { e.dns.Remove("example.com") }, domains.ErrNotVerified},
		{"OffByOne", func() { e.dns.SetTXT("example.com", d.TXT[:46]+"!") }, domains.ErrNotVerified},
		{"ServFail", func() { e.dns.SetMode("example.com", domainstest.ServFail) },
			domains.ErrDNSUnavailable},
		{"Timeout", func() { e.dns.SetMode("example.com", domainstest.Drop) },
			domains.ErrDNSUnavailable},
	}
	for _, f := range fails {
		f.setup()
		_, err := e.svc.VerifyNow(ctx, "org-1", "admin", d.ID)
		var ve *domains.VerifyError
		if !errors.As(err, &ve) || !errors.Is(err, f.want) {
			t.Fatalf("%s: %v, want a VerifyError matching %v", f.name, err, f.want)
		}
		if got := e.get(d); got != d {
			t.Fatalf("%s: a failed manual check wrote %+v", f.name, got)
		}
		e.dns.SetMode("example.com", domainstest.Answer)
	}
	wantKinds(t, e.notes)
}
