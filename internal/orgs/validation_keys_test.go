package orgs_test

import (
	"net/http"
	"testing"

	"github.com/castellan-vault/castellan/internal/orgs"
)

// TestValidationKeysArePropertyPaths: validationErrors keys are the official request models'
// property paths (CollectionIds, Cipher.Name, Collections[1].Name), never the camelCase JSON names,
// also where the vault asks the organizations whether an item may go into collections or lets them
// check the collections of an import.
func TestValidationKeysArePropertyPaths(t *testing.T) {
	a, f := newFixture(t, orgs.Config{})
	cases := []struct {
		name string
		body map[string]any
		key  string
	}{
		{"ForeignCollection", item(t, f.org, "00000000-0000-4000-8000-000000000001"), "CollectionIds"},
		{"PlaintextName", func() map[string]any {
			m := item(t, f.org, firstCollection(a, f))
			m["cipher"].(map[string]any)["name"] = "GitHub"
			return m
		}(), "Cipher.Name"},
		{"ImportedCollectionName", map[string]any{"ciphers": []any{}, "collectionRelationships": []any{},
			"collections": []any{map[string]any{"name": enc(t, "ok")}, map[string]any{"name": "plain"}}},
			"Collections[1].Name"},
	}
	for _, c := range cases {
		var got errorBody
		path := "/api/ciphers/create"
		if c.body["collections"] != nil {
			path = "/api/ciphers/import-organization?organizationId=" + f.org
		}
		r := a.do(f.owner, "POST", path, c.body)
		r.decode(t, &got)
		if r.Status != http.StatusBadRequest || len(got.ValidationErrors[c.key]) == 0 {
			t.Errorf("%s: %d %s, want 400 with %s", c.name, r.Status, r.Body, c.key)
		}
	}
}
