package identity_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// newEnv wires castellan on a fresh SQLite database with small login limits.
func newEnv(t testing.TB) *identitytest.Env {
	t.Helper()
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	return identitytest.New(t, db, app.AccountSettings{})
}

// decode parses a JSON response body into a map.
func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, w.Body)
	}
	return m
}

// wantBody checks the status and that the body is exactly the JSON want.
func wantBody(t *testing.T, w *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	var got, exp any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %s", w.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Fatalf("body\n got %s\nwant %s", g, e)
	}
}

// count returns the number of rows of a table.
func count(t *testing.T, db *storage.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func authedGet(e *identitytest.Env, path, token string) *httptest.ResponseRecorder {
	return e.Do(http.MethodGet, path, nil, "Authorization", "Bearer "+token)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
