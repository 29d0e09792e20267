package testpeers

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
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// DexClient is a static OAuth2 client of Dex.
type DexClient struct {
	ID           string
	Secret       string
	Name         string
	RedirectURIs []string
	Public       bool // no secret; PKCE
}

// DexUser is a static password user of Dex. The login name is Email.
type DexUser struct {
	Email             string
	Password          string
	Username          string
	UserID            string // stable ID; Dex's sub encodes it with the connector ID
	Name              string
	PreferredUsername string
	Groups            []string
}

// DexConfig configures StartDex. Empty Clients and Users take DefaultDexClients(nil) and
// DefaultDexUsers().
type DexConfig struct {
	Clients []DexClient
	Users   []DexUser
}

// DefaultDexClients returns the client vault-rp / vault-rp-secret with redirectURIs.
func DefaultDexClients(redirectURIs ...string) []DexClient {
	return []DexClient{{ID: "vault-rp", Secret: "vault-rp-secret", Name: "Vault RP under test",
		RedirectURIs: redirectURIs}}
}

// DefaultDexUsers returns alice@example.com / alicepass (groups engineering, vault-admins)
// and bob@example.com / bobpass (group sales).
func DefaultDexUsers() []DexUser {
	return []DexUser{
		{Email: "alice@example.com", Password: "alicepass", Username: "alice", Name: "Alice Example",
			UserID: "11111111-1111-1111-1111-111111111111", PreferredUsername: "alice",
			Groups: []string{"engineering", "vault-admins"}},
		{Email: "bob@example.com", Password: "bobpass", Username: "bob", Name: "Bob Example",
			UserID: "22222222-2222-2222-2222-222222222222", PreferredUsername: "bob",
			Groups: []string{"sales"}},
	}
}

// Dex is a running Dex with memory storage, the local password connector and the
// password grant enabled.
type Dex struct {
	Issuer  string // http://127.0.0.1:<port>/dex
	Port    int
	Clients []DexClient
	Users   []DexUser
}

// StartDex writes a config for cfg, starts Dex and waits until it serves a signing key.
func StartDex(t testing.TB, cfg DexConfig) *Dex {
	t.Helper()
	bin := toolPath(t, "Dex", "bin/dex")
	if len(cfg.Clients) == 0 {
		cfg.Clients = DefaultDexClients()
	}
	if len(cfg.Users) == 0 {
		cfg.Users = DefaultDexUsers()
	}
	d := &Dex{Port: FreePort(t), Clients: cfg.Clients, Users: cfg.Users}
	d.Issuer = "http://127.0.0.1:" + strconv.Itoa(d.Port) + "/dex"
	telemetry := "127.0.0.1:" + strconv.Itoa(FreePort(t))
	conf, err := d.config(telemetry)
	if err != nil {
		t.Fatalf("testpeers: dex config: %v", err)
	}
	path := filepath.Join(t.TempDir(), "dex.yaml")
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatalf("testpeers: write dex config: %v", err)
	}
	cmd := exec.Command(bin, "serve", path)
	cmd.Env = os.Environ()
	p := startProcess(t, "dex", cmd)
	// Discovery answers a moment before the first signing key exists: wait for /keys.
	ready := probeContains("http://"+telemetry+"/healthz/ready", "")
	keys := probeContains(d.Issuer+"/keys", `"kid"`)
	p.waitReady(t, func(ctx context.Context) error {
		if err := ready(ctx); err != nil {
			return err
		}
		return keys(ctx)
	})
	return d
}

// config renders Dex's configuration; JSON is valid YAML, which Dex reads.
func (d *Dex) config(telemetry string) ([]byte, error) {
	type staticClient struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret,omitempty"`
		Name         string   `json:"name"`
		RedirectURIs []string `json:"redirectURIs"`
		Public       bool     `json:"public,omitempty"`
	}
	type staticPassword struct {
		Email             string   `json:"email"`
		Hash              string   `json:"hash"`
		Username          string   `json:"username"`
		UserID            string   `json:"userID"`
		Name              string   `json:"name,omitempty"`
		PreferredUsername string   `json:"preferredUsername,omitempty"`
		EmailVerified     bool     `json:"emailVerified"`
		Groups            []string `json:"groups,omitempty"`
	}
	clients := make([]staticClient, 0, len(d.Clients))
	for _, c := range d.Clients {
		name := c.Name
		if name == "" {
			name = c.ID
		}
		clients = append(clients, staticClient{ID: c.ID, Secret: c.Secret, Name: name,
			RedirectURIs: c.RedirectURIs, Public: c.Public})
	}
	users := make([]staticPassword, 0, len(d.Users))
	for i, u := range d.Users {
		// Dex refuses hashes below bcrypt's default cost.
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("hash password of %s: %w", u.Email, err)
		}
		id := u.UserID
		if id == "" {
			id = fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1)
		}
		users = append(users, staticPassword{Email: u.Email, Hash: string(hash), Username: u.Username,
			UserID: id, Name: u.Name, PreferredUsername: u.PreferredUsername, EmailVerified: true,
			Groups: u.Groups})
	}
	conf := map[string]any{
		"issuer":    d.Issuer,
		"storage":   map[string]any{"type": "memory"},
		"web":       map[string]any{"http": "127.0.0.1:" + strconv.Itoa(d.Port)},
		"telemetry": map[string]any{"http": telemetry},
		"logger":    map[string]any{"level": "debug"},
		"oauth2": map[string]any{
			"skipApprovalScreen": true,
			"passwordConnector":  "local",
			"grantTypes":         []string{"authorization_code", "refresh_token", "password"},
		},
		"staticClients":    clients,
		"enablePasswordDB": true,
		"staticPasswords":  users,
	}
	return json.MarshalIndent(conf, "", "  ")
}

// Login drives Dex's login form in client (a cookie-keeping client; nil makes one) from
// authURL (the RP's /dex/auth?... URL) and follows redirects until one whose URL starts with
// stopPrefix, typically the RP's redirect URI, which it returns without requesting it.
func (d *Dex) Login(ctx context.Context, client *http.Client, authURL, email, password,
	stopPrefix string) (*url.URL, error) {
	u, err := oidcLogin(ctx, client, authURL, email, password, stopPrefix)
	if err != nil {
		return nil, fmt.Errorf("dex login: %w", err)
	}
	return u, nil
}
