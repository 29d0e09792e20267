package testpeers

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// modulePath is the main module's path, used to recognise the repository root.
const modulePath = "github.com/castellan-vault/castellan"

// installHint is what every missing-tool message tells the reader to do.
const installHint = "run scripts/install-test-tools"

// ToolsDir returns the directory scripts/install-test-tools fills: $CASTELLAN_TOOLS_DIR
// when set, otherwise <repo>/.tools where <repo> is found by walking up to castellan's go.mod.
func ToolsDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("CASTELLAN_TOOLS_DIR"); dir != "" {
		return dir
	}
	root, err := repoRoot()
	if err != nil {
		missing(t, "castellan repository root", err.Error())
	}
	return filepath.Join(root, ".tools")
}

// repoRoot walks up from the working directory to the directory whose go.mod declares
// castellan's module path.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("get working directory: %w", err)
	}
	for {
		if isMainModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func isMainModule(goMod string) bool {
	f, err := os.Open(goMod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.TrimSpace(rest) == modulePath
		}
	}
	return false
}

// toolPath returns <tools>/<rel> and applies the missing-tool rule when it does not exist.
func toolPath(t testing.TB, what, rel string) string {
	t.Helper()
	p := filepath.Join(ToolsDir(t), rel)
	if _, err := os.Stat(p); err != nil {
		missing(t, what, p)
	}
	return p
}

// systemPath returns an absolute path of a program installed on the machine (Debian
// packages) and applies the missing-tool rule when it does not exist.
func systemPath(t testing.TB, what, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, what, path)
	}
	return path
}

// lookPath finds a program on PATH and applies the missing-tool rule when it is absent.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name, "not on PATH")
	}
	return p
}

// missing fails the test under CI=true (a CI machine must have every tool) and skips it
// otherwise, saying what is missing and how to install it.
func missing(t testing.TB, what, where string) {
	t.Helper()
	msg := fmt.Sprintf("testpeers: %s not found (%s); %s", what, where, installHint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Chromium returns the path of Debian's chromium for browser tests, applying the
// missing-tool rule when it is not installed.
func Chromium(t testing.TB) string {
	t.Helper()
	return systemPath(t, "chromium", "/usr/bin/chromium")
}

// portsGiven holds every port FreePort returned in this test binary, so that two calls
// (one peer's HTTP and telemetry ports, say) never return the same port.
var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and that this test
// binary has not handed out before. The port is released before returning, so another
// process may take it first; peers that fail to bind show that in their log.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testpeers: find a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		portsMu.Lock()
		fresh := !portsGiven[port]
		portsGiven[port] = true
		portsMu.Unlock()
		if fresh {
			return port
		}
	}
	t.Fatal("testpeers: no fresh free port after 100 tries")
	return 0
}
