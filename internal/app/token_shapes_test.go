package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestTokenEndpointErrorShape: everything the token endpoint refuses is answered in the OAuth shape
// ({"error","error_description"}) the clients parse there, also when the refusal comes before the
// endpoint (a declared body over the server's limit, a method other than POST), while the API keeps
// its own error body. Routing only: SQLite is enough.
func TestTokenEndpointErrorShape(t *testing.T) {
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	a, err := app.New(context.Background(), app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.NewFake(time.Now()), DB: db,
		PublicURL: "https://vault.example.com", MaxBodyBytes: 1 << 20, DataDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	form := func(method string, body string, declared int64) *http.Request {
		r := httptest.NewRequest(method, "/identity/connect/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		r.ContentLength = declared
		return r
	}
	big := strings.Repeat("a", 2<<20)
	cases := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"DeclaredTooLarge", form("POST", "grant_type=password", 20<<20), http.StatusRequestEntityTooLarge},
		{"ChunkedTooLarge", form("POST", "grant_type=password&username="+big, -1), http.StatusRequestEntityTooLarge},
		{"Get", form("GET", "", 0), http.StatusMethodNotAllowed},
		{"Put", form("PUT", "grant_type=password", 19), http.StatusMethodNotAllowed},
		{"UnknownGrant", form("POST", "grant_type=nope", 15), http.StatusBadRequest},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, c.req)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != c.status {
			t.Errorf("%s: %d %s, want %d and JSON", c.name, rec.Code, rec.Body, c.status)
			continue
		}
		if body["error"] == nil || body["message"] != nil {
			t.Errorf("%s: not the OAuth shape: %s", c.name, rec.Body)
		}
		if c.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q", c.name, rec.Header().Get("Allow"))
		}
	}

	// The API answers an oversized body in its own shape.
	r := httptest.NewRequest("POST", "/api/ciphers", strings.NewReader("{}"))
	r.ContentLength = 20 << 20
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, r)
	var body map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil || rec.Code != http.StatusRequestEntityTooLarge ||
		body["message"] == nil || body["error"] != nil {
		t.Errorf("API: %d %s", rec.Code, rec.Body)
	}
}
