package domains

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// MaxNameLength is the longest domain name accepted, in ASCII (punycode) form: RFC 1035 §2.3.4
// allows 255 octets on the wire, which is 253 characters in dotted text without the trailing dot.
const MaxNameLength = 253

// maxInputLength bounds what Normalize looks at, well above any name that could turn into 253
// characters of punycode.
const maxInputLength = 1024

// ErrInvalidName is what every [NameError] matches with errors.Is.
var ErrInvalidName = errors.New("invalid domain name")

// NameError says why a domain name was refused. Reason is written for the administrator who typed
// the name and is safe to show them.
type NameError struct {
	Input  string
	Reason string
	cause  error
}

func (e *NameError) Error() string { return "invalid domain name: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidName) true.
func (e *NameError) Is(target error) bool { return target == ErrInvalidName }

// Unwrap returns the IDNA library's error, when there was one.
func (e *NameError) Unwrap() error { return e.cause }

// lookupProfile maps and validates names as UTS #46 non-transitional processing does for lookup
// (case folding, width mapping, STD3 characters, the hyphen and joiner rules of RFC 5891 §5 and the
// Bidi rule of RFC 5893): "ß" stays "ß" and becomes xn--zca, as in IDNA2008. The DNS length limits
// are checked afterwards by checkASCII, with clearer messages.
var lookupProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
)

// dots are the characters IDNA treats as label separators (RFC 3490 §3.1).
var dots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// Normalize turns what an administrator typed into the form castellan stores and queries: lower
// case, internationalised labels converted to punycode (example: "Bücher.Example" becomes
// "xn--bcher-kva.example"). It refuses, with a [NameError], anything that is not a plain domain
// name of at least two labels: URLs, email addresses, wildcards, a trailing dot, IP addresses,
// empty or over-long labels, characters outside letters, digits and hyphens, and names over 253
// characters.
func Normalize(input string) (string, error) {
	s := dots.Replace(strings.TrimSpace(input))
	if err := precheck(input, s); err != nil {
		return "", err
	}
	ascii, err := lookupProfile.ToASCII(strings.ToLower(s))
	if err != nil {
		return "", &NameError{Input: input, cause: err,
			Reason: "it is not a valid internationalised domain name"}
	}
	if err := checkASCII(input, ascii); err != nil {
		return "", err
	}
	return ascii, nil
}

// precheck refuses the common mistakes with a message that names them, before IDNA processing
// would refuse them with a vaguer one.
func precheck(input, s string) error {
	bad := func(reason string) error { return &NameError{Input: input, Reason: reason} }
	switch {
	case s == "":
		return bad("it is empty")
	case len(s) > maxInputLength:
		return bad("it is longer than 253 characters")
	case strings.Contains(s, "://") || strings.ContainsAny(s, "/?#"):
		return bad("give the domain name alone, without a scheme or path " +
			"(example.com, not https://example.com/)")
	case strings.Contains(s, "@"):
		return bad("give the domain name alone, not an email address")
	case strings.Contains(s, "*"):
		return bad("wildcards are not allowed: claim the domain itself (example.com)")
	case net.ParseIP(strings.Trim(s, "[]")) != nil:
		return bad("an IP address is not a domain name")
	case strings.Contains(s, ":"):
		return bad("give the domain name without a port")
	case strings.HasSuffix(s, "."):
		return bad("remove the trailing dot")
	case strings.HasPrefix(s, ".") || strings.Contains(s, ".."):
		return bad("it has an empty label (a leading dot or two dots in a row)")
	case !strings.Contains(s, "."):
		return bad("it needs at least two labels, such as example.com")
	}
	for _, label := range strings.Split(s, ".") {
		if err := checkLabel(input, label); err != nil {
			return err
		}
	}
	return nil
}

// checkLabel checks the ASCII rules of RFC 1123 §2.1 on one label; other characters are left to
// IDNA.
func checkLabel(input, label string) error {
	bad := func(reason string) error { return &NameError{Input: input, Reason: reason} }
	if strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
		return bad("a label may not start or end with a hyphen: " + quote(label))
	}
	ascii := true
	for _, r := range label {
		switch {
		case r >= 0x80:
			ascii = false
		case r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		default:
			return bad("only letters, digits and hyphens are allowed in a label: " + quote(label))
		}
	}
	if ascii && len(label) > 63 {
		return bad("a label is longer than 63 characters")
	}
	return nil
}

// checkASCII checks the final punycode form: what IDNA mapping produced must still be a host name
// of at least two labels, within the length limits, whose last label is not all digits (which would
// make it an IPv4 address in disguise).
func checkASCII(input, ascii string) error {
	bad := func(reason string) error { return &NameError{Input: input, Reason: reason} }
	if len(ascii) > MaxNameLength {
		return bad("it is longer than 253 characters once converted to punycode")
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return bad("it needs at least two labels, such as example.com")
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 {
			return bad("a label is empty or longer than 63 characters once converted to punycode")
		}
		for _, r := range label {
			if r != '-' && (r < '0' || r > '9') && (r < 'a' || r > 'z') {
				return bad("only letters, digits and hyphens are allowed in a label: " +
					quote(label))
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return bad("the last label may not be all digits")
	}
	return nil
}

// quote shows a label in a message, cut short so that a hostile input cannot make the message huge.
func quote(label string) string {
	if r := []rune(label); len(r) > 64 {
		label = string(r[:64]) + "…"
	}
	return strconv.Quote(label)
}
