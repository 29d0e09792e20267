package vault

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
)

// The server stores an item's encrypted fields as one opaque JSON document, but it does not store
// whatever a client sends: each type-specific object is checked against the shape below. Encrypted
// values must be well-formed EncStrings within the official server's length limits (its request
// models' EncryptedStringLength), dates must be dates, numbers small integers. Keys are matched
// without regard to case and written back in the clients' camelCase; keys the shape does not know
// are dropped, so the document only ever holds fields a client can read back. Problems are reported
// under the official property paths (officialPath).

type kind int

const (
	kindEnc  kind = iota // an EncString, or null
	kindDate             // an ISO 8601 date-time, or null
	kindInt              // a small integer, or null
	kindBool             // true, false or null
	kindObj              // an object of the sub-shape, or null
	kindList             // an array of objects of the sub-shape, or null
)

type field struct {
	name string
	kind kind
	sub  *shape
	max  int // for kindEnc: the longest EncString accepted
}

type shape struct {
	fields map[string]field // by lower-case name
}

func newShape(fields ...field) *shape {
	s := &shape{fields: make(map[string]field, len(fields))}
	for _, f := range fields {
		s.fields[strings.ToLower(f.name)] = f
	}
	return s
}

// The official limits on encrypted values, in characters of the EncString.
const (
	maxEncShort = 1000  // names, usernames, card and identity fields, TOTP seeds
	maxEncLong  = 5000  // passwords, custom field values, SSH keys
	maxEncURI   = 10000 // URIs and their checksums
	maxEncNotes = 10000 // an item's notes
)

func encs(limit int, names ...string) []field {
	out := make([]field, len(names))
	for i, n := range names {
		out[i] = field{name: n, kind: kindEnc, max: limit}
	}
	return out
}

func with(fs []field, more ...field) []field { return append(fs, more...) }

var (
	uriShape   = newShape(with(encs(maxEncURI, "uri", "uriChecksum"), field{name: "match", kind: kindInt})...)
	fido2Shape = newShape(with(encs(maxEncShort, "credentialId", "keyType", "keyAlgorithm", "keyCurve",
		"keyValue", "rpId", "rpName", "counter", "userHandle", "userName", "userDisplayName", "discoverable"),
		field{name: "creationDate", kind: kindDate})...)
	loginShape = newShape(with(encs(maxEncShort, "username", "totp"),
		field{name: "password", kind: kindEnc, max: maxEncLong},
		field{name: "passwordRevisionDate", kind: kindDate},
		field{name: "autofillOnPageLoad", kind: kindBool},
		field{name: "uris", kind: kindList, sub: uriShape},
		field{name: "fido2Credentials", kind: kindList, sub: fido2Shape})...)
	cardShape = newShape(encs(maxEncShort, "cardholderName", "brand", "number", "expMonth", "expYear",
		"code")...)
	identityShape = newShape(encs(maxEncShort, "title", "firstName", "middleName", "lastName", "address1",
		"address2", "address3", "city", "state", "postalCode", "country", "company", "email", "phone", "ssn",
		"username", "passportNumber", "licenseNumber")...)
	secureNoteShape = newShape(field{name: "type", kind: kindInt})
	sshKeyShape     = newShape(with(encs(maxEncLong, "privateKey", "publicKey"),
		field{name: "keyFingerprint", kind: kindEnc, max: maxEncShort})...)
	bankAccountShape = newShape(encs(maxEncShort, "bankName", "nameOnAccount", "accountType",
		"accountNumber", "routingNumber", "branchNumber", "pin", "swiftCode", "iban", "bankContactPhone")...)
	driversLicenseShape = newShape(encs(maxEncShort, "firstName", "middleName", "lastName", "dateOfBirth",
		"licenseNumber", "issuingCountry", "issuingState", "issueDate", "expirationDate",
		"issuingAuthority", "licenseClass")...)
	passportShape = newShape(encs(maxEncShort, "surname", "givenName", "dateOfBirth", "sex", "birthPlace",
		"nationality", "issuingCountry", "passportNumber", "passportType", "nationalIdentificationNumber",
		"issuingAuthority", "issueDate", "expirationDate")...)
	fieldShape = newShape(field{name: "name", kind: kindEnc, max: maxEncShort},
		field{name: "value", kind: kindEnc, max: maxEncLong},
		field{name: "type", kind: kindInt}, field{name: "linkedId", kind: kindInt})
	historyShape = newShape(field{name: "password", kind: kindEnc, max: maxEncLong},
		field{name: "lastUsedDate", kind: kindDate})
)

