package httpx

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// TextLen is the length of s as the official server measures a string for its length limits: .NET
// counts UTF-16 code units, so a letter of any script counts one and a character outside the Basic
// Multilingual Plane (most emoji) counts two. Bytes would refuse a 20-character Chinese name as
// longer than 50.
func TextLen(s string) int {
	n := 0
	for _, r := range s { // invalid UTF-8 ranges as U+FFFD, one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// TooLongEncrypted is the 400 for an encrypted value over its limit, with the official wording.
func TooLongEncrypted(field string, limit int) *Error {
	return Invalid(field, EncryptedTooLongMessage(field, limit))
}

// EncryptedTooLongMessage is the official message for an encrypted value over its limit.
func EncryptedTooLongMessage(field string, limit int) string {
	return fmt.Sprintf("The field %s exceeds the maximum encrypted value length of %d characters.",
		lastSegment(field), limit)
}

// lastSegment is the property name at the end of a field path ("Login.Uris[0].Uri" gives "Uri"),
// which is what the official messages name.
func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	return path
}

// FieldName turns a JSON field path ("login.uris[0].uri") into the key the official server uses in
// validationErrors: its C# property path, each segment starting with a capital letter
// ("Login.Uris[0].Uri"). Every validationErrors key castellan writes has this form.
func FieldName(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			segs[i] = string(s[0]-'a'+'A') + s[1:]
		}
	}
	return strings.Join(segs, ".")
}

// TruncateText shortens s to at most limit units as TextLen counts them, cutting between
// characters; it is for text castellan stores on someone's behalf (a name an identity provider
// sends), where refusing is not an option.
func TruncateText(s string, limit int) string {
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > limit {
			return s[:i]
		}
	}
	return s
}

// Under returns err with its validationErrors keys moved under prefix ("Collections[2]." makes Name
// Collections[2].Name), for a model checked on its own and nested in a request; any other error is
// returned as it is.
func Under(prefix string, err error) error {
	var he *Error
	if !errors.As(err, &he) || len(he.ValidationErrors) == 0 {
		return err
	}
	out := *he
	out.ValidationErrors = make(map[string][]string, len(he.ValidationErrors))
	for k, v := range he.ValidationErrors {
		out.ValidationErrors[prefix+k] = v
	}
	return &out
}
