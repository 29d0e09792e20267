// Package castellantest starts real `castellan serve` processes for end-to-end tests.
//
// [Build] compiles the castellan binary once per test process. [Start] runs it on a free loopback
// port with its own data folder and the self-signed certificate (or plain HTTP), waits until /alive
// answers, and stops it with SIGTERM when the test ends, printing its log if the test failed.
// Tests then talk to it over HTTPS as the official clients do, trusting [Server.CAFile].
package castellantest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Build compiles castellan once per test process and returns the binary's path.
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "castellan-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "castellan")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/castellan")
		cmd.Dir = ModuleRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// ModuleRoot returns the folder holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("castellantest: go.mod not found")
		}
		dir = parent
	}
}

// Options configure Start.
type Options struct {
	// DatabaseURL is passed as DATABASE_URL; empty means SQLite in the data folder.
	DatabaseURL string
	// DataDir reuses a data folder (to restart on the same data); empty means a new temporary one.
	DataDir string
	// Addr reuses a listen address (to restart where clients already point, with DataDir);
	// empty means a free loopback port.
	Addr string
	// Env adds or overrides environment variables (KEY=VALUE).
	Env []string
	// InsecureHTTP serves plain HTTP.
	InsecureHTTP bool
}

// Server is a running castellan.
type Server struct {
	URL      string // e.g. https://127.0.0.1:34567
	Addr     string
	DataDir  string
	CAFile   string // the self-signed certificate, for NODE_EXTRA_CA_CERTS and Client
	Client   *http.Client
	cmd      *exec.Cmd
	log      *syncBuffer
	done     chan error
	stopOnce sync.Once
}

// Start runs castellan and waits until it answers /alive.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Build(t)
	s := &Server{DataDir: opts.DataDir, log: &syncBuffer{}, done: make(chan error, 1)}
	if s.DataDir == "" {
		s.DataDir = t.TempDir()
	}
	s.Addr = opts.Addr
	if s.Addr == "" {
		s.Addr = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	}
	scheme := "https"
	if opts.InsecureHTTP {
		scheme = "http"
	}
	s.URL = scheme + "://" + s.Addr
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(baseEnv(), "CASTELLAN_ADDR="+s.Addr, "CASTELLAN_DATA_DIR="+s.DataDir,
		"CASTELLAN_LOG_LEVEL=debug")
	if opts.DatabaseURL != "" {
		s.cmd.Env = append(s.cmd.Env, "DATABASE_URL="+opts.DatabaseURL)
	}
	if opts.InsecureHTTP {
		s.cmd.Env = append(s.cmd.Env, "CASTELLAN_INSECURE_HTTP=true")
	}
	s.cmd.Env = append(s.cmd.Env, opts.Env...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start castellan: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("castellan log:\n%s", s.Log())
		}
	})
	s.waitAlive(t, opts.InsecureHTTP)
	return s
}

// baseEnv is the parent environment without castellan settings, so a developer's shell does not leak
// into tests.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CASTELLAN_") || strings.HasPrefix(kv, "DATABASE_URL") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (s *Server) waitAlive(t testing.TB, plain bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-s.done:
			t.Fatalf("castellan exited during start-up (%v):\n%s", err, s.Log())
		case <-ctx.Done():
			t.Fatalf("castellan did not answer /alive in time:\n%s", s.Log())
		case <-tick.C:
		}
		if !plain {
			s.CAFile = filepath.Join(s.DataDir, "tls", "castellan-selfsigned.crt")
			if _, err := os.Stat(s.CAFile); err != nil {
				continue
			}
		}
		s.Client = s.newClient(t, plain)
		resp, err := s.Client.Get(s.URL + "/alive")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
}

func (s *Server) newClient(t testing.TB, plain bool) *http.Client {
	if plain {
		return &http.Client{Timeout: 30 * time.Second}
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatalf("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Stop sends SIGTERM, waits for castellan to exit, and fails the test unless it exited cleanly.
func (s *Server) Stop(t testing.TB) {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("castellan exited with %v after SIGTERM", err)
			}
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			t.Errorf("castellan did not stop within 30s of SIGTERM")
		}
	})
}

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns its error.
func (s *Server) Wait() error { return <-s.done }

// Log returns everything castellan printed so far.
func (s *Server) Log() string { return s.log.String() }

// FreePort returns a TCP port that is free on 127.0.0.1 right now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Run runs the castellan binary with args and env to completion and returns its combined output and
// exit code (for start-up failure tests).
func Run(t testing.TB, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(Build(t), args...)
	cmd.Env = append(baseEnv(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run castellan: %v", err)
	}
	return string(out), code
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
