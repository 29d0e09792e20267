package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/config"
)

// logBuffer is a concurrency-safe sink for a JSON slog logger.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testOptions(logs *logBuffer, clk clock.Clock) Options {
	h := slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	return Options{Logger: slog.New(h), Clock: clk}
}

// parsedMail is an .eml read back with the standard library only.
type parsedMail struct {
	header     netmail.Header
	text, html string
}

func parseEML(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v", err)
	}
	pm := parsedMail{header: msg.Header}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			pm.text = string(b)
		case "text/html":
			pm.html = string(b)
		}
	}
	return pm
}

func TestFileSenderWritesParseableEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "mail")
	logs := &logBuffer{}
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	f, err := NewFile(dir, "Castellan <castellan@vault.example.com>", testOptions(logs, clk))
	if err != nil {
		t.Fatal(err)
	}
	d := sampleInvite()
	m, err := InviteMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Millisecond)
	if err := f.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	names := emlFiles(t, dir)
	if len(names) != 2 || !slices.IsSorted(names) || names[0] == names[1] {
		t.Fatalf("files %v", names)
	}
	if !regexp.MustCompile(`^20260301T090000\.000000000Z-[0-9a-f]{16}\.eml$`).MatchString(names[0]) {
		t.Fatalf("file name %q", names[0])
	}
	checkFileMode(t, dir, names[0])
	raw, err := os.ReadFile(filepath.Join(dir, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	pm := parseEML(t, raw)
	checkHeaders(t, pm.header, d)
	links := linkRE.FindAllString(pm.text, -1)
	if len(links) != 1 {
		t.Fatalf("text part links %v", links)
	}
	checkJoinLink(t, links[0], d, false)
	if got := hrefs(pm.html); !equal(got, links) {
		t.Fatalf("HTML part links %v", got)
	}
	checkFileLog(t, logs.String(), filepath.Join(dir, names[0]), m)
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".tmp-") {
			t.Fatalf("unexpected file %q in the mail folder", e.Name())
		}
		names = append(names, e.Name())
	}
	return names
}

func checkFileMode(t *testing.T, dir, name string) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("file mode %v, folder mode %v", fi.Mode().Perm(), di.Mode().Perm())
	}
}

func checkHeaders(t *testing.T, h netmail.Header, d InviteData) {
	t.Helper()
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "Join "+d.OrganizationName {
		t.Errorf("Subject %q (%v)", subject, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != d.Email {
		t.Errorf("To %v (%v)", to, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "castellan@vault.example.com" ||
		from[0].Name != "Castellan" {
		t.Errorf("From %v (%v)", from, err)
	}
	date, err := h.Date()
	if err != nil || !date.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Date %v (%v)", date, err)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@vault\.example\.com>$`).MatchString(h.Get("Message-Id")) {
		t.Errorf("Message-ID %q", h.Get("Message-Id"))
	}
}

// checkFileLog: the line names the file and counts recipients, and carries nothing personal.
func checkFileLog(t *testing.T, logs, path string, m Message) {
	t.Helper()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"msg":"mail written to file"`) {
			line = l
			break
		}
	}
	for _, want := range []string{`"path":"` + path + `"`, `"recipients":1`, `"level":"INFO"`} {
		if !strings.Contains(line, want) {
			t.Fatalf("log line %q lacks %s", line, want)
		}
	}
	checkNoLeak(t, logs, m.To[0], "alice", "accept-organization", "BwOrgUserInviteToken", m.Subject, "Acme")
}

func TestFileSenderRefusesBadMessages(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFile(dir, "castellan@vault.example.com", Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}
	bad := map[string]func(*Message){
		"no recipient":     func(m *Message) { m.To = nil },
		"bad recipient":    func(m *Message) { m.To = []string{"secret-person"} },
		"header injection": func(m *Message) { m.To = []string{"a@example.com\r\nBcc: eve@example.com"} },
		"no subject":       func(m *Message) { m.Subject = " " },
		"no text":          func(m *Message) { m.Text = "" },
	}
	for name, breakIt := range bad {
		m := good
		breakIt(&m)
		err := f.Send(t.Context(), m)
		if !errors.Is(err, ErrInvalidMessage) || strings.Contains(err.Error(), "secret-person") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := f.Send(ctx, good); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written for refused messages: %v", entries)
	}
}

func TestNewFromConfigWithoutSMTPHostWritesFiles(t *testing.T) {
	cfg := loadConfig(t, "CASTELLAN_DATA_DIR="+t.TempDir())
	logs := &logBuffer{}
	s, err := NewFromConfig(&cfg, testOptions(logs, clock.Real{}))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := s.(*FileSender)
	if !ok || f.Dir() != filepath.Join(cfg.DataDir, "mail") {
		t.Fatalf("sender %T %+v", s, s)
	}
	if !strings.Contains(logs.String(), "writing .eml files") {
		t.Fatalf("start-up log: %s", logs.String())
	}
	if err := s.Send(t.Context(), plainMessage("a@example.com")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(f.Dir(), emlFiles(t, f.Dir())[0]))
	if err != nil {
		t.Fatal(err)
	}
	h, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil || h.Header.Get("From") != "<castellan@127.0.0.1>" {
		t.Fatalf("default sender not used:\n%s", raw)
	}
}

// loadConfig builds a validated server configuration the way castellan serve does, from variables.
func loadConfig(t *testing.T, environ ...string) config.Server {
	t.Helper()
	var cfg config.Server
	if err := config.Load(&cfg, nil, environ, "CASTELLAN_"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}
