package orgs_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// item is a login item of an organization as the CLI sends it to POST /api/ciphers/create.
func item(t *testing.T, orgID string, colls ...string) map[string]any {
	return map[string]any{"cipher": map[string]any{
		"type": 1, "organizationId": orgID, "name": enc(t, "Shared login"), "notes": nil, "favorite": false,
		"reprompt": 0, "login": map[string]any{"username": enc(t, "team"), "password": enc(t, "s3cret!"),
			"uris": []any{}},
	}, "collectionIds": colls}
}

type syncView struct {
	Collections []struct {
		ID            string
		ReadOnly      bool
		HidePasswords bool
		Manage        bool
	}
	Ciphers []struct {
		ID             string
		OrganizationID *string
		Edit           bool
		ViewPassword   bool
		CollectionIDs  []string
	}
}

func (a *api) sync(user string) syncView {
	a.t.Helper()
	var v syncView
	a.must(user, "GET", "/api/sync?excludeDomains=true", nil).decode(a.t, &v)
	return v
}

func TestOrganizationItemsFollowMembership(t *testing.T) {
	forEachEngine(t, testItemsFollowMembership)
}

func testItemsFollowMembership(t *testing.T, e storagetest.Engine) {
	a := newAPIOn(t, storagetest.OpenFresh(t, e), orgs.Config{})
	owner, bob, carol := a.user("owner@acme.example"), a.user("bob@acme.example"), a.user("carol@acme.example")
	org := a.org(owner)
	coll := firstCollection(a, &fixture{org: org, owner: owner})
	var created struct{ ID string }
	a.must(owner, "POST", "/api/ciphers/create", item(t, org, coll)).decode(t, &created)
	if v := a.sync(owner); len(v.Ciphers) != 1 || !v.Ciphers[0].Edit || len(v.Collections) != 1 {
		t.Fatalf("the owner's sync %+v", v)
	}

	bobM := a.join(owner, org, bob, 2)
	if v := a.sync(bob); len(v.Ciphers) != 0 || len(v.Collections) != 0 {
		t.Fatalf("an accepted, unconfirmed member sees %+v", v)
	}
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+bobM, map[string]any{"type": 2,
		"collections": []any{map[string]any{"id": coll, "readOnly": true, "hidePasswords": true}}})
	a.must(owner, "POST", "/api/organizations/"+org+"/users/"+bobM+"/confirm",
		map[string]any{"key": rsaEnc(t)})
	v := a.sync(bob)
	if len(v.Ciphers) != 1 || v.Ciphers[0].ID != created.ID || v.Ciphers[0].Edit || v.Ciphers[0].ViewPassword ||
		!slices.Equal(v.Ciphers[0].CollectionIDs,
			[]string{coll}) || len(v.Collections) != 1 || !v.Collections[0].ReadOnly {
		t.Fatalf("a confirmed read-only member's sync %+v", v)
	}
	if r := a.do(bob, "PUT", "/api/ciphers/"+created.ID+"/delete", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a read-only member trashed the item: %d %s", r.Status, r.Body)
	}
	if r := a.do(bob, "POST", "/api/ciphers/create", item(t, org, coll)); r.Status != http.StatusBadRequest {
		t.Fatalf("a read-only member created an item in the collection: %d %s", r.Status, r.Body)
	}
	// A group grants write access; the grants merge.
	var g struct{ ID string }
	a.must(owner, "POST", "/api/organizations/"+org+"/groups", map[string]any{"name": "Team",
		"collections": []any{map[string]any{"id": coll}}, "users": []string{bobM}}).decode(t, &g)
	if v := a.sync(bob); len(v.Ciphers) != 1 || !v.Ciphers[0].Edit || !v.Ciphers[0].ViewPassword {
		t.Fatalf("after the group grant %+v", v.Ciphers)
	}
	a.must(bob, "GET", "/api/ciphers/"+created.ID, nil)

	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+bobM+"/revoke", nil)
	if v := a.sync(bob); len(v.Ciphers) != 0 || len(v.Collections) != 0 {
		t.Fatalf("a revoked member still sees %+v", v)
	}
	if r := a.do(bob, "GET", "/api/ciphers/"+created.ID, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a revoked member reads the item: %d", r.Status)
	}
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+bobM+"/restore", nil)
	if v := a.sync(bob); len(v.Ciphers) != 1 {
		t.Fatalf("a restored member sees %+v", v)
	}
	if v := a.sync(carol); len(v.Ciphers) != 0 {
		t.Fatalf("an outsider sees %+v", v)
	}
	if r := a.do(carol, "POST", "/api/ciphers/create", item(t, org, coll)); r.Status != http.StatusNotFound {
		t.Fatalf("an outsider created an organization item: %d", r.Status)
	}
}

func TestOrganizationExportImportAndClientEvents(t *testing.T) {
	forEachEngine(t, testExportImportEvents)
}

