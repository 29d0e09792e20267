package domains

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/storage"
)

// LockName is the job lease the re-verifier takes in the database.
const LockName = "domains.reverify"

// ReverifierOptions tune a [Reverifier].
type ReverifierOptions struct {
	// Interval between runs; zero means 15 minutes. Domains fall due at their own times; the
	// interval only bounds how late a check may run.
	Interval time.Duration
	// LeaseTTL is how long the lease lasts without renewal; zero means three intervals. The holder
	// renews it before every check, so another process takes over this long after the holder stops.
	LeaseTTL time.Duration
	// Holder names this process in the lease; empty means a random name.
	Holder string
	// Batch is how many due domains are read at once; zero means 100.
	Batch int
	// Ticks, when set, replaces the interval timer (tests send on it).
	Ticks <-chan time.Time
}

// Reverifier runs the automatic checks of the [Service] in the background: the pending schedule,
// the removal of expired domains, and the re-checks of verified ones. Under a database lease, one
// castellan process at a time runs it, however many share the database.
type Reverifier struct {
	svc  *Service
	db   *storage.DB
	opts ReverifierOptions
	log  *slog.Logger
}

// RunReport counts what one run did.
type RunReport struct {
	Leader    bool // false when another process holds the lease, and nothing was done
	Checked   int  // DNS checks made
	Verified  int  // pending or lapsed domains that became verified
	Missed    int  // failed attempts on pending domains
	Failing   int  // verified domains that started failing
	Recovered int  // failing domains that succeeded again
	Lapsed    int  // claims dropped after the grace period
	Expired   int  // pending domains removed
	Errors    int  // domains that could not be processed (logged)
}

// NewReverifier builds a Reverifier for svc; db is the database the lease lives in.
func NewReverifier(svc *Service, db *storage.DB, o ReverifierOptions) *Reverifier {
	if o.Interval <= 0 {
		o.Interval = 15 * time.Minute
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 3 * o.Interval
	}
	if o.Holder == "" {
		o.Holder = "reverifier-" + uuid.Must(uuid.NewRandomFromReader(svc.random)).String()
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	return &Reverifier{svc: svc, db: db, opts: o, log: svc.log.With("job", "reverify")}
}

// Run runs the job at once and then at every interval until ctx ends, then gives the lease back.
func (r *Reverifier) Run(ctx context.Context) {
	ticks := r.opts.Ticks
	if ticks == nil {
		t := time.NewTicker(r.opts.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "domain re-verification run failed", "error", err)
		}
		select {
		case <-ctx.Done():
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := storage.Unlock(uctx, r.db, LockName, r.opts.Holder); err != nil {
				r.log.WarnContext(ctx, "domain re-verification lease not released", "error", err)
			}
			return
		case <-ticks:
		}
	}
}

// RunOnce takes (or renews) the lease and, if it holds it, processes every due domain. The lease is
// kept after the run, so the same process keeps the job until it stops.
func (r *Reverifier) RunOnce(ctx context.Context) (RunReport, error) {
	var rep RunReport
	seen := map[string]bool{}
	for {
		held, err := r.lease(ctx)
		if err != nil || !held {
			return rep, err
		}
		rep.Leader = true
		due, err := r.svc.store.Due(ctx, r.svc.clock.Now(), r.opts.Batch)
		if err != nil {
			return rep, err
		}
		fresh := 0
		for _, d := range due {
			if seen[d.ID] {
				continue // skipped earlier in this run (a concurrent write); next run retries it
			}
			seen[d.ID] = true
			fresh++
			if held, err := r.lease(ctx); err != nil || !held {
				return rep, err
			}
			r.process(ctx, d, &rep)
		}
		if fresh == 0 || len(due) < r.opts.Batch {
			return rep, nil
		}
	}
}

func (r *Reverifier) lease(ctx context.Context) (bool, error) {
	now := r.svc.clock.Now()
	held, err := storage.TryLock(ctx, r.db, LockName, r.opts.Holder, now, r.opts.LeaseTTL)
	if err != nil {
		return false, fmt.Errorf("take the re-verification lease: %w", err)
	}
	return held, nil
}

// process checks one due domain and stores the outcome.
func (r *Reverifier) process(ctx context.Context, d Domain, rep *RunReport) {
	now := r.svc.clock.Now()
	var res Result
	switch {
	case d.State == Lapsed:
		res = Result{Outcome: Absent, Reason: "the claim has lapsed"} // only clears a stray plan
	default:
		if err := r.svc.refuseClaimedElsewhere(ctx, d); errors.Is(err, ErrClaimedElsewhere) {
			res = Result{Outcome: Absent, Reason: "the domain is claimed by another organization"}
			break
		} else if err != nil {
			r.fail(ctx, d, err, rep)
			return
		}
		res = Check(ctx, r.svc.resolver, d.Name, d.TXT)
		rep.Checked++
	}
	_, event, err := r.svc.apply(ctx, d, res, now, true, "")
	switch {
	case errors.Is(err, ErrStale), errors.Is(err, storage.ErrNotFound):
		r.log.DebugContext(ctx, "domain changed during its check; left for the next run",
			"domain_id", d.ID)
		return
	case err != nil:
		r.fail(ctx, d, err, rep)
		return
	}
	count(rep, event)
}

func (r *Reverifier) fail(ctx context.Context, d Domain, err error, rep *RunReport) {
	rep.Errors++
	r.log.WarnContext(ctx, "domain check not stored", "domain_id", d.ID, "error", err)
}

// count adds what happened to one domain to the report.
func count(rep *RunReport, event EventKind) {
	switch event {
	case EventVerified:
		rep.Verified++
	case EventNotVerified:
		rep.Missed++
	case EventFailing:
		rep.Failing++
	case EventRecovered:
		rep.Recovered++
	case EventLapsed:
		rep.Lapsed++
	case EventExpired:
		rep.Expired++
	}
}
