package orgs_test

import (
	"net/http"
	"testing"

	"github.com/castellan-vault/castellan/internal/orgs"
)

// TestValidationKeysArePropertyPaths: validationErrors keys are the official request models'
// property paths (CollectionIds, Cipher.Name), never the camelCase JSON names, also where the vault
// asks the organizations whether an item may go into collections.
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
	}
	for _, c := range cases {
		var got errorBody
		r := a.do(f.owner, "POST", "/api/ciphers/create", c.body)
		r.decode(t, &got)
		if r.Status != http.StatusBadRequest || len(got.ValidationErrors[c.key]) == 0 {
			t.Errorf("%s: %d %s, want 400 with %s", c.name, r.Status, r.Body, c.key)
		}
	}
}
