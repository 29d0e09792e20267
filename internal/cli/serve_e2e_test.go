package cli_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestServeOnEveryEngine starts `castellan serve` on SQLite, PostgreSQL and MariaDB, checks /alive
// over TLS, restarts it on the same data and checks that the instance and its certificate survived.
func TestServeOnEveryEngine(t *testing.T) {
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dbURL := e.Fresh(t)
			dataDir := t.TempDir()
			first := castellantest.Start(t, castellantest.Options{DatabaseURL: dbURL, DataDir: dataDir})
			checkAlive(t, first)
			id1 := instanceID(t, first.Log())
			cert1, _ := os.ReadFile(first.CAFile)
			first.Stop(t)
			if !strings.Contains(first.Log(), "castellan stopped") {
				t.Fatalf("no final line after SIGTERM:\n%s", first.Log())
			}

			second := castellantest.Start(t, castellantest.Options{DatabaseURL: dbURL, DataDir: dataDir})
			checkAlive(t, second)
			if id2 := instanceID(t, second.Log()); id2 != id1 {
				t.Fatalf("instance id changed across restart: %s then %s", id1, id2)
			}
			cert2, _ := os.ReadFile(second.CAFile)
			if string(cert1) != string(cert2) {
				t.Fatal("the self-signed certificate was made again on restart")
			}
			if !strings.Contains(second.Log(), "using the self-signed certificate") {
				t.Fatalf("restart log does not say it reused the certificate:\n%s", second.Log())
			}
		})
	}
}

func checkAlive(t *testing.T, s *castellantest.Server) {
	t.Helper()
	for _, p := range []string{"/alive", "/api/alive", "/identity/alive"} {
		resp, err := s.Client.Get(s.URL + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		var ts string
		err = json.NewDecoder(resp.Body).Decode(&ts)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("GET %s: status %d, decode err %v", p, resp.StatusCode, err)
		}
		when, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || time.Since(when).Abs() > time.Minute {
			t.Fatalf("GET %s: server time %q is not now (%v)", p, ts, err)
		}
	}
}

var instanceRE = regexp.MustCompile(`instance_id=([0-9a-f-]{36})`)

func instanceID(t *testing.T, log string) string {
	t.Helper()
	m := instanceRE.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no instance_id in the log:\n%s", log)
	}
	return m[1]
}

// TestNewerSchemaIsRefused migrates a database, then records a version from a newer castellan:
// both serve and migrate must refuse it with a clear message and a non-zero exit.
func TestNewerSchemaIsRefused(t *testing.T) {
	dataDir := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(dataDir, "castellan.db")
	out, code := castellantest.Run(t, []string{"DATABASE_URL=" + dbURL, "CASTELLAN_DATA_DIR=" + dataDir}, "migrate")
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	target, _ := storage.ParseURL(dbURL, dataDir)
	db, err := storage.Open(context.Background(), target, storage.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	storagetest.MustExec(t, db, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`, st.Latest+1, true)
	_ = db.Close()

	env := []string{"DATABASE_URL=" + dbURL, "CASTELLAN_DATA_DIR=" + dataDir,
		"CASTELLAN_ADDR=127.0.0.1:" + itoa(castellantest.FreePort(t))}
	for _, args := range [][]string{{"serve"}, {"migrate"}} {
		out, code := castellantest.Run(t, env, args...)
		if code == 0 || !strings.Contains(out, "newer than this castellan") {
			t.Fatalf("%v on a newer schema: exit %d\n%s", args, code, out)
		}
	}
}

// TestStartupFailures covers the bad inputs of start-up: each ends with one clear line naming the
// setting, a non-zero exit, no secret in the output, and nothing created.
func TestStartupFailures(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	_ = os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	secretFile := filepath.Join(t.TempDir(), "dburl")
	_ = os.WriteFile(secretFile, []byte("postgres://u:pw-in-file@127.0.0.1:1/x\n"), 0o600)
	emptyFile := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(emptyFile, []byte("\n"), 0o600)

	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"unsupported scheme", []string{"DATABASE_URL=oracle://scott:tiger-pw@db/x"}, "DATABASE_URL: unsupported scheme"},
		{"unreachable postgres", []string{"DATABASE_URL=postgres://u:s3cret-pw@127.0.0.1:1/x?connect_timeout=2"}, "DATABASE_URL: connect to postgres 127.0.0.1:1/x"},
		{"unreachable postgres from file", []string{"DATABASE_URL_FILE=" + secretFile}, "DATABASE_URL: connect to postgres"},
		{"unreachable mysql", []string{"DATABASE_URL=mysql://root:s3cret-pw@127.0.0.1:1/x"}, "DATABASE_URL: connect to mysql"},
		{"unreadable certificate", []string{"CASTELLAN_TLS_CERT=" + garbage, "CASTELLAN_TLS_KEY=" + garbage}, "CASTELLAN_TLS_CERT: load certificate"},
		{"cert without key", []string{"CASTELLAN_TLS_CERT=" + garbage}, "CASTELLAN_TLS_CERT: CASTELLAN_TLS_CERT and CASTELLAN_TLS_KEY go together"},
		{"port in use", []string{"CASTELLAN_ADDR=" + busy.Addr().String()}, "CASTELLAN_ADDR: listen on " + busy.Addr().String()},
		{"bad address", []string{"CASTELLAN_ADDR=nonsense"}, "CASTELLAN_ADDR: want host:port"},
		{"unknown variable", []string{"CASTELLAN_DATABSE_URL=x"}, "CASTELLAN_DATABSE_URL: unknown setting"},
		{"bad duration", []string{"CASTELLAN_SHUTDOWN_TIMEOUT=soon"}, "CASTELLAN_SHUTDOWN_TIMEOUT: invalid value"},
		{"bad log level", []string{"CASTELLAN_LOG_LEVEL=chatty"}, "CASTELLAN_LOG_LEVEL: unknown level"},
		{"public url with path query", []string{"CASTELLAN_PUBLIC_URL=ftp://x"}, "CASTELLAN_PUBLIC_URL: want an origin"},
		{"empty secret file", []string{"DATABASE_URL_FILE=" + emptyFile}, "DATABASE_URL_FILE: the file is empty"},
		{"empty secret", []string{"DATABASE_URL="}, "DATABASE_URL: is set but empty"},
		{"secret twice", []string{"DATABASE_URL=sqlite:///tmp/x.db", "DATABASE_URL_FILE=" + secretFile}, "DATABASE_URL_FILE: set either"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			env := append([]string{"CASTELLAN_DATA_DIR=" + dataDir,
				"CASTELLAN_ADDR=127.0.0.1:" + itoa(castellantest.FreePort(t))}, c.env...)
			out, code := castellantest.Run(t, env, "serve")
			if code == 0 {
				t.Fatalf("exit 0, want failure; output:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			if len(lines) != 1 || !strings.HasPrefix(last, "castellan: "+c.want) {
				t.Fatalf("want one line starting %q, got:\n%s", "castellan: "+c.want, out)
			}
			for _, leak := range []string{"s3cret-pw", "tiger-pw", "pw-in-file"} {
				if strings.Contains(out, leak) {
					t.Fatalf("output leaks a secret: %s", out)
				}
			}
			if _, err := os.Stat(filepath.Join(dataDir, "tls")); err == nil {
				t.Fatalf("a failed start left a certificate behind")
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
