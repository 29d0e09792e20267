package testpeers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Mailpit is a running mailpit: an SMTP sink (STARTTLS offered, any AUTH accepted) with an
// HTTP API to read what arrived.
type Mailpit struct {
	SMTPHost string // 127.0.0.1
	SMTPPort int
	HTTPURL  string // base URL of the web UI and API
	// CertPEM is the self-signed certificate mailpit offers on STARTTLS (SAN 127.0.0.1,
	// localhost); CAFile is the same written to a file.
	CertPEM []byte
	CAFile  string
	client  *http.Client
}

// StartMailpit starts mailpit on two free loopback ports and waits for /readyz.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin := toolPath(t, "mailpit", "bin/mailpit")
	dir := t.TempDir()
	kp := NewKeyPair(t, "127.0.0.1", "127.0.0.1", "localhost")
	certFile, keyFile := kp.WriteFiles(t, dir, "smtp")
	m := &Mailpit{
		SMTPHost: "127.0.0.1", SMTPPort: FreePort(t), CertPEM: kp.CertPEM, CAFile: certFile,
		client: &http.Client{Timeout: 10 * time.Second},
	}
	httpPort := FreePort(t)
	m.HTTPURL = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	cmd := exec.Command(bin,
		"--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--smtp", "127.0.0.1:"+strconv.Itoa(m.SMTPPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", // otherwise it calls out to the internet
		"--smtp-disable-rdns",
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile,
	)
	cmd.Env = os.Environ()
	p := startProcess(t, "mailpit", cmd)
	p.waitReady(t, func(ctx context.Context) error {
		_, err := httpGet(ctx, m.HTTPURL+"/readyz")
		return err
	})
	return m
}

// SMTPAddr returns host:port of the SMTP listener.
func (m *Mailpit) SMTPAddr() string {
	return m.SMTPHost + ":" + strconv.Itoa(m.SMTPPort)
}

// MailAddress is a name and address as mailpit reports them.
type MailAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// MailSummary is one entry of the message list.
type MailSummary struct {
	ID      string        `json:"ID"`
	Subject string        `json:"Subject"`
	From    MailAddress   `json:"From"`
	To      []MailAddress `json:"To"`
	Created time.Time     `json:"Created"`
}

// Mail is one whole message.
type Mail struct {
	ID      string        `json:"ID"`
	Subject string        `json:"Subject"`
	From    MailAddress   `json:"From"`
	To      []MailAddress `json:"To"`
	Text    string        `json:"Text"`
	HTML    string        `json:"HTML"`
}

type mailList struct {
	Total    int           `json:"total"`
	Messages []MailSummary `json:"messages"`
}

// Messages lists the stored messages, newest first.
func (m *Mailpit) Messages(ctx context.Context) ([]MailSummary, error) {
	var l mailList
	if err := m.getJSON(ctx, "/api/v1/messages", &l); err != nil {
		return nil, err
	}
	return l.Messages, nil
}

// Message fetches one message with its text and HTML bodies.
func (m *Mailpit) Message(ctx context.Context, id string) (*Mail, error) {
	var mail Mail
	if err := m.getJSON(ctx, "/api/v1/message/"+url.PathEscape(id), &mail); err != nil {
		return nil, err
	}
	return &mail, nil
}

// WaitFor polls until a message to the address `to` exists and returns the newest such
// message; it gives up when ctx ends.
func (m *Mailpit) WaitFor(ctx context.Context, to string) (*Mail, error) {
	q := "/api/v1/search?query=" + url.QueryEscape(fmt.Sprintf("to:%q", to))
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		var l mailList
		if err := m.getJSON(ctx, q, &l); err != nil {
			return nil, err
		}
		if len(l.Messages) > 0 {
			return m.Message(ctx, l.Messages[0].ID)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("mailpit: no message to %s: %w", to, ctx.Err())
		case <-tick.C:
		}
	}
}

// DeleteAll removes every stored message.
func (m *Mailpit) DeleteAll(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, m.HTTPURL+"/api/v1/messages", nil)
	if err != nil {
		return fmt.Errorf("mailpit: build delete: %w", err)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit: delete messages: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("mailpit: delete messages: status %d: %s", resp.StatusCode, snippet(string(b)))
	}
	return nil
}

func (m *Mailpit) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.HTTPURL+path, nil)
	if err != nil {
		return fmt.Errorf("mailpit: build request: %w", err)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("mailpit: read %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit: GET %s: status %d: %s", path, resp.StatusCode, snippet(string(b)))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("mailpit: decode %s: %w", path, err)
	}
	return nil
}
