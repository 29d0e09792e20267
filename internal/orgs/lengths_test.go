package orgs_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// encOfLen returns a well-formed EncString (type 4, whose data may have any length) of exactly n
// characters; n-2 must be a multiple of 4.
func encOfLen(t testing.TB, n int) string {
	t.Helper()
	s := "4." + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", (n-2)/4*3)))
	if len(s) != n {
		t.Fatalf("no EncString is %d characters long", n)
	}
	return s
}

// TestTextLengthsCountCharacters: the length limits on names count characters as the official
// server does (UTF-16 code units), not bytes: a name of 50 Chinese characters (150 bytes) is an
// organization name, 51 are not; a group name of 50 emoji is 100 units, 51 are too many. The longest
// names are stored and read back on every engine; refusals change nothing.
func TestTextLengthsCountCharacters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e storagetest.Engine) {
		a, f := newFixtureOn(t, e, orgs.Config{})
		base := "/api/organizations/" + f.org
		han, emoji := "漢", "😀"

		before := a.snapshot(f.org)
		refusals := []struct {
			name, method, path, field string
			body                      map[string]any
		}{
			{"OrgName", "PUT", base, "Name", map[string]any{"name": strings.Repeat(han, 51),
				"billingEmail": "billing@acme.example"}},
			{"BusinessName", "PUT", base, "BusinessName", map[string]any{"name": "Acme",
				"businessName": strings.Repeat(han, 51), "billingEmail": "billing@acme.example"}},
			{"GroupName", "POST", base + "/groups", "Name", map[string]any{"name": strings.Repeat(emoji, 51)}},
			{"GroupExternalId", "POST", base + "/groups", "ExternalId", map[string]any{"name": "g",
				"externalId": strings.Repeat(han, 301)}},
			{"CollectionName", "POST", base + "/collections", "Name", map[string]any{"name": encOfLen(t, 1002)}},
		}
		for _, c := range refusals {
			var got errorBody
			r := a.do(f.owner, c.method, c.path, c.body)
			r.decode(t, &got)
			if r.Status != http.StatusBadRequest || len(got.ValidationErrors[c.field]) == 0 {
				t.Errorf("%s: %d %s, want 400 with %s", c.name, r.Status, r.Body, c.field)
			}
		}
		var coll errorBody
		a.do(f.owner, "POST", base+"/collections", map[string]any{"name": encOfLen(t, 1002)}).decode(t, &coll)
		if want := "The field Name exceeds the maximum encrypted value length of 1000 characters."; len(
			coll.ValidationErrors["Name"]) == 0 || coll.ValidationErrors["Name"][0] != want {
			t.Errorf("collection name message %v, want %q", coll.ValidationErrors, want)
		}
		if after := a.snapshot(f.org); after != before {
			t.Fatalf("a refusal changed the organization:\n%s\n%s", before, after)
		}

		name := strings.Repeat(han, 50)
		a.must(f.owner, "PUT", base, map[string]any{"name": name, "businessName": name,
			"billingEmail": "billing@acme.example"})
		var o struct{ Name, BusinessName string }
		a.must(f.owner, "GET", base, nil).decode(t, &o)
		if o.Name != name || o.BusinessName != name {
			t.Errorf("organization read back as %q / %q", o.Name, o.BusinessName)
		}
		var g struct{ Name, ExternalID string }
		a.must(f.owner, "POST", base+"/groups", map[string]any{"name": strings.Repeat(emoji, 50),
			"externalId": strings.Repeat(han, 300)}).decode(t, &g)
		if g.Name != strings.Repeat(emoji, 50) || g.ExternalID != strings.Repeat(han, 300) {
			t.Errorf("group read back as %q / %q", g.Name, g.ExternalID)
		}
		// Collection names are AES EncStrings: 43 blocks of ciphertext make the longest one under 1000.
		longest := bwcrypto.EncString{Type: bwcrypto.EncAESCBC256HMAC, IV: make([]byte, 16),
			Data: make([]byte, 43*16), MAC: make([]byte, 32)}.String()
		if n := len(longest); n != 992 {
			t.Fatalf("built a name of %d characters", n)
		}
		a.must(f.owner, "POST", base+"/collections", map[string]any{"name": longest})
	})
}
