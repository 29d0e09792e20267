package oidcrp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// discoveryDoc holds the provider metadata fields castellan uses (OpenID Connect Discovery 1.0
// §3 and RFC 9207 §3).
type discoveryDoc struct {
	Issuer           string   `json:"issuer"`
	AuthURL          string   `json:"authorization_endpoint"`
	TokenURL         string   `json:"token_endpoint"`
	UserInfoURL      string   `json:"userinfo_endpoint"`
	JWKSURL          string   `json:"jwks_uri"`
	Algorithms       []string `json:"id_token_signing_alg_values_supported"`
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	IssParameter     bool     `json:"authorization_response_iss_parameter_supported"`
}

// signingAlgs are the ID token algorithms castellan accepts: asymmetric only, never "none" or an
// HMAC (whose key would be the client secret).
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA,
}

// provider is a discovered provider, ready for one organization's flows.
type provider struct {
	issuer       string
	oidc         *oidc.Provider
	keys         keySet
	algs         []string
	issParameter bool
	authStyle    oauth2.AuthStyle
	userInfo     bool
	fetched      time.Time
}

// provider returns the organization's provider from the cache, discovering it when needed.
func (rp *RP) provider(ctx context.Context, cfg Config) (*provider, error) {
	key := cfg.cacheKey()
	if p := rp.cache.get(key, rp.clock.Now()); p != nil {
		return p, nil
	}
	p, err := rp.discover(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rp.cache.put(key, p)
	return p, nil
}

// discover fetches and checks the discovery document within the RP's timeout.
func (rp *RP) discover(ctx context.Context, cfg Config) (*provider, error) {
	ctx, cancel := context.WithTimeout(ctx, rp.timeout)
	defer cancel()
	addr := cfg.MetadataAddress
	if addr == "" {
		addr = strings.TrimSuffix(cfg.Authority, "/") + "/.well-known/openid-configuration"
	}
	doc, err := rp.fetchDiscovery(ctx, addr)
	if err != nil {
		return nil, newError(KindDiscovery, fmt.Errorf("discover %s: %w", addr, err))
	}
	p, err := rp.newProvider(ctx, cfg, doc)
	if err != nil {
		return nil, newError(KindDiscovery, fmt.Errorf("discover %s: %w", addr, err))
	}
	return p, nil
}

func (rp *RP) fetchDiscovery(ctx context.Context, addr string) (*discoveryDoc, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := rp.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &doc, nil
}

var errDiscoveryDoc = errors.New("unusable discovery document")

// newProvider checks the document and builds the go-oidc provider on the RP's client.
func (rp *RP) newProvider(ctx context.Context, cfg Config, d *discoveryDoc) (*provider, error) {
	if cfg.MetadataAddress == "" && !sameIssuer(d.Issuer, cfg.Authority) {
		return nil, fmt.Errorf("%w: issuer %q is not the configured authority", errDiscoveryDoc, d.Issuer)
	}
	for name, u := range map[string]string{"issuer": d.Issuer, "authorization_endpoint": d.AuthURL,
		"token_endpoint": d.TokenURL, "jwks_uri": d.JWKSURL} {
		if err := checkProviderURL(u); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errDiscoveryDoc, name, err)
		}
	}
	if d.UserInfoURL != "" {
		if err := checkProviderURL(d.UserInfoURL); err != nil {
			return nil, fmt.Errorf("%w: userinfo_endpoint: %w", errDiscoveryDoc, err)
		}
	}
	algs, err := acceptedAlgs(d.Algorithms)
	if err != nil {
		return nil, err
	}
	pc := oidc.ProviderConfig{IssuerURL: d.Issuer, AuthURL: d.AuthURL, TokenURL: d.TokenURL,
		UserInfoURL: d.UserInfoURL, JWKSURL: d.JWKSURL, Algorithms: algs}
	return &provider{
		issuer:       d.Issuer,
		oidc:         pc.NewProvider(oidc.ClientContext(ctx, rp.client)),
		keys:         keySet{remote: oidc.NewRemoteKeySet(oidc.ClientContext(ctx, rp.client), d.JWKSURL)},
		algs:         algs,
		issParameter: d.IssParameter,
		authStyle:    authStyle(d.TokenAuthMethods),
		userInfo:     d.UserInfoURL != "",
		fetched:      rp.clock.Now(),
	}, nil
}

// sameIssuer compares the discovered issuer with the configured authority, forgiving one
// trailing slash on either side (a frequent typo), nothing else.
func sameIssuer(issuer, authority string) bool {
	return issuer != "" && strings.TrimSuffix(issuer, "/") == strings.TrimSuffix(authority, "/")
}

// acceptedAlgs keeps the advertised algorithms castellan accepts. A provider that advertises
// none defaults to RS256 (OpenID Connect Discovery §3); one that advertises only others is refused.
func acceptedAlgs(advertised []string) ([]string, error) {
	if len(advertised) == 0 {
		return []string{oidc.RS256}, nil
	}
	var out []string
	for _, a := range advertised {
		if slices.Contains(signingAlgs, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no acceptable id token signing algorithm in %q",
			errDiscoveryDoc, advertised)
	}
	return out, nil
}

// authStyle picks client_secret_basic unless the provider only lists client_secret_post.
// Sending the secret one fixed way avoids oauth2's auto-detection, which retries a refused code
// exchange with the other style.
func authStyle(methods []string) oauth2.AuthStyle {
	if slices.Contains(methods, "client_secret_post") && !slices.Contains(methods, "client_secret_basic") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// keySet is the provider's JSON Web Key Set (fetched on first use and when an unknown key ID
// appears). It remembers why a verification failed in the context's keyFailure, because go-oidc
// passes that reason on as text only, and an unreachable key set is not a bad signature.
type keySet struct{ remote *oidc.RemoteKeySet }

type keyFailure struct{ err error }

type keyFailureKey struct{}

// VerifySignature implements oidc.KeySet.
func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if f, ok := ctx.Value(keyFailureKey{}).(*keyFailure); ok && err != nil {
		f.err = err
	}
	return payload, err
}

// providerCache keeps discovered providers by configuration version for a while.
type providerCache struct {
	mu      sync.Mutex
	size    int
	ttl     time.Duration
	entries map[string]*provider
}

func newProviderCache(size int, ttl time.Duration) *providerCache {
	return &providerCache{size: size, ttl: ttl, entries: make(map[string]*provider)}
}

func (c *providerCache) get(key string, now time.Time) *provider {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.entries[key]
	if p == nil || now.Sub(p.fetched) >= c.ttl || now.Before(p.fetched) {
		delete(c.entries, key)
		return nil
	}
	return p
}

// put stores p, evicting the oldest entry when the cache is full.
func (c *providerCache) put(key string, p *provider) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.size {
		oldest := ""
		for k, e := range c.entries {
			if oldest == "" || e.fetched.Before(c.entries[oldest].fetched) {
				oldest = k
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[key] = p
}
