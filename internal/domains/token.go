package domains

import (
	"fmt"
	"io"
)

// TokenPrefix starts every verification value, as in the official server: the administrator
// publishes a TXT record "bw=..." at the claimed name itself.
const TokenPrefix = "bw="

// tokenLength is the number of random characters after the prefix (44, as the official server).
const tokenLength = 44

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewToken returns a fresh verification value: "bw=" and 44 characters drawn uniformly from letters
// and digits (about 262 bits), read from random. The value is published in DNS, so it is no secret;
// its randomness only keeps one organization from guessing another's value.
func NewToken(random io.Reader) (string, error) {
	out := make([]byte, 0, len(TokenPrefix)+tokenLength)
	out = append(out, TokenPrefix...)
	// Rejection sampling: bytes of 248 and above are dropped so that every character is equally
	// likely (248 = 4 × 62).
	const limit = 256 - 256%len(tokenAlphabet)
	buf := make([]byte, 64)
	for len(out) < cap(out) {
		if _, err := io.ReadFull(random, buf); err != nil {
			return "", fmt.Errorf("read randomness for the verification value: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < cap(out) {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out), nil
}
