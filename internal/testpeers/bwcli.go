package testpeers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bwScript is the pinned CLI bundle inside the tools dir.
const bwScript = "bwcli/node_modules/@bitwarden/cli/build/bw.js"

// BWConfig configures a Bitwarden CLI runner.
type BWConfig struct {
	// CAFile is a PEM file of the CA that signed the server's TLS certificate; it becomes
	// NODE_EXTRA_CA_CERTS (the npm CLI talks HTTPS only).
	CAFile string
	// SSO puts an xdg-open shim first on PATH that records the URLs the CLI opens, and
	// leaves BW_NOINTERACTION unset (the CLI ignores --sso in non-interactive mode).
	SSO bool
}

// BW runs the official Bitwarden CLI (node + the pinned bw.js) as one simulated device:
// its own BITWARDENCLI_APPDATA_DIR and HOME, so state never leaks between tests. Every
// run has stdin /dev/null.
type BW struct {
	node, script string
	appData      string
	home         string
	cfg          BWConfig
	urlFile      string // SSO mode: the shim appends one URL per line

	mu      sync.Mutex
	env     map[string]string
	urlSeen int // SSO URLs already handed out
}

// BWCLI returns a CLI runner, applying the missing-tool rule to node and bw.js.
func BWCLI(t testing.TB, cfg BWConfig) *BW {
	t.Helper()
	b := &BW{
		node:    lookPath(t, "node"),
		script:  toolPath(t, "official Bitwarden CLI", bwScript),
		appData: t.TempDir(),
		home:    t.TempDir(),
		cfg:     cfg,
		env:     map[string]string{},
	}
	if cfg.SSO {
		lockSSOPort(t)
		b.urlFile = writeXDGOpenShim(t, filepath.Join(b.home, "bin"))
	}
	return b
}

// BWSSOCallbackPort is the loopback port the CLI always listens on for the SSO callback.
const BWSSOCallbackPort = 8065

// lockSSOPort serializes SSO-mode runners across every test process of the machine (go
// test runs packages in parallel, and the CLI always binds localhost:8065): it takes an
// exclusive flock on a file in the temp dir, held until the test ends.
func lockSSOPort(t testing.TB) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "castellan-bw-sso-8065.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("testpeers: open SSO port lock: %v", err)
	}
	// No deadline of its own: the holder may be a long end-to-end test of another package, and
	// go test's -timeout ends a wait that never finishes.
	ctx := t.Context()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		select {
		case <-ctx.Done():
			f.Close()
			t.Fatalf("testpeers: SSO port lock %s still held by another test: %v", path, ctx.Err())
		case <-tick.C:
		}
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

