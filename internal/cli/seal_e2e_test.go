package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/seal"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestSealKey runs castellan on every engine without CASTELLAN_SEAL_KEY (it warns, secrets stay
// plain), then `castellan migrate` with a key (it seals what is stored), then serve with the key
// (it starts), with another key and with none (both refused, naming the variable and printing no
// key).
func TestSealKey(t *testing.T) {
	const keyA = "seal-key-A-Zq3hT8vR2mK9pX4wL7nB1cF6"
	const keyB = "seal-key-B-Zq3hT8vR2mK9pX4wL7nB1cF6"
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dbURL, dataDir := e.Fresh(t), t.TempDir()
			first := castellantest.Start(t, castellantest.Options{DatabaseURL: dbURL, DataDir: dataDir})
			first.Stop(t)
			if !strings.Contains(first.Log(), "stored secrets are not sealed") {
				t.Fatalf("no warning without a seal key:\n%s", first.Log())
			}
			if n := secretRows(t, dbURL, false); n < 3 {
				t.Fatalf("%d plain secrets after a start without a key, want the generated keys", n)
			}

			env := []string{"DATABASE_URL=" + dbURL, "CASTELLAN_DATA_DIR=" + dataDir}
			if out, code := castellantest.Run(t, append(env, "CASTELLAN_SEAL_KEY="+keyA), "migrate"); code != 0 ||
				!strings.Contains(out, "sealed the stored secrets") {
				t.Fatalf("migrate with a key: exit %d\n%s", code, out)
			}
			if n := secretRows(t, dbURL, false); n != 0 {
				t.Fatalf("%d secrets still plain after migrate with a key", n)
			}
			if n := secretRows(t, dbURL, true); n < 3 {
				t.Fatalf("%d secrets sealed after migrate with a key", n)
			}

			second := castellantest.Start(t, castellantest.Options{DatabaseURL: dbURL, DataDir: dataDir,
				Env: []string{"CASTELLAN_SEAL_KEY=" + keyA}})
			checkAlive(t, second)
			second.Stop(t)
			log := second.Log()
			if strings.Contains(log, "not sealed") || !strings.Contains(log, "secrets_sealed=true") {
				t.Fatalf("start with the key:\n%s", second.Log())
			}

			for _, c := range []struct{ key, want string }{
				{keyB, "castellan: CASTELLAN_SEAL_KEY: this is not the key"},
				{"", "castellan: CASTELLAN_SEAL_KEY: the database's secrets are sealed"},
				{"too-short", "castellan: CASTELLAN_SEAL_KEY: must be at least 32 characters"},
			} {
				runEnv := append(env, "CASTELLAN_ADDR=127.0.0.1:"+itoa(castellantest.FreePort(t)))
				if c.key != "" {
					runEnv = append(runEnv, "CASTELLAN_SEAL_KEY="+c.key)
				}
				out, code := castellantest.Run(t, runEnv, "serve")
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if code == 0 || !strings.HasPrefix(lines[len(lines)-1], c.want) {
					t.Fatalf("serve with key %q: exit %d, want a last line %q:\n%s", c.key, code, c.want, out)
				}
				if strings.Contains(out, keyA) || strings.Contains(out, keyB) ||
					strings.Contains(out, "too-short") {
					t.Fatalf("a key was printed:\n%s", out)
				}
			}
		})
	}
}

// secretRows counts the secrets stored sealed (sealed true) or in plain text: secret settings and
// token-signing private keys.
func secretRows(t *testing.T, dbURL string, sealed bool) int {
	t.Helper()
	target, err := storage.ParseURL(dbURL, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), target, storage.OpenOptions{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT name, value FROM settings
		UNION ALL SELECT 'signing_keys', private_key FROM signing_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			t.Fatal(err)
		}
		if (name == "signing_keys" || settings.IsSecret(name)) && seal.IsSealed(value) == sealed {
			n++
		}
	}
	return n
}
