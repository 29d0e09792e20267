package accounts_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// register/send-verification-email is limited per recipient and per client address, in the
// database's buckets (each engine's SQL), and the limit answers alike for addresses with and
// without an account: the file sender's folder shows what was mailed.
func TestVerificationMailLimit(t *testing.T) {
	t.Parallel()
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			testVerificationMailLimit(t, eng)
		})
	}
}

func testVerificationMailLimit(t *testing.T, eng storagetest.Engine) {
	e, dir := verifyingEnvOn(t, eng)
	send := func(email, from string) *httptest.ResponseRecorder {
		b, _ := json.Marshal(map[string]any{"email": email, "name": "V", "receiveMarketingEmails": false})
		req := httptest.NewRequest(http.MethodPost, "/identity/accounts/register/send-verification-email",
			bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.RemoteAddr = from + ":40000"
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, req)
		return w
	}
	const n = identity.DefaultMailsPerRecipient

	// An address with an account: mails none, but is limited exactly like a new address.
	// It is created through its mailed link, which counts one request for it.
	if w := send("existing@example.com", "192.0.2.50"); w.Code != http.StatusNoContent {
		t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	token, _ := linkToken(t, takeLink(t, dir, "existing@example.com"))
	req := identitytest.FinishRequest(identitytest.NewAccount(t, "existing@example.com", "pw"))
	req["emailVerificationToken"] = token
	if w := e.JSON(http.MethodPost, "/identity/accounts/register/finish", req, ""); w.Code != http.StatusOK {
		t.Fatalf("register: %d %s", w.Code, w.Body)
	}

	for _, email := range []string{"victim@example.com", "existing@example.com"} {
		first := 0
		if email == "existing@example.com" {
			first = 1
		}
		for i := first; i < n; i++ {
			if w := send(email, fmt.Sprintf("198.51.100.%d", i)); w.Code != http.StatusNoContent {
				t.Fatalf("%s request %d: %d %s", email, i+1, w.Code, w.Body)
			}
		}
		w := send(email, "198.51.100.99")
		var body struct{ Message, Object string }
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusTooManyRequests || body.Object != "error" || body.Message == "" ||
			w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s request %d: %d %s (Retry-After %q), want 429 in the error shape", email, n+1, w.Code,
				w.Body, w.Header().Get("Retry-After"))
		}
	}
	if got := mailCount(dir); got != n {
		t.Fatalf("%d mails, want %d (to victim only)", got, n)
	}
	// Another address from the same client is unaffected.
	if w := send("other@example.com", "198.51.100.99"); w.Code != http.StatusNoContent {
		t.Fatalf("another address: %d %s", w.Code, w.Body)
	}
	takeLink(t, dir, "other@example.com")

	// Per client address: one client asking for many addresses is stopped after its maximum.
	const client = "203.0.113.7"
	for i := range identity.DefaultMailsPerClient {
		if w := send(fmt.Sprintf("u%d@example.com", i), client); w.Code != http.StatusNoContent {
			t.Fatalf("client request %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	before := mailCount(dir)
	if w := send("last@example.com", client); w.Code != http.StatusTooManyRequests {
		t.Fatalf("client request %d: %d %s, want 429", identity.DefaultMailsPerClient+1, w.Code, w.Body)
	}
	if mailCount(dir) != before {
		t.Fatal("a refused request mailed")
	}
	if w := send("last@example.com", "203.0.113.8"); w.Code != http.StatusNoContent {
		t.Fatalf("the same address from another client: %d %s", w.Code, w.Body)
	}

	// The window ends: the victim may ask again.
	e.Clock.Advance(identity.DefaultMailWindow + time.Second)
	if w := send("victim@example.com", client); w.Code != http.StatusNoContent {
		t.Fatalf("after the window: %d %s", w.Code, w.Body)
	}
}
