package vault

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

const fuzzUser = "6f1c2a9e-0d3b-4c5a-9e8f-1a2b3c4d5e6f"

// FuzzCipherRequest feeds arbitrary JSON to the item validation. Whatever it accepts must be a JSON
// object that holds a valid name and only well-formed values (every string an EncString or a
// date), and validating the stored document again must give the same document.
func FuzzCipherRequest(f *testing.F) {
	enc := "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|" + strings.Repeat("A", 43) + "="
	f.Add(`{"type":1,"name":"` + enc + `","login":{"username":"` + enc + `","uris":[{"uri":"` + enc +
		`","match":3}],"passwordRevisionDate":"2026-01-01T00:00:00.000Z"}}`)
	f.Add(`{"type":2,"name":"` + enc + `","secureNote":{"type":0},` +
		`"fields":[{"type":1,"name":"` + enc + `"}]}`)
	f.Add(`{"type":3,"name":"` + enc + `","card":{"number":"plain"}}`)
	f.Add(`{"type":1,"name":"` + enc + `","passwordHistory":[null,` +
		`{"password":"` + enc + `","lastUsedDate":"x"}]}`)
	f.Add(`{"Type":5,"Name":"` + enc + `","SshKey":{"PrivateKey":"` + enc + `","x":[1,2]}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req CipherRequest
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		p := problems{}
		fields, err := req.validate(fuzzUser, "", p)
		if err != nil || len(p) > 0 {
			return
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(fields.Data), &doc); err != nil {
			t.Fatalf("accepted document is not a JSON object: %v: %s", err, fields.Data)
		}
		if name, _ := doc["name"].(string); !bwcrypto.ValidEncString(name) {
			t.Fatalf("accepted document has no valid name: %s", fields.Data)
		}
		checkStrings(t, doc, fields.Data)
		again := CipherRequest{}
		if err := json.Unmarshal([]byte(fields.Data), &again); err != nil {
			t.Fatal(err)
		}
		again.Type = fields.Type
		p2 := problems{}
		fields2, err := again.validate(fuzzUser, "", p2)
		if err != nil || len(p2) > 0 || fields2.Data != fields.Data {
			t.Fatalf("stored document does not validate to itself: %v %v\n%s\n%s",
				err, p2, fields.Data, fields2.Data)
		}
	})
}

// checkStrings fails unless every string in v is an EncString or a date.
func checkStrings(t *testing.T, v any, doc string) {
	switch x := v.(type) {
	case string:
		if !bwcrypto.ValidEncString(x) {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil && !validDate(x) {
				t.Fatalf("accepted document holds %q, neither an EncString nor a date: %s", x, doc)
			}
		}
	case map[string]any:
		for _, e := range x {
			checkStrings(t, e, doc)
		}
	case []any:
		for _, e := range x {
			checkStrings(t, e, doc)
		}
	}
}
