package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/testpeers"
)

// variantMailpit is a mailpit started with flags testpeers.StartMailpit does not take
// (--smtp-require-tls, --smtp-auth-file, no STARTTLS at all). Only what these tests need: the
// SMTP port and a count of stored messages.
type variantMailpit struct {
	smtpPort int
	httpURL  string
	caFile   string // the certificate mailpit presents, when it was given one
}

// startVariantMailpit starts mailpit with TLS material when withCert is set and the extra flags.
// A missing binary fails under CI=true and skips otherwise, like testpeers.
func startVariantMailpit(t *testing.T, withCert bool, extra ...string) *variantMailpit {
	t.Helper()
	bin := filepath.Join(testpeers.ToolsDir(t), "bin", "mailpit")
	if _, err := os.Stat(bin); err != nil {
		msg := "mailpit not found (" + bin + "); run scripts/install-test-tools"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	m := &variantMailpit{smtpPort: testpeers.FreePort(t)}
	httpPort := testpeers.FreePort(t)
	m.httpURL = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	args := []string{
		"--listen", "127.0.0.1:" + strconv.Itoa(httpPort), "--smtp", "127.0.0.1:" + strconv.Itoa(m.smtpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns",
	}
	if withCert {
		kp := testpeers.NewKeyPair(t, "127.0.0.1", "127.0.0.1", "localhost")
		cert, key := kp.WriteFiles(t, dir, "smtp")
		m.caFile = cert
		args = append(args, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
	}
	exited := runPeer(t, bin, filepath.Join(dir, "mailpit.log"), append(args, extra...)...)
	m.waitReady(t, exited)
	return m
}

// runPeer starts bin in its own process group, killed with the test binary, stopped at cleanup;
// its log is printed when the test failed. The channel closes when the process exits.
func runPeer(t *testing.T, bin, logPath string, args ...string) <-chan struct{} {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("mailpit log:\n%s", b)
		}
	})
	return done
}

func (m *variantMailpit) waitReady(t *testing.T, exited <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.httpURL+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("mailpit exited before it was ready")
		case <-ctx.Done():
			t.Fatalf("mailpit not ready: %v", err)
		case <-tick.C:
		}
	}
}

// subjectsTo lists the subjects of stored messages to addr.
func (m *variantMailpit) subjectsTo(t *testing.T, addr string) []string {
	t.Helper()
	q := m.httpURL + "/api/v1/search?query=" + url.QueryEscape(fmt.Sprintf("to:%q", addr))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, q, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct {
		Messages []struct{ Subject string } `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.Messages {
		out = append(out, s.Subject)
	}
	return out
}

// waitSubjects polls until a message to addr is stored (mailpit stores after answering DATA).
func (m *variantMailpit) waitSubjects(t *testing.T, addr string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if got := m.subjectsTo(t, addr); len(got) > 0 {
			return got
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
