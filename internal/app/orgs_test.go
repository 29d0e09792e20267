package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestOrganizationRoutesMount builds the whole application (every concern's routes on one mux,
// which panics on a conflicting pattern) and checks that organization routes answer and require a
// caller.
func TestOrganizationRoutesMount(t *testing.T) {
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	a, err := app.New(context.Background(), app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.NewFake(time.Now()), DB: db,
		PublicURL: "https://vault.example.com", MaxBodyBytes: 1 << 20, DataDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.Orgs == nil || a.Accounts.ProfileOrganizations == nil {
		t.Fatal("the organization mount did not set App.Orgs and the profile seam")
	}
	for _, p := range []string{"/api/organizations", "/api/organizations/00000000-0000-4000-8000-000000000001/users?",
		"/api/collections"} {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d, want 401", p, rec.Code)
		}
	}
}