func testExportImportEvents(t *testing.T, e storagetest.Engine) {
	a := newAPIOn(t, storagetest.OpenFresh(t, e), orgs.Config{})
	owner, bob := a.user("owner@acme.example"), a.user("bob@acme.example")
	org := a.org(owner)
	coll := firstCollection(a, &fixture{org: org, owner: owner})
	var created struct{ ID string }
	a.must(owner, "POST", "/api/ciphers/create", item(t, org, coll)).decode(t, &created)
	imp := item(t, org)["cipher"]
	a.must(owner, "POST", "/api/ciphers/import-organization?organizationId="+org, map[string]any{
		"ciphers": []any{imp, imp},
		"collections": []any{map[string]any{"name": enc(t, "Imported")},
			map[string]any{"id": coll, "name": enc(t, "x")}},
		"collectionRelationships": []any{map[string]any{"key": 0, "value": 0},
			map[string]any{"key": 1, "value": 1}},
	})
	var export struct {
		Collections []struct{ ID string }
		Ciphers     []struct {
			ID            string
			CollectionIDs []string
		}
	}
	a.must(owner, "GET", "/api/organizations/"+org+"/export", nil).decode(t, &export)
	if len(export.Collections) != 2 || len(export.Ciphers) != 3 {
		t.Fatalf("export %+v", export)
	}
	if v := a.sync(owner); len(v.Ciphers) != 3 || len(v.Collections) != 2 {
		t.Fatalf("the importer does not manage what it imported: %+v", v)
	}
	bobM := a.confirmed(owner, org, bob, 2)
	if r := a.do(bob, "GET", "/api/organizations/"+org+"/export", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a plain member exported: %d", r.Status)
	}
	bad := map[string]any{"ciphers": []any{imp}, "collections": []any{},
		"collectionRelationships": []any{map[string]any{"key": 0, "value": 3}}}
	before := a.snapshot(org)
	if r := a.do(owner, "POST", "/api/ciphers/import-organization?organizationId="+org,
		bad); r.Status != 400 {
		t.Fatalf("an import with a bad relationship: %d", r.Status)
	}
	if a.snapshot(org) != before {
		t.Fatal("a refused import changed the organization")
	}
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+bobM, map[string]any{"type": 2,
		"collections": []any{map[string]any{"id": coll}}})
	a.must(bob, "POST", "/events/collect", []any{
		map[string]any{"type": 1107, "cipherId": created.ID, "organizationId": org,
			"date": "2026-12-03T12:00:00Z"},
		map[string]any{"type": 1107, "cipherId": created.ID,
			"organizationId": "00000000-0000-4000-8000-000000000009"},
		map[string]any{"type": 1000, "organizationId": org},
	})
	var evs struct {
		Data []struct {
			Type     int
			CipherID *string
		}
	}
	a.must(owner, "GET", "/api/organizations/"+org+"/events", nil).decode(t, &evs)
	n := 0
	for _, e := range evs.Data {
		if e.Type == 1107 && e.CipherID != nil && *e.CipherID == created.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("stored %d viewed-item events, want 1: %+v", n, evs.Data)
	}
}

func TestShareAndMoveBetweenCollections(t *testing.T) {
	forEachEngine(t, testShareAndMove)
}

func testShareAndMove(t *testing.T, e storagetest.Engine) {
	a := newAPIOn(t, storagetest.OpenFresh(t, e), orgs.Config{})
	owner, bob := a.user("owner@acme.example"), a.user("bob@acme.example")
	org := a.org(owner)
	first := firstCollection(a, &fixture{org: org, owner: owner})
	var second struct{ ID string }
	ownerM := a.memberByEmail(owner, org, "owner@acme.example").ID
	a.must(owner, "POST", "/api/organizations/"+org+"/collections", map[string]any{"name": enc(t, "Second"),
		"users": []any{map[string]any{"id": ownerM, "manage": true}}}).decode(t, &second)
	bobM := a.confirmed(owner, org, bob, 2)
	a.must(owner, "PUT", "/api/organizations/"+org+"/users/"+bobM, map[string]any{"type": 2,
		"collections": []any{map[string]any{"id": first}}})

	personal := item(t, "")["cipher"].(map[string]any)
	personal["organizationId"] = nil
	var mine struct{ ID string }
	a.must(owner, "POST", "/api/ciphers", personal).decode(t, &mine)
	if r := a.do(bob, "PUT", "/api/ciphers/"+mine.ID+"/share", item(t, org,
		first)); r.Status != http.StatusNotFound {
		t.Fatalf("bob shared the owner's personal item: %d", r.Status)
	}
	shared := item(t, org, first)
	a.must(owner, "PUT", "/api/ciphers/"+mine.ID+"/share", shared)
	if v := a.sync(bob); len(v.Ciphers) != 1 || v.Ciphers[0].ID != mine.ID || *v.Ciphers[0].OrganizationID != org {
		t.Fatalf("bob does not see the shared item: %+v", v.Ciphers)
	}
	if r := a.do(bob, "PUT", "/api/ciphers/"+mine.ID+"/collections_v2",
		map[string]any{"collectionIds": []string{second.ID}}); r.Status != http.StatusBadRequest {
		t.Fatalf("bob moved the item into a collection he does not reach: %d %s", r.Status, r.Body)
	}
	var opt struct {
		Unavailable bool
		Cipher      *struct{ CollectionIDs []string }
	}
	a.must(owner, "PUT", "/api/ciphers/"+mine.ID+"/collections_v2",
		map[string]any{"collectionIds": []string{second.ID}}).decode(t, &opt)
	if opt.Unavailable || opt.Cipher == nil || len(opt.Cipher.CollectionIDs) != 1 {
		t.Fatalf("collections_v2 answer %+v", opt)
	}
	if v := a.sync(bob); len(v.Ciphers) != 0 {
		t.Fatalf("bob still sees the item moved out of his collection: %+v", v.Ciphers)
	}
}
