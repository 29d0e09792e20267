package bwcrypto

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// EncType is the number before the dot of an EncString.
type EncType int

// The EncString types the official clients produce or still read. Type 1 (AES-128) is not among
// them and is refused.
const (
	EncAESCBC256         EncType = 0 // "0.iv|ct": legacy, no MAC; only old user keys
	EncAESCBC256HMAC     EncType = 2 // "2.iv|ct|mac": the symmetric type in use
	EncRSAOAEPSHA256     EncType = 3 // "3.data"
	EncRSAOAEPSHA1       EncType = 4 // "4.data": what the clients produce for shared keys
	EncRSAOAEPSHA256HMAC EncType = 5 // "5.data|mac": deprecated
	EncRSAOAEPSHA1HMAC   EncType = 6 // "6.data|mac": deprecated
	EncCOSEEncrypt0      EncType = 7 // "7.cose": COSE_Encrypt0 of v2 accounts
)

// partsByType is how many "|"-separated base64 parts follow the dot for each known type.
var partsByType = map[EncType]int{
	EncAESCBC256: 2, EncAESCBC256HMAC: 3, EncRSAOAEPSHA256: 1, EncRSAOAEPSHA1: 1,
	EncRSAOAEPSHA256HMAC: 2, EncRSAOAEPSHA1HMAC: 2, EncCOSEEncrypt0: 1,
}

const (
	ivSize  = 16
	macSize = 32
)

// ErrInvalidEncString is wrapped by every error about a malformed EncString.
var ErrInvalidEncString = errors.New("invalid encstring")

// EncString is an encrypted value in the clients' text format "<type>.<b64>|<b64>...". IV is set
// for types 0 and 2, MAC for types 2, 5 and 6; Data is the ciphertext (the COSE message for 7).
type EncString struct {
	Type EncType
	IV   []byte
	Data []byte
	MAC  []byte
}

// ParseEncString parses any EncString type the clients produce and checks that it is well formed:
// a known type, the right number of parts, canonical padded base64 in each, a 16-byte IV and a
// 32-byte MAC where the type has them, and block-aligned ciphertext for the AES types.
func ParseEncString(s string) (EncString, error) {
	head, body, ok := strings.Cut(s, ".")
	if !ok || len(head) != 1 || head[0] < '0' || head[0] > '9' {
		return EncString{}, fmt.Errorf("%w: missing type prefix", ErrInvalidEncString)
	}
	e := EncString{Type: EncType(head[0] - '0')}
	want, ok := partsByType[e.Type]
	if !ok {
		return EncString{}, fmt.Errorf("%w: unsupported type %d", ErrInvalidEncString, e.Type)
	}
	parts := strings.SplitN(body, "|", want+1)
	if len(parts) != want {
		return EncString{}, fmt.Errorf("%w: type %d needs %d parts", ErrInvalidEncString, e.Type, want)
	}
	raw := make([][]byte, len(parts))
	for i, p := range parts {
		b, err := decodeB64(p)
		if err != nil {
			return EncString{}, fmt.Errorf("%w: part %d: %w", ErrInvalidEncString, i+1, err)
		}
		raw[i] = b
	}
	switch e.Type {
	case EncAESCBC256, EncAESCBC256HMAC:
		e.IV, e.Data = raw[0], raw[1]
		if e.Type == EncAESCBC256HMAC {
			e.MAC = raw[2]
		}
	case EncRSAOAEPSHA256HMAC, EncRSAOAEPSHA1HMAC:
		e.Data, e.MAC = raw[0], raw[1]
	default:
		e.Data = raw[0]
	}
	return e, e.check()
}

// CheckEncString reports whether s is a well-formed EncString (see ParseEncString) without
// decrypting it. The server uses it on values clients send.
func CheckEncString(s string) error {
	_, err := ParseEncString(s)
	return err
}

// ValidEncString is CheckEncString as a boolean.
func ValidEncString(s string) bool { return CheckEncString(s) == nil }

// String formats e in the clients' text format, writing the fields its type has.
func (e EncString) String() string {
	parts := []string{b64(e.Data)}
	switch e.Type {
	case EncAESCBC256:
		parts = []string{b64(e.IV), b64(e.Data)}
	case EncAESCBC256HMAC:
		parts = []string{b64(e.IV), b64(e.Data), b64(e.MAC)}
	case EncRSAOAEPSHA256HMAC, EncRSAOAEPSHA1HMAC:
		parts = append(parts, b64(e.MAC))
	}
	return fmt.Sprintf("%d.%s", e.Type, strings.Join(parts, "|"))
}

// check enforces the sizes each type requires.
func (e EncString) check() error {
	isAES := e.Type == EncAESCBC256 || e.Type == EncAESCBC256HMAC
	withMAC := e.Type == EncAESCBC256HMAC || e.Type == EncRSAOAEPSHA256HMAC || e.Type == EncRSAOAEPSHA1HMAC
	switch {
	case isAES && len(e.IV) != ivSize:
		return fmt.Errorf("%w: iv must be %d bytes, got %d", ErrInvalidEncString, ivSize, len(e.IV))
	case withMAC && len(e.MAC) != macSize:
		return fmt.Errorf("%w: mac must be %d bytes, got %d", ErrInvalidEncString, macSize, len(e.MAC))
	case len(e.Data) == 0:
		return fmt.Errorf("%w: empty data", ErrInvalidEncString)
	case isAES && len(e.Data)%ivSize != 0:
		return fmt.Errorf("%w: ciphertext is not a whole number of blocks", ErrInvalidEncString)
	}
	return nil
}

// decodeB64 accepts only canonical padded standard base64: Go's decoder would otherwise skip
// line breaks and ignore non-zero trailing bits, letting one value have many spellings.
func decodeB64(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || b64(b) != s {
		return nil, errors.New("not canonical base64")
	}
	return b, nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
