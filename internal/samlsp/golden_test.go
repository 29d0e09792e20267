package samlsp

import (
	"bytes"
	"crypto/rand"
	"flag"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/secret"
)

var update = flag.Bool("update", false, "rewrite the golden files (and the golden SP keys if missing)")

// goldenKeys are fixed SP keys (test-only) so that the golden documents are byte-stable. They are
// generated once into testdata when missing and -update is given.
func goldenKeys(t *testing.T) KeySet {
	t.Helper()
	path := filepath.Join("testdata", "golden-sp-keys.pem")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && *update {
		old, err := GenerateKeys(rand.Reader, t0.AddDate(-1, 0, 0), "castellan golden sp (previous)")
		if err != nil {
			t.Fatal(err)
		}
		cur, err := GenerateKeys(rand.Reader, t0, "castellan golden sp")
		if err != nil {
			t.Fatal(err)
		}
		text, err := KeySet{Current: old}.Rotate(cur).MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text.Reveal()), 0o600); err != nil {
			t.Fatal(err)
		}
		data = []byte(text.Reveal())
	} else if err != nil {
		t.Fatal(err)
	}
	ks, err := ParseKeySetPEM(secret.String(data))
	if err != nil {
		t.Fatal(err)
	}
	return *ks
}

func goldenSP(t *testing.T, edit func(*Config)) *ServiceProvider {
	t.Helper()
	fixtures(t)
	cfg := testConfig()
	cfg.SpSigningBehavior = SignAlways
	if edit != nil {
		edit(&cfg)
	}
	ep, err := NewEndpoints(testPublicBase, testOrgID, cfg.SpUniqueEntityID)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := New(cfg, goldenKeys(t), ep, Options{ReplayCache: NewMemoryReplayCache(clock.NewFake(t0), 10)})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s",
			name, got, want)
	}
}

// seeded is a deterministic random source for request IDs.
func seeded() *mrand.ChaCha8 {
	return mrand.NewChaCha8([32]byte{'c', 'a', 's', 't', 'e', 'l', 'l', 'a', 'n'})
}

func TestGoldenMetadata(t *testing.T) {
	sp := goldenSP(t, nil)
	md, err := sp.Metadata(t0)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sp-metadata.xml", md)
}

func TestGoldenAuthnRequests(t *testing.T) {
	for _, tt := range []struct {
		name    string
		binding BindingType
	}{{"redirect", BindingRedirect}, {"post", BindingPost}} {
		t.Run(tt.name, func(t *testing.T) {
			sp := goldenSP(t, func(c *Config) { c.IdpBindingType = tt.binding })
			req, err := sp.buildAuthnRequest(seeded(), t0)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "authn-"+tt.name+".xml", append(docBytes(t, req.Element()), '\n'))
			out, err := sp.MakeAuthnRequest(seeded(), t0, "relay-1", "nonce-1")
			if err != nil {
				t.Fatal(err)
			}
			if out.ID != req.ID {
				t.Fatalf("ID %q differs from the request built with the same randomness (%q)", out.ID, req.ID)
			}
			if tt.binding == BindingRedirect {
				golden(t, "authn-redirect-url.txt", []byte(out.RedirectURL+"\n"))
			} else {
				golden(t, "authn-post.html", append(out.PostForm, '\n'))
			}
		})
	}
}
