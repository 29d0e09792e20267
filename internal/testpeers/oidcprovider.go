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
)

// OIDCClient is a client registered with oidc-provider.
type OIDCClient struct {
	ID           string
	Secret       string // empty with AuthMethod "none" for a public client
	RedirectURIs []string
	// GrantTypes defaults to authorization_code and refresh_token.
	GrantTypes []string
	// AuthMethod is token_endpoint_auth_method; default client_secret_basic.
	AuthMethod string
}

// OIDCAccount is one account of oidc-provider, looked up by the login name typed into its
// dev login page (which accepts any password); the login is also the sub. Logins not
// listed still sign in, with email <login>@example.com.
type OIDCAccount struct {
	Login             string
	Email             string
	EmailVerified     bool
	Name              string
	PreferredUsername string
	Groups            []string
}

// OIDCProviderConfig configures StartOIDCProvider. Empty Clients and Accounts take
// provider.mjs's defaults (client vault-rp; accounts alice and bob).
type OIDCProviderConfig struct {
	Clients  []OIDCClient
	Accounts []OIDCAccount
	// ClaimsInIDToken puts email/profile/groups claims into the ID token
	// (conformIdTokenClaims=false). When false they come only from userinfo.
	ClaimsInIDToken bool
}

// OIDCProvider is a running node oidc-provider (tools/oidc-provider/provider.mjs).
type OIDCProvider struct {
	Issuer string // http://127.0.0.1:<port>
	Port   int
}

// StartOIDCProvider starts provider.mjs on a free port and waits for its discovery document.
func StartOIDCProvider(t testing.TB, cfg OIDCProviderConfig) *OIDCProvider {
	t.Helper()
	node := lookPath(t, "node")
	toolPath(t, "node oidc-provider", "oidc-provider/node_modules/oidc-provider/package.json")
	script := toolPath(t, "provider.mjs", "oidc-provider/provider.mjs")
	p := &OIDCProvider{Port: FreePort(t)}
	p.Issuer = "http://127.0.0.1:" + strconv.Itoa(p.Port)
	env, err := cfg.environ(p)
	if err != nil {
		t.Fatalf("testpeers: oidc-provider config: %v", err)
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = filepath.Dir(script)
	proc := startProcess(t, "oidc-provider", cmd)
	proc.waitReady(t, probeContains(p.Issuer+"/.well-known/openid-configuration", `"issuer"`))
	return p
}

// environ renders cfg as provider.mjs's environment variables.
func (cfg OIDCProviderConfig) environ(p *OIDCProvider) ([]string, error) {
	env := []string{"PORT=" + strconv.Itoa(p.Port), "ISSUER=" + p.Issuer}
	if cfg.ClaimsInIDToken {
		env = append(env, "CONFORM_ID_TOKEN_CLAIMS=false")
	}
	if len(cfg.Clients) > 0 {
		clients := make([]map[string]any, 0, len(cfg.Clients))
		for _, c := range cfg.Clients {
			m := map[string]any{
				"client_id":      c.ID,
				"redirect_uris":  c.RedirectURIs,
				"grant_types":    []string{"authorization_code", "refresh_token"},
				"response_types": []string{"code"},
			}
			if c.Secret != "" {
				m["client_secret"] = c.Secret
			}
			if len(c.GrantTypes) > 0 {
				m["grant_types"] = c.GrantTypes
			}
			if c.AuthMethod != "" {
				m["token_endpoint_auth_method"] = c.AuthMethod
			}
			clients = append(clients, m)
		}
		b, err := json.Marshal(clients)
		if err != nil {
			return nil, fmt.Errorf("encode clients: %w", err)
		}
		env = append(env, "CLIENTS="+string(b))
	}
	if len(cfg.Accounts) > 0 {
		accounts := map[string]map[string]any{}
		for _, a := range cfg.Accounts {
			claims := map[string]any{"email": a.Email, "email_verified": a.EmailVerified}
			if a.Name != "" {
				claims["name"] = a.Name
			}
			if a.PreferredUsername != "" {
				claims["preferred_username"] = a.PreferredUsername
			}
			if a.Groups != nil {
				claims["groups"] = a.Groups
			}
			accounts[a.Login] = claims
		}
		b, err := json.Marshal(accounts)
		if err != nil {
			return nil, fmt.Errorf("encode accounts: %w", err)
		}
		env = append(env, "ACCOUNTS="+string(b))
	}
	return env, nil
}

// Login drives oidc-provider's dev login and consent interactions in client (nil makes a
// cookie-keeping one) from authURL, following redirects until one whose URL starts with
// stopPrefix, which it returns without requesting it. The dev login accepts any password.
func (p *OIDCProvider) Login(ctx context.Context, client *http.Client, authURL, login, password,
	stopPrefix string) (*url.URL, error) {
	u, err := oidcLogin(ctx, client, authURL, login, password, stopPrefix)
	if err != nil {
		return nil, fmt.Errorf("oidc-provider login: %w", err)
	}
	return u, nil
}
