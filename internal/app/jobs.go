package app

import (
	"context"
	"sync"
)

// StartJobs starts the background jobs that the mounts registered (the re-verification of claimed
// domains) and returns the function that stops them: it cancels their context and waits until
// every job has returned, having given back its database lease. Call it before the database is
// closed.
func (a *App) StartJobs(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, job := range a.jobs {
		wg.Go(func() { job(ctx) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