// typeFields maps each cipher type to the name and shape of its type-specific object.
var typeFields = map[int]field{
	TypeLogin:          {name: "login", kind: kindObj, sub: loginShape},
	TypeSecureNote:     {name: "secureNote", kind: kindObj, sub: secureNoteShape},
	TypeCard:           {name: "card", kind: kindObj, sub: cardShape},
	TypeIdentity:       {name: "identity", kind: kindObj, sub: identityShape},
	TypeSSHKey:         {name: "sshKey", kind: kindObj, sub: sshKeyShape},
	TypeBankAccount:    {name: "bankAccount", kind: kindObj, sub: bankAccountShape},
	TypeDriversLicense: {name: "driversLicense", kind: kindObj, sub: driversLicenseShape},
	TypePassport:       {name: "passport", kind: kindObj, sub: passportShape},
}

// maxProblems caps the validation messages of one request.
const maxProblems = 20

// problems collects validation messages by field path, in the validationErrors shape.
type problems map[string][]string

// add records msg under path, a JSON path ("login.uris[0].uri") written as the official property
// path ("Login.Uris[0].Uri").
func (p problems) add(path, msg string) {
	if len(p) < maxProblems {
		key := officialPath(path)
		p[key] = append(p[key], msg)
	}
}

// officialPath is httpx.FieldName with the two property names whose official spelling is not the
// camelCase JSON name with a capital first letter (CipherRequestModel.SSHKey, CipherIdentityModel.SSN).
func officialPath(path string) string {
	segs := strings.Split(httpx.FieldName(path), ".")
	for i, s := range segs {
		switch {
		case s == "SshKey":
			segs[i] = "SSHKey"
		case s == "Ssn":
			segs[i] = "SSN"
		}
	}
	return strings.Join(segs, ".")
}

// cleanValue checks v against f and returns what to store, recording problems under path.
func cleanValue(f field, v any, path string, p problems) any {
	if v == nil {
		return nil
	}
	switch f.kind {
	case kindEnc:
		return cleanEnc(v, f.max, path, p)
	case kindDate:
		s, ok := v.(string)
		if !ok || !validDate(s) {
			p.add(path, "The value is not a date.")
			return nil
		}
		return s
	case kindInt:
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
			p.add(path, "The value is not an integer.")
			return nil
		}
		return int64(n)
	case kindBool:
		if _, ok := v.(bool); !ok {
			p.add(path, "The value is not true or false.")
			return nil
		}
		return v
	case kindObj:
		return cleanObject(f.sub, v, path, p)
	default:
		return cleanList(f.sub, v, path, p)
	}
}

// cleanEnc accepts a well-formed EncString of at most limit characters (no limit when 0); an empty
// string means no value, as null does.
func cleanEnc(v any, limit int, path string, p problems) any {
	s, ok := v.(string)
	switch {
	case !ok:
		p.add(path, "The value must be an encrypted string.")
		return nil
	case s == "":
		return nil
	case limit > 0 && httpx.TextLen(s) > limit:
		p.add(path, httpx.EncryptedTooLongMessage(officialPath(path), limit))
		return nil
	case bwcrypto.CheckEncString(s) != nil:
		p.add(path, "The value is not a valid encrypted string.")
		return nil
	}
	return s
}

func cleanObject(s *shape, v any, path string, p problems) any {
	m, ok := v.(map[string]any)
	if !ok {
		p.add(path, "The value must be an object.")
		return nil
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		f, known := s.fields[strings.ToLower(k)]
		if !known {
			continue
		}
		out[f.name] = cleanValue(f, val, path+"."+f.name, p)
	}
	return out
}

func cleanList(s *shape, v any, path string, p problems) any {
	items, ok := v.([]any)
	if !ok {
		p.add(path, "The value must be a list.")
		return nil
	}
	out := make([]any, 0, len(items))
	for i, item := range items {
		if item == nil {
			continue
		}
		out = append(out, cleanObject(s, item, fmt.Sprintf("%s[%d]", path, i), p))
	}
	return out
}

// validDate accepts what JavaScript's toISOString and .NET write: RFC 3339, with or without a zone.
func validDate(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
