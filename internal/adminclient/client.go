package adminclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/version"
)

// Options configure New.
type Options struct {
	// Server is castellan's public origin, e.g. https://vault.example.com; the API lives under /api
	// and the identity endpoints under /identity.
	Server string
	// CAFile is a PEM file of certificate authorities to trust instead of the system ones, e.g.
	// castellan's self-signed certificate.
	CAFile string
	// HTTPClient replaces the client New would build (CAFile is then ignored).
	HTTPClient *http.Client
	// DeviceIdentifier is sent with the password grant; empty derives a stable one from the server
	// and the e-mail address (DeviceIdentifier).
	DeviceIdentifier string
	// Rand is the source of keys and IVs; nil means crypto/rand.
	Rand io.Reader
}

// Client talks to one castellan as one administrator. It is not safe for concurrent use.
type Client struct {
	base     *url.URL
	http     *http.Client
	rand     io.Reader
	deviceID string

	token   string
	account *bwcrypto.Account
	profile *Profile
	orgKeys map[string]bwcrypto.SymmetricKey
}

// New checks the options and builds a client. It makes no request.
func New(opts Options) (*Client, error) {
	base, err := parseServer(opts.Server)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, http: opts.HTTPClient, rand: opts.Rand, deviceID: opts.DeviceIdentifier,
		orgKeys: map[string]bwcrypto.SymmetricKey{}}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	if c.http == nil {
		if c.http, err = httpClient(opts.CAFile); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseServer(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("no server URL given")
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("server URL %q: want an origin such as https://vault.example.com", raw)
	}
	return u, nil
}

func httpClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// Server returns the server's origin as the client uses it.
func (c *Client) Server() string { return c.base.String() }

// APIError is a request the server refused. Message is the server's own text, unchanged.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
	// ValidationErrors are the server's per-field messages, if any.
	ValidationErrors map[string][]string
}

// Error returns the server's message with its field messages; the route is left to the caller.
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("the server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	fields := make([]string, 0, len(e.ValidationErrors))
	for f := range e.ValidationErrors {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		msg += fmt.Sprintf(" [%s: %s]", f, strings.Join(e.ValidationErrors[f], " "))
	}
	return msg
}

// errorBody reads the error shapes of both the API (message, validationErrors) and the token
// endpoint (error, error_description, ErrorModel.Message). Field names match case-insensitively.
type errorBody struct {
	Message          string              `json:"message"`
	ValidationErrors map[string][]string `json:"validationErrors"`
	ErrorCode        string              `json:"error"`
	ErrorDescription string              `json:"error_description"`
	ErrorModel       *struct {
		Message string `json:"message"`
	} `json:"errorModel"`
	TwoFactorProviders2 map[string]any `json:"twoFactorProviders2"`
}

func (b errorBody) message() string {
	switch {
	case b.ErrorModel != nil && b.ErrorModel.Message != "":
		return b.ErrorModel.Message
	case b.Message != "":
		return b.Message
	case b.ErrorDescription != "":
		return b.ErrorDescription
	}
	return b.ErrorCode
}

// maxBody bounds what the client reads of one answer (a list of 10,000 members fits easily).
const maxBody = 64 << 20

// call sends a JSON request (body nil: none) and decodes a 2xx JSON answer into out (nil: ignored).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.send(req, out)
}

// send runs req with the client's headers and decodes the answer.
func (c *Client) send(req *http.Request, out any) error {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Device-Type", deviceType())
	req.Header.Set("Bitwarden-Client-Name", "cli")
	req.Header.Set("User-Agent", "castellan-admin/"+version.Version)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, c.explainTransport(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(req, resp, raw)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil // 204 leaves out as it was
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return fmt.Errorf("%s %s: the server sent an empty answer", req.Method, req.URL.Path)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

func apiError(req *http.Request, resp *http.Response, raw []byte) error {
	if resp.StatusCode == http.StatusBadRequest && req.URL.Scheme == "http" && plainToTLS(raw) {
		return fmt.Errorf("%w: %s speaks HTTPS on this port; use https://%s", ErrWrongScheme,
			req.URL.Host, req.URL.Host)
	}
	e := &APIError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var b errorBody
	switch {
	case strings.Contains(mt, "json") && json.Unmarshal(raw, &b) == nil:
		if len(b.TwoFactorProviders2) > 0 {
			return ErrTwoFactorRequired
		}
		e.Message, e.ValidationErrors = b.message(), b.ValidationErrors
	case mt == "text/plain":
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 500 {
			e.Message = e.Message[:500] + "…"
		}
	}
	return e
}

// ErrWrongScheme means the server URL's scheme does not match what the server speaks.
var ErrWrongScheme = errors.New("wrong server URL scheme")

// plainToTLS recognises the answers of TLS servers (Go's, nginx's) to a plain HTTP request.
func plainToTLS(body []byte) bool {
	b := string(body)
	return strings.Contains(b, "HTTP request to an HTTPS server") ||
		strings.Contains(b, "plain HTTP request was sent to HTTPS port")
}

// explainTransport adds what to do to the transport errors a wrong setting causes: https:// to a
// plain HTTP server, or a certificate the system does not trust.
func (c *Client) explainTransport(err error) error {
	var ua x509.UnknownAuthorityError
	switch {
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("%w: %s answers in plain HTTP; use http://%s (only behind a TLS-terminating proxy) "+
			"or point at its HTTPS port", ErrWrongScheme, c.base.Host, c.base.Host)
	case errors.As(err, &ua):
		return fmt.Errorf("%w (for a self-signed or private certificate, pass its CA with --ca-file)", err)
	}
	return err
}

// list is the official list wrapper.
type list[T any] struct {
	Data []T `json:"data"`
}

// getList fetches a list route.
func getList[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var l list[T]
	if err := c.call(ctx, http.MethodGet, path, nil, &l); err != nil {
		return nil, err
	}
	return l.Data, nil
}

// orgPath builds /api/organizations/{orgID}/... with every segment escaped.
func orgPath(orgID string, segments ...string) string {
	p := "/api/organizations/" + url.PathEscape(orgID)
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}
