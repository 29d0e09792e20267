package adminclient_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestDomains(t *testing.T) {
	const domainID = "00000000-0000-4000-8000-0000000000e1"
	f := newFake(t)
	domain := map[string]any{"id": domainID, "organizationId": orgID, "domainName": "acme.example",
		"txt": "bw=value", "creationDate": "2026-12-03T12:00:00Z", "nextRunDate": nil, "jobRunCount": 0,
		"verifiedDate": "2026-12-03T12:05:00Z", "lastCheckedDate": nil, "state": "verified",
		"failingSince": nil, "object": "organizationDomain"}
	f.handle("GET /api/organizations/{org}/domain", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"object": "list", "data": []any{domain}})
	})
	f.handle("POST /api/organizations/{org}/domain", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, domain)
	})
	f.handle("POST /api/organizations/{org}/domain/{id}/verify", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 400, map[string]any{"message": "Domain acme.example is not verified: no TXT record.",
			"object": "error"})
	})
	deleted := ""
	f.handle("DELETE /api/organizations/{org}/domain/{id}", func(w http.ResponseWriter, r *http.Request) {
		deleted = r.PathValue("id")
	})
	c := login(t, f)
	ctx := context.Background()
	d, err := c.AddDomain(ctx, orgID, "Acme.Example")
	if err != nil || d.TXT != "bw=value" || d.State != "verified" || d.VerifiedDate == nil {
		t.Fatalf("AddDomain = %+v, %v", d, err)
	}
	var sent struct{ DomainName string }
	f.body("POST /api/organizations/"+orgID+"/domain", &sent)
	if sent.DomainName != "Acme.Example" {
		t.Errorf("sent %+v", sent)
	}
	for _, ref := range []string{domainID, "ACME.example", "acme.example."} {
		if d, err := c.FindDomain(ctx, orgID, ref); err != nil || d.ID != domainID {
			t.Errorf("FindDomain(%q) = %+v, %v", ref, d, err)
		}
	}
	if _, err := c.FindDomain(ctx, orgID, "other.example"); err == nil ||
		!strings.Contains(err.Error(), "castellan admin domains list") {
		t.Errorf("unknown domain: %v", err)
	}
	_, err = c.VerifyDomain(ctx, orgID, domainID)
	if err == nil || !strings.Contains(err.Error(), "no TXT record") {
		t.Errorf("VerifyDomain refusal: %v", err)
	}
	if err := c.DeleteDomain(ctx, orgID, domainID); err != nil || deleted != domainID {
		t.Errorf("DeleteDomain: %v, deleted %q", err, deleted)
	}
}
