package vault_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// encOfLen returns a well-formed EncString (type 4, RSA-OAEP, whose data may have any length) of
// exactly n characters; n-2 must be a multiple of 4.
func encOfLen(t testing.TB, n int) string {
	t.Helper()
	if (n-2)%4 != 0 {
		t.Fatalf("no EncString is %d characters long", n)
	}
	s := "4." + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", (n-2)/4*3)))
	if len(s) != n {
		t.Fatalf("built %d characters, want %d", len(s), n)
	}
	return s
}

// TestEncryptedValueLimits: each encrypted value has the official server's length limit (its
// request models' EncryptedStringLength); one over is refused with the official message under the
// official property path, and nothing is stored; one at the limit is stored. Every engine, so that
// the longest accepted values fit each database.
func TestEncryptedValueLimits(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			testEncryptedValueLimits(t, newAPIOn(t, eng))
		})
	}
}

func testEncryptedValueLimits(t *testing.T, a *api) {
	alice := newUser(t, a.db)
	// Each case sets one value of a login request to an EncString of the given length.
	cases := []struct {
		field string // the official validationErrors key
		limit int
		set   func(m map[string]any, v string)
	}{
		{"Name", 1000, func(m map[string]any, v string) { m["name"] = v }},
		{"Notes", 10000, func(m map[string]any, v string) { m["notes"] = v }},
		{"Login.Username", 1000, func(m map[string]any, v string) { login(m)["username"] = v }},
		{"Login.Password", 5000, func(m map[string]any, v string) { login(m)["password"] = v }},
		{"Login.Totp", 1000, func(m map[string]any, v string) { login(m)["totp"] = v }},
		{"Login.Uris[0].Uri", 10000, func(m map[string]any, v string) {
			login(m)["uris"] = []any{map[string]any{"uri": v}}
		}},
		{"Fields[0].Name", 1000, func(m map[string]any, v string) {
			m["fields"] = []any{map[string]any{"type": 0, "name": v}}
		}},
		{"Fields[0].Value", 5000, func(m map[string]any, v string) {
			m["fields"] = []any{map[string]any{"type": 0, "value": v}}
		}},
		{"PasswordHistory[0].Password", 5000, func(m map[string]any, v string) {
			m["passwordHistory"] = []any{map[string]any{"password": v, "lastUsedDate": "2026-01-01T00:00:00Z"}}
		}},
		{"Identity.SSN", 1000, func(m map[string]any, v string) {
			delete(m, "login")
			m["type"], m["identity"] = 4, map[string]any{"ssn": v}
		}},
		{"SSHKey.PrivateKey", 5000, func(m map[string]any, v string) {
			delete(m, "login")
			m["type"], m["sshKey"] = 5, map[string]any{"privateKey": v}
		}},
		{"Card.Number", 1000, func(m map[string]any, v string) {
			delete(m, "login")
			m["type"], m["card"] = 3, map[string]any{"number": v}
		}},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			req := loginRequest(t, alice)
			c.set(req, encOfLen(t, c.limit+2))
			r := a.do(t, alice, "POST", "/api/ciphers", req)
			assertError(t, r, 400, c.field)
			name := c.field[strings.LastIndexByte(c.field, '.')+1:]
			if i := strings.IndexByte(name, '['); i >= 0 {
				name = name[:i]
			}
			want := "The field " + name + " exceeds the maximum encrypted value length of " +
				strconv.Itoa(c.limit) + " characters."
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("want the message %q: %s", want, r.Body)
			}
		})
	}
	assertError(t, a.do(t, alice, "POST", "/api/folders", map[string]any{"name": encOfLen(t, 1002)}), 400, "Name")
	sync := a.must(t, alice, "GET", "/api/sync", nil).json(t)
	if n, m := len(sync["ciphers"].([]any)), len(sync["folders"].([]any)); n != 0 || m != 0 {
		t.Fatalf("refused requests stored %d items and %d folders", n, m)
	}

	// At the limit (the longest EncString that fits) every value is stored.
	for _, c := range cases {
		req := loginRequest(t, alice)
		c.set(req, encOfLen(t, c.limit-2))
		a.must(t, alice, "POST", "/api/ciphers", req)
	}
	a.must(t, alice, "POST", "/api/folders", map[string]any{"name": encOfLen(t, 998)})
	sync = a.must(t, alice, "GET", "/api/sync", nil).json(t)
	if n, m := len(sync["ciphers"].([]any)), len(sync["folders"].([]any)); n != len(cases) || m != 1 {
		t.Fatalf("stored %d items and %d folders, want %d and 1", n, m, len(cases))
	}
}
