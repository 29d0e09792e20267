package accounts_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// verifyingEnv wires castellan with e-mail verification on, delivering through the real file
// sender into a folder the test reads.
func verifyingEnv(t *testing.T) (*identitytest.Env, string) {
	t.Helper()
	return verifyingEnvOn(t, storagetest.Engines()[0])
}

// verifyingEnvOn is verifyingEnv on a fresh database of engine eng.
func verifyingEnvOn(t *testing.T, eng storagetest.Engine) (*identitytest.Env, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mail")
	clk := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	sender, err := mail.NewFile(dir, "vault@example.test", mail.Options{Logger: logger, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	db := storagetest.OpenFresh(t, eng)
	a, err := app.New(context.Background(), app.Deps{Logger: logger, Clock: clk, DB: db,
		PublicURL: identitytest.PublicURL, MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), Mail: sender,
		Accounts: app.AccountSettings{VerifyEmail: true}})
	if err != nil {
		t.Fatal(err)
	}
	return &identitytest.Env{App: a, Handler: a.Handler(), Clock: clk, DB: db}, dir
}

// takeLink returns the verification link of the one message in dir to email, and removes the
// message. The fake clock gives every file the same time, so messages are told apart by recipient.
func takeLink(t *testing.T, dir, email string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	link := regexp.MustCompile(`https://\S+/redirect-connector\.html#finish-signup\?\S+fromEmail=true`)
	var found []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if text, to := emlText(t, raw); strings.Contains(to, email) {
			found = append(found, link.FindString(text))
			_ = os.Remove(f)
		}
	}
	if len(found) != 1 || found[0] == "" {
		t.Fatalf("verification links to %s: %q, want one", email, found)
	}
	return found[0]
}

// mailCount counts the messages in dir.
func mailCount(dir string) int {
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	return len(files)
}

// emlText reads the text part and the recipient of an .eml with the standard library.
func emlText(t *testing.T, raw []byte) (string, string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if !strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			continue
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), msg.Header.Get("To")
	}
}

// linkToken reads the token and address out of a verification link.
func linkToken(t *testing.T, link string) (string, string) {
	t.Helper()
	_, frag, _ := strings.Cut(link, "#finish-signup?")
	q, err := url.ParseQuery(frag)
	if err != nil || q.Get("token") == "" || q.Get("fromEmail") != "true" {
		t.Fatalf("link %q: %v", link, err)
	}
	return q.Get("token"), q.Get("email")
}

func TestRegistrationVerifiesEmail(t *testing.T) {
	e, dir := verifyingEnv(t)
	send := func(email string) *testResponse {
		w := e.JSON(http.MethodPost, "/identity/accounts/register/send-verification-email",
			map[string]any{"email": email, "name": "Ada Lovelace", "receiveMarketingEmails": false}, "")
		return &testResponse{w.Code, w.Body.String()}
	}
	if r := send("Ada@Example.com"); r.code != http.StatusNoContent || r.body != "" {
		t.Fatalf("send-verification-email: %d %q, want 204 without the token", r.code, r.body)
	}
	link := takeLink(t, dir, "ada@example.com")
	token, email := linkToken(t, link)
	if email != "ada@example.com" || !strings.HasPrefix(link, identitytest.PublicURL+"/") {
		t.Fatalf("link %s", link)
	}

	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	finish := func(token string) *testResponse {
		req := identitytest.FinishRequest(a)
		delete(req, "name") // the name comes from the token
		if token != "" {
			req["emailVerificationToken"] = token
		}
		w := e.JSON(http.MethodPost, "/identity/accounts/register/finish", req, "")
		return &testResponse{w.Code, w.Body.String()}
	}
	// Without a token, with a token that was not mailed, or with a forged one: refused, nothing stored.
	unmailed := tokenWithoutVerification(t, e, "ada@example.com")
	for name, tok := range map[string]string{"none": "", "unmailed": unmailed, "forged": token + "x",
		"other address": otherAddressToken(t, e, dir)} {
		if r := finish(tok); r.code != http.StatusBadRequest || !strings.Contains(r.body, "EmailVerificationToken") {
			t.Errorf("finish with %s token: %d %s", name, r.code, r.body)
		}
	}
	w := e.JSON(http.MethodPost, "/identity/accounts/register", legacyRequest(a), "")
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "verifies e-mail addresses") {
		t.Errorf("legacy register without verification: %d %s", w.Code, w.Body)
	}
	if n := users(t, e); n != 0 {
		t.Fatalf("users = %d after refusals, want 0", n)
	}

	// The expired link is refused; a fresh one works, and the account is verified, with the name.
	e.Clock.Advance(25 * time.Hour)
	if r := finish(token); r.code != http.StatusBadRequest {
		t.Fatalf("expired token: %d %s", r.code, r.body)
	}
	send("ada@example.com")
	token, _ = linkToken(t, takeLink(t, dir, "ada@example.com"))
	if r := finish(token); r.code != http.StatusOK {
		t.Fatalf("finish with the mailed token: %d %s", r.code, r.body)
	}
	tok := e.Login(t, a)
	p := body(t, e.JSON(http.MethodGet, "/api/accounts/profile", nil, tok.AccessToken))
	if p["emailVerified"] != true || p["name"] != "Ada Lovelace" {
		t.Fatalf("profile emailVerified %v name %v", p["emailVerified"], p["name"])
	}

	// An address with an account gets the same answer and no mail.
	before := mailCount(dir)
	if r := send("ada@example.com"); r.code != http.StatusNoContent {
		t.Fatalf("send for an existing account: %d %s", r.code, r.body)
	}
	if n := mailCount(dir) - before; n != 0 {
		t.Fatalf("mailed %d messages for an existing account", n)
	}
}

type testResponse struct {
	code int
	body string
}

// tokenWithoutVerification gets a token from a castellan without e-mail verification on the same
// database, so signed with the same key: it proves nothing and must not pass where verification is on.
func tokenWithoutVerification(t *testing.T, verifying *identitytest.Env, email string) string {
	t.Helper()
	e := identitytest.New(t, verifying.DB, app.AccountSettings{})
	w := e.JSON(http.MethodPost, "/identity/accounts/register/send-verification-email",
		map[string]any{"email": email, "name": "Ada"}, "")
	var token string
	if w.Code != http.StatusOK || len(w.Body.String()) < 3 {
		t.Fatalf("send-verification-email without verification: %d %s", w.Code, w.Body)
	}
	token = strings.Trim(w.Body.String(), "\"\n")
	return token
}

// otherAddressToken is a token mailed to another address.
func otherAddressToken(t *testing.T, e *identitytest.Env, dir string) string {
	t.Helper()
	e.JSON(http.MethodPost, "/identity/accounts/register/send-verification-email",
		map[string]any{"email": "eve@example.com", "name": "Eve"}, "")
	token, _ := linkToken(t, takeLink(t, dir, "eve@example.com"))
	return token
}
