package oidcrp

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
)

// Defaults of Options.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultCacheSize = 256
	DefaultCacheTTL  = time.Hour
	// DefaultFlowLifetime leaves time for a login with a second factor at the provider.
	DefaultFlowLifetime = 10 * time.Minute
	// maxResponseBytes bounds every document read from a provider.
	maxResponseBytes = 1 << 20
)

// Options are the RP's dependencies. Zero values take the defaults named on each field.
type Options struct {
	// HTTPClient talks to the providers; default a new client on http.DefaultTransport. The RP
	// uses a copy whose Timeout is at most Timeout and whose responses are size-limited.
	HTTPClient *http.Client
	// Timeout bounds each request to a provider (discovery, keys, token, userinfo). Default 10 s.
	Timeout time.Duration
	// Clock is used for ID token expiry and the cache; default the wall clock.
	Clock clock.Clock
	// Rand is the source of state, nonce and PKCE verifier; default crypto/rand.Reader. It must be
	// safe for concurrent use.
	Rand io.Reader
	// Logger receives flow outcomes (never claims or secrets); default discards.
	Logger *slog.Logger
	// CacheSize and CacheTTL bound the provider cache. Defaults 256 entries, one hour.
	CacheSize int
	CacheTTL  time.Duration
	// FlowLifetime is how long a started sign-in may take at the provider. Default 10 minutes.
	FlowLifetime time.Duration
}

// RP is a relying party for any number of organizations' providers. It is safe for concurrent use.
type RP struct {
	client       *http.Client
	timeout      time.Duration
	flowLifetime time.Duration
	clock        clock.Clock
	rand         io.Reader
	logger       *slog.Logger
	cache        *providerCache
}

// New returns an RP.
func New(opts Options) *RP {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.FlowLifetime <= 0 {
		opts.FlowLifetime = DefaultFlowLifetime
	}
	return &RP{
		client:       boundedClient(opts.HTTPClient, opts.Timeout),
		timeout:      opts.Timeout,
		flowLifetime: opts.FlowLifetime,
		clock:        opts.Clock,
		rand:         opts.Rand,
		logger:       opts.Logger.With("component", "oidcrp"),
		cache:        newProviderCache(opts.CacheSize, opts.CacheTTL),
	}
}

// boundedClient copies base with a timeout and a response size limit.
func boundedClient(base *http.Client, timeout time.Duration) *http.Client {
	c := http.Client{}
	if base != nil {
		c = *base
	}
	if c.Timeout <= 0 || c.Timeout > timeout {
		c.Timeout = timeout
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = limitTransport{next: rt}
	return &c
}

// limitTransport fails a response body that grows past maxResponseBytes, so that a broken or
// hostile provider cannot make the server read without end.
type limitTransport struct{ next http.RoundTripper }

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxResponseBytes}
	return resp, nil
}

var errResponseTooLarge = errors.New("provider response too large")

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
