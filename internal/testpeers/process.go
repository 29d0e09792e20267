package testpeers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a peer may take from start to ready.
const startTimeout = 60 * time.Second

// pollInterval is the tick of readiness polling.
const pollInterval = 25 * time.Millisecond

// process is one running peer program.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

// startProcess starts cmd with its output in <tempdir>/<name>.log. When the test ends the
// process group gets SIGTERM (SIGKILL after 5 s); when the test failed, the log is printed.
func startProcess(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testpeers: create %s log: %v", name, err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Stdin = nil
	// Own process group so php's workers and node's children die with it; the kernel
	// kills the peer if the test binary dies without running its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	// Registered first so it runs last: the log is complete when it is printed.
	t.Cleanup(func() {
		if t.Failed() {
			p.printLog(t)
		}
	})
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("testpeers: start %s (%s): %v", name, cmd.Path, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop ends the process group: SIGTERM, then SIGKILL if it has not exited after 5 s.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// printLog writes the peer's log into the test output.
func (p *process) printLog(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("testpeers: %s log unreadable: %v", p.name, err)
		return
	}
	t.Logf("testpeers: %s log (%s):\n%s", p.name, p.logPath, b)
}

// waitReady polls check every pollInterval until it returns nil. It fails the test when
// the process exits first or startTimeout passes, with the last check error.
func (p *process) waitReady(t testing.TB, check func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	start := time.Now()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		if last = check(ctx); last == nil {
			t.Logf("testpeers: %s ready in %v", p.name, time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-p.done:
			t.Fatalf("testpeers: %s exited before it was ready (%v); last probe: %v",
				p.name, p.waitErr, last)
		case <-ctx.Done():
			t.Fatalf("testpeers: %s not ready after %v: %v", p.name, startTimeout, last)
		case <-tick.C:
		}
	}
}

// probeClient is the HTTP client of readiness probes.
var probeClient = &http.Client{Timeout: 2 * time.Second}

// httpGet fetches url and returns the body when the status is 200.
func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("build request: %w", err)
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, snippet(string(body)))
	}
	return string(body), nil
}

// probeContains returns a readiness check: GET url answers 200 with want in the body.
func probeContains(url, want string) func(context.Context) error {
	return func(ctx context.Context) error {
		body, err := httpGet(ctx, url)
		if err != nil {
			return err
		}
		if !strings.Contains(body, want) {
			return errors.New("GET " + url + ": body lacks " + want)
		}
		return nil
	}
}

// snippet shortens s for error messages.
func snippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
