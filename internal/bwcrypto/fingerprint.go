package bwcrypto

import (
	"crypto/hkdf"
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
)

//go:embed eff_large_wordlist.txt
var effWordlistText string

// effWordlistSize is the length of the EFF large wordlist (6^5 dice rolls).
const effWordlistSize = 7776

// fingerprintWords is how many words the clients show: enough for 64 bits of entropy at
// log2(7776) ≈ 12.9 bits per word, i.e. ceil(64 / 12.9) = 5.
const fingerprintWords = 5

// effWordlist parses the embedded list once; it is read-only afterwards.
var effWordlist = sync.OnceValues(func() ([]string, error) {
	var words []string
	for line := range strings.Lines(effWordlistText) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			words = append(words, line)
		}
	}
	if len(words) != effWordlistSize {
		return nil, fmt.Errorf("eff wordlist has %d words, want %d", len(words), effWordlistSize)
	}
	return words, nil
})

// FingerprintPhrase returns the phrase the clients show for a public key, such as
// "turban-deftly-anime-chatroom-unselfish" (`bw get fingerprint`, the member confirm dialog).
// material is the user id for account keys (the organization id for org keys) and publicKeyDER
// is the DER SubjectPublicKeyInfo exactly as the server hands it out (base64-decoded).
//
// The clients compute HKDF-Expand-SHA256(PRK = SHA-256(publicKeyDER), info = material, 32 bytes),
// read the result as a big-endian integer and take 5 base-7776 digits, least significant first,
// as indexes into the EFF large wordlist. (The SDK passes the DER key itself as the HKDF key; that
// is the same thing, because HMAC replaces a key longer than its block by the key's SHA-256.)
func FingerprintPhrase(material string, publicKeyDER []byte) (string, error) {
	if len(publicKeyDER) == 0 {
		return "", errors.New("fingerprint: empty public key")
	}
	words, err := effWordlist()
	if err != nil {
		return "", err
	}
	keyHash := sha256.Sum256(publicKeyDER)
	okm, err := hkdf.Expand(sha256.New, keyHash[:], material, 32)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	n := new(big.Int).SetBytes(okm)
	base := big.NewInt(int64(len(words)))
	digit := new(big.Int)
	phrase := make([]string, fingerprintWords)
	for i := range phrase {
		n.DivMod(n, base, digit)
		phrase[i] = words[digit.Int64()]
	}
	return strings.Join(phrase, "-"), nil
}