// writeXDGOpenShim writes dir/xdg-open, which appends its first argument to a file and
// returns at once (the CLI calls it synchronously and serves its callback only after).
func writeXDGOpenShim(t testing.TB, dir string) string {
	t.Helper()
	urlFile := filepath.Join(filepath.Dir(dir), "sso-urls.txt")
	if strings.ContainsAny(urlFile, `'\`) {
		t.Fatalf("testpeers: temp dir %q unusable for the xdg-open shim", urlFile)
	}
	script := "#!/bin/sh\n# xdg-open shim of castellan's tests: record the URL, return at once.\n" +
		"printf '%s\\n' \"$1\" >> '" + urlFile + "'\n"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testpeers: shim dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatalf("testpeers: write xdg-open shim: %v", err)
	}
	return urlFile
}

// AppDataDir returns the CLI's BITWARDENCLI_APPDATA_DIR (data.json lives there).
func (b *BW) AppDataDir() string { return b.appData }

// Setenv sets a variable for every later run, e.g. BW_SESSION after login.
func (b *BW) Setenv(key, value string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.env[key] = value
}

// environ builds the child environment: the test's, minus anything that would point the
// CLI at real state, plus the runner's own settings, the sticky env and extra.
func (b *BW) environ(extra map[string]string) []string {
	drop := func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "BW_") || strings.HasPrefix(k, "BITWARDENCLI_") ||
			strings.HasPrefix(k, "XDG_") || k == "HOME" || k == "NODE_EXTRA_CA_CERTS" ||
			k == "NODE_TLS_REJECT_UNAUTHORIZED" || k == "PATH"
	}
	var env []string
	for _, kv := range os.Environ() {
		if !drop(kv) {
			env = append(env, kv)
		}
	}
	path := os.Getenv("PATH")
	if b.cfg.SSO {
		path = filepath.Join(b.home, "bin") + string(os.PathListSeparator) + path
	}
	set := map[string]string{
		"PATH":                     path,
		"HOME":                     b.home,
		"BITWARDENCLI_APPDATA_DIR": b.appData,
	}
	if b.cfg.CAFile != "" {
		set["NODE_EXTRA_CA_CERTS"] = b.cfg.CAFile
	}
	if !b.cfg.SSO {
		set["BW_NOINTERACTION"] = "true"
	}
	b.mu.Lock()
	for k, v := range b.env {
		set[k] = v
	}
	b.mu.Unlock()
	for k, v := range extra {
		set[k] = v
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+set[k])
	}
	return env
}

// BWProcess is a CLI invocation started with Start.
type BWProcess struct {
	bw             *BW
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// Start runs the CLI with args in the background; the process is killed when ctx ends.
// Use it for `login --sso`, which waits for its callback.
func (b *BW) Start(ctx context.Context, env map[string]string, args ...string) (*BWProcess, error) {
	cmd := exec.CommandContext(ctx, b.node, append([]string{b.script}, args...)...)
	cmd.Env = b.environ(env)
	cmd.Dir = b.home
	cmd.WaitDelay = 5 * time.Second
	p := &BWProcess{bw: b, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr // stdin stays nil: /dev/null
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bw: %w", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Wait waits for the process and returns its output; err is non-nil on a non-zero exit.
func (p *BWProcess) Wait() (stdout, stderr string, err error) {
	<-p.done
	stdout, stderr = p.stdout.String(), p.stderr.String()
	if p.err != nil {
		// Only the command word: later arguments may hold a password.
		cmdWord := ""
		if len(p.cmd.Args) > 2 {
			cmdWord = p.cmd.Args[2]
		}
		return stdout, stderr, fmt.Errorf("bw %s: %w: %s", cmdWord, p.err, snippet(stderr))
	}
	return stdout, stderr, nil
}

// Done is closed when the process has exited.
func (p *BWProcess) Done() <-chan struct{} { return p.done }

// WaitSSOURL is BW.WaitSSOURL that also gives up when this process exits first.
func (p *BWProcess) WaitSSOURL(ctx context.Context) (string, error) {
	return p.bw.waitSSOURL(ctx, p.done)
}

// Run runs the CLI with args and extra env to completion. err is non-nil when the CLI
// exits non-zero (stdout and stderr are returned all the same).
func (b *BW) Run(ctx context.Context, env map[string]string, args ...string) (stdout, stderr string, err error) {
	p, err := b.Start(ctx, env, args...)
	if err != nil {
		return "", "", err
	}
	return p.Wait()
}

// BWResponse is the envelope the CLI prints with --response.
type BWResponse struct {
	Success bool            `json:"success"`
	Message string          `json:"message,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Decode unmarshals Data into v.
func (r *BWResponse) Decode(v any) error {
	if err := json.Unmarshal(r.Data, v); err != nil {
		return fmt.Errorf("decode bw response data: %w", err)
	}
	return nil
}

// BWError is the error of a run whose envelope says success=false.
type BWError struct {
	Args    []string
	Message string // the envelope's message
	Stderr  string
}

func (e *BWError) Error() string {
	cmdWord := ""
	if len(e.Args) > 0 {
		cmdWord = e.Args[0]
	}
	return fmt.Sprintf("bw %s: %s", cmdWord, e.Message)
}

// JSON runs the CLI with args plus --response and parses the envelope. A failure the CLI
// reports returns the envelope and a *BWError; an unparsable answer returns only an error.
func (b *BW) JSON(ctx context.Context, args ...string) (*BWResponse, error) {
	stdout, stderr, runErr := b.Run(ctx, nil, append(args, "--response")...)
	resp, err := parseEnvelope(stdout)
	if err != nil {
		if runErr != nil {
			return nil, runErr
		}
		return nil, fmt.Errorf("bw: %w (stderr: %s)", err, snippet(stderr))
	}
	if !resp.Success {
		return resp, &BWError{Args: args, Message: resp.Message, Stderr: stderr}
	}
	return resp, nil
}

// parseEnvelope reads the --response JSON: the whole output, else its last JSON line.
func parseEnvelope(stdout string) (*BWResponse, error) {
	var resp BWResponse
	trimmed := strings.TrimSpace(stdout)
	if json.Unmarshal([]byte(trimmed), &resp) == nil {
		return &resp, nil
	}
	lines := strings.Split(trimmed, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "{") &&
			json.Unmarshal([]byte(l), &resp) == nil {
			return &resp, nil
		}
	}
	return nil, fmt.Errorf("no --response envelope in output %q", snippet(stdout))
}

// WaitSSOURL returns the next URL the CLI handed to xdg-open (SSO mode only), polling the
// shim's file until ctx ends.
func (b *BW) WaitSSOURL(ctx context.Context) (string, error) {
	return b.waitSSOURL(ctx, nil)
}

func (b *BW) waitSSOURL(ctx context.Context, exited <-chan struct{}) (string, error) {
	if !b.cfg.SSO {
		return "", errors.New("bw: WaitSSOURL needs BWConfig.SSO")
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if u, ok := b.nextSSOURL(); ok {
			return u, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("bw: no SSO URL opened: %w", ctx.Err())
		case <-exited:
			if u, ok := b.nextSSOURL(); ok {
				return u, nil
			}
			return "", errors.New("bw: exited without opening an SSO URL")
		case <-tick.C:
		}
	}
}

// nextSSOURL returns the first complete line of the shim's file not yet handed out.
func (b *BW) nextSSOURL() (string, bool) {
	data, err := os.ReadFile(b.urlFile)
	if err != nil {
		return "", false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		// Only newline-terminated lines are complete.
		if n == b.urlSeen && bytes.Count(data, []byte("\n")) > n {
			b.urlSeen++
			return sc.Text(), true
		}
		n++
	}
	return "", false
}
