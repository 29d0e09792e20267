package orgs_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// BenchmarkInvite1000 measures one invitation request of 1,000 new addresses, on each engine: the
// checks, the 1,000 memberships with their collection grant and audit events in one transaction,
// and the 1,000 sealed tokens handed to the mailer (an in-memory one here).
func BenchmarkInvite1000(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			a := newAPIOn(b, storagetest.OpenFresh(b, e), orgs.Config{})
			owner := a.user("owner@acme.example")
			org := a.org(owner)
			coll := firstCollection(a, &fixture{org: org, owner: owner})
			b.ResetTimer()
			for i := range b.N {
				emails := make([]string, 1000)
				for j := range emails {
					emails[j] = fmt.Sprintf("member%d.%d@acme.example", i, j)
				}
				r := a.do(owner, "POST", "/api/organizations/"+org+"/users/invite", map[string]any{"type": 2,
					"emails": emails, "collections": []any{map[string]any{"id": coll, "readOnly": true}}})
				if r.Status != http.StatusOK {
					b.Fatalf("invite: %d %s", r.Status, r.Body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/request")
		})
	}
}

// BenchmarkListMembers10000 measures GET .../users for an organization of 10,000 members (half of
// them bound to accounts), with collections and groups, on each engine.
func BenchmarkListMembers10000(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			a := newAPIOn(b, storagetest.OpenFresh(b, e), orgs.Config{})
			owner := a.user("owner@acme.example")
			org := a.org(owner)
			seedMembers(b, a, org, 10000)
			path := "/api/organizations/" + org + "/users?includeCollections=true&includeGroups=true"
			b.ResetTimer()
			var size int
			for range b.N {
				r := a.do(owner, "GET", path, nil)
				if r.Status != http.StatusOK {
					b.Fatalf("list: %d", r.Status)
				}
				size = len(r.Body)
			}
			b.ReportMetric(float64(size)/1e6, "MB/response")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/request")
		})
	}
}

// seedMembers adds n members straight through the store: n/2 confirmed accounts, n/2 invitations.
func seedMembers(b *testing.B, a *api, org string, n int) {
	b.Helper()
	ctx := context.Background()
	s := orgs.NewSQLStore(a.db)
	var ms []orgs.Member
	for i := range n {
		m := orgs.Member{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", 0xbe, i), OrganizationID: org,
			Status: orgs.StatusInvited, Type: orgs.RoleUser, CreatedAt: t0, RevisionDate: t0}
		if i%2 == 0 {
			m.UserID, m.Status, m.Key = a.user(fmt.Sprintf("u%d@acme.example",
				i)), orgs.StatusConfirmed, "4.k"
		} else {
			m.Email = fmt.Sprintf("i%d@acme.example", i)
		}
		ms = append(ms, m)
	}
	if err := s.InsertMembers(ctx, ms); err != nil {
		b.Fatal(err)
	}
	a.clock.Advance(time.Second)
}
