package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// TestTextLen counts as .NET's string length does: UTF-16 code units, not bytes.
func TestTextLen(t *testing.T) {
	cases := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"Alice", 5},
		{"Zoë", 3},
		{strings.Repeat("漢", 20), 20}, // 60 bytes
		{"😀", 2},                      // outside the BMP: a surrogate pair
		{"a\xffb", 3},                 // invalid UTF-8 counts as one replacement character
	}
	for _, c := range cases {
		if got := httpx.TextLen(c.s); got != c.want {
			t.Errorf("TextLen(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// TestFieldName: validationErrors keys are the official C# property paths.
func TestFieldName(t *testing.T) {
	for in, want := range map[string]string{
		"name": "Name", "Email": "Email", "login.uris[0].uri": "Login.Uris[0].Uri",
		"ciphers[3].fields[0].value": "Ciphers[3].Fields[0].Value", "": "",
	} {
		if got := httpx.FieldName(in); got != want {
			t.Errorf("FieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTypeErrorKeyIsPascalCase: a JSON value of the wrong type is reported under the property's
// official name, like every other validation error.
func TestTypeErrorKeyIsPascalCase(t *testing.T) {
	var logs bytes.Buffer
	h := stack(t, &logs, decodeInto)
	req := httptest.NewRequest("POST", "/api/x", strings.NewReader(`{"n":"x"}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var b body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || rec.Code != 400 {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if len(b.ValidationErrors["N"]) == 0 || len(b.ValidationErrors) != 1 {
		t.Fatalf("validationErrors %v, want the key N", b.ValidationErrors)
	}
}

func TestTooLongEncryptedMessage(t *testing.T) {
	e := httpx.TooLongEncrypted("Login.Uris[0].Uri", 10000)
	want := "The field Uri exceeds the maximum encrypted value length of 10000 characters."
	if e.Status != 400 || e.ValidationErrors["Login.Uris[0].Uri"][0] != want {
		t.Fatalf("%+v", e)
	}
}

func TestTruncateText(t *testing.T) {
	cases := []struct {
		s     string
		limit int
		want  string
	}{
		{"Alice", 50, "Alice"},
		{strings.Repeat("漢", 60), 50, strings.Repeat("漢", 50)},
		{strings.Repeat("😀", 30), 50, strings.Repeat("😀", 25)},
		{"a" + strings.Repeat("😀", 25), 50, "a" + strings.Repeat("😀", 24)}, // no half of a pair
	}
	for _, c := range cases {
		if got := httpx.TruncateText(c.s, c.limit); got != c.want || httpx.TextLen(got) > c.limit {
			t.Errorf("TruncateText(%q, %d) = %q, want %q", c.s, c.limit, got, c.want)
		}
	}
}

func TestUnder(t *testing.T) {
	err := httpx.Under("Collections[2].", httpx.Invalid("Name", "too long"))
	var he *httpx.Error
	if !errors.As(err, &he) || len(he.ValidationErrors["Collections[2].Name"]) != 1 || len(he.ValidationErrors) != 1 ||
		he.Status != 400 {
		t.Fatalf("%+v", err)
	}
	plain := httpx.BadRequest("no")
	if httpx.Under("X.", plain) != error(plain) {
		t.Fatal("an error without validationErrors changed")
	}
}
