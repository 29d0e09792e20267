package httpx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/httpx"
)

type body struct {
	Message          string              `json:"message"`
	ValidationErrors map[string][]string `json:"validationErrors"`
	Object           string              `json:"object"`
}

func stack(t *testing.T, logs *bytes.Buffer, h httpx.Handler) http.Handler {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return httpx.Chain(httpx.Handle(logger, h),
		httpx.RequestID(), httpx.AccessLog(logger, time.Now), httpx.Recover(logger), httpx.LimitBody(1024))
}

func decodeInto(w http.ResponseWriter, r *http.Request) error {
	var v struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	if err := httpx.DecodeJSON(r, &v); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func TestBadRequestsGetJSONErrors(t *testing.T) {
	cases := []struct {
		name, ct, body string
		status         int
		message        string
	}{
		{"malformed", "application/json", `{"name":`, 400, "The request body is not valid JSON."},
		{"empty", "application/json", ``, 400, "The request body is empty."},
		{"two values", "application/json", `{} {}`, 400, "The request body must hold one JSON value."},
		{"wrong type", "application/json", `{"n":"x"}`, 400, "The model state is invalid."},
		{"not json", "text/plain", `hello`, 415, "The request body must be JSON."},
		{"oversized", "application/json", `{"name":"` + strings.Repeat("a", 2048) + `"}`, 413, "The request body is too large."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := stack(t, &logs, decodeInto)
			req := httptest.NewRequest("POST", "/api/x", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ct)
			if c.name == "oversized" {
				req.ContentLength = -1 // a chunked body: the limit must bite while reading
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var b body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatalf("body is not JSON: %q", rec.Body.String())
			}
			if rec.Code != c.status || b.Message != c.message || b.Object != "error" {
				t.Fatalf("got %d %+v, want %d %q", rec.Code, b, c.status, c.message)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestDeclaredOversizedBodyIsRefusedUpfront(t *testing.T) {
	var logs bytes.Buffer
	called := false
	h := stack(t, &logs, func(w http.ResponseWriter, r *http.Request) error { called = true; return nil })
	req := httptest.NewRequest("POST", "/api/x", strings.NewReader(strings.Repeat("a", 4096)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 413 || called {
		t.Fatalf("status %d, handler called %v", rec.Code, called)
	}
}

func TestPanicBecomesJSON500AndIsLogged(t *testing.T) {
	var logs bytes.Buffer
	h := stack(t, &logs, func(http.ResponseWriter, *http.Request) error { panic("kaboom") })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
	var b body
	_ = json.Unmarshal(rec.Body.Bytes(), &b)
	if rec.Code != 500 || b.Message != "An error has occurred." {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "stack") {
		t.Fatalf("the cause was not logged: %s", logs.String())
	}
}

func TestInternalErrorTextStaysInTheLog(t *testing.T) {
	var logs bytes.Buffer
	h := stack(t, &logs, func(http.ResponseWriter, *http.Request) error {
		return &httpx.Error{Status: 500, Message: "x", Cause: errString("dsn postgres://u:pw@h/db failed")}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
	if strings.Contains(rec.Body.String(), "pw@") {
		t.Fatalf("internal cause reached the client: %s", rec.Body.String())
	}
	h = stack(t, &logs, func(http.ResponseWriter, *http.Request) error { return errString("raw driver error") })
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "raw driver error") {
		t.Fatalf("plain error rendered as %d %s", rec.Code, rec.Body.String())
	}
}

func TestAccessLogHasRequestIDAndNoQueryOrHeaders(t *testing.T) {
	var logs bytes.Buffer
	h := stack(t, &logs, func(w http.ResponseWriter, r *http.Request) error { return nil })
	req := httptest.NewRequest("GET", "/identity/connect/authorize?code=SECRETCODE&ssoToken=SECRETTOKEN", nil)
	req.Header.Set("Authorization", "Bearer SECRETBEARER")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := logs.String()
	for _, s := range []string{"SECRETCODE", "SECRETTOKEN", "SECRETBEARER"} {
		if strings.Contains(out, s) {
			t.Fatalf("access log leaks %s: %s", s, out)
		}
	}
	id := rec.Header().Get("X-Request-Id")
	if id == "" || !strings.Contains(out, `"request_id":"`+id+`"`) || !strings.Contains(out, `"path":"/identity/connect/authorize"`) {
		t.Fatalf("request id %q / path missing from log: %s", id, out)
	}
}

func TestRequestIDFromProxyIsKeptOnlyWhenPlain(t *testing.T) {
	var logs bytes.Buffer
	h := stack(t, &logs, func(http.ResponseWriter, *http.Request) error { return nil })
	for in, keep := range map[string]bool{"abc-123": true, "bad id\nforged=1": false, strings.Repeat("a", 65): false} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", in)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("X-Request-Id"); (got == in) != keep {
			t.Errorf("X-Request-Id %q -> %q, keep=%v", in, got, keep)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
