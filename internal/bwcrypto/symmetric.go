package bwcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// ErrDecrypt is returned when a ciphertext does not authenticate or decrypt under the given key.
// It deliberately says nothing more, so that it cannot serve as an oracle.
var ErrDecrypt = errors.New("decryption failed")

// SymmetricKey is a 64-byte Bitwarden key: AES-256-CBC key Enc and HMAC-SHA256 key Mac. User keys,
// org keys, cipher keys and the stretched master key all have this shape. It prints as "[redacted]".
type SymmetricKey struct {
	Enc [32]byte
	Mac [32]byte
}

// NewSymmetricKey returns a key of 64 bytes read from rand (a new user key or org key).
func NewSymmetricKey(rand io.Reader) (SymmetricKey, error) {
	var raw [64]byte
	if _, err := io.ReadFull(rand, raw[:]); err != nil {
		return SymmetricKey{}, fmt.Errorf("read random key: %w", err)
	}
	return SymmetricKeyFromBytes(raw[:])
}

// SymmetricKeyFromBytes splits 64 bytes (Enc then Mac) into a key.
func SymmetricKeyFromBytes(b []byte) (SymmetricKey, error) {
	var k SymmetricKey
	if len(b) != 64 {
		return k, fmt.Errorf("symmetric key must be 64 bytes, got %d", len(b))
	}
	copy(k.Enc[:], b[:32])
	copy(k.Mac[:], b[32:])
	return k, nil
}

// Bytes returns Enc followed by Mac, the form in which keys are wrapped and shared.
func (k SymmetricKey) Bytes() []byte {
	out := make([]byte, 0, 64)
	out = append(out, k.Enc[:]...)
	return append(out, k.Mac[:]...)
}

// Encrypt encrypts plaintext as a type 2 EncString: AES-256-CBC with PKCS#7 padding under a random
// IV, then HMAC-SHA256 over IV || ciphertext.
func (k SymmetricKey) Encrypt(rand io.Reader, plaintext []byte) (EncString, error) {
	iv := make([]byte, aes.BlockSize)
	if _, err := io.ReadFull(rand, iv); err != nil {
		return EncString{}, fmt.Errorf("read random iv: %w", err)
	}
	block, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		return EncString{}, fmt.Errorf("create aes cipher: %w", err)
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	ct := append(bytes.Clone(plaintext), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	return EncString{Type: EncAESCBC256HMAC, IV: iv, Data: ct, MAC: k.mac(iv, ct)}, nil
}

// Decrypt checks the MAC of a type 2 EncString in constant time and only then decrypts it.
func (k SymmetricKey) Decrypt(e EncString) ([]byte, error) {
	if e.Type != EncAESCBC256HMAC {
		return nil, fmt.Errorf("decrypt: want EncString type 2, got %d", e.Type)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	if !hmac.Equal(e.MAC, k.mac(e.IV, e.Data)) {
		return nil, ErrDecrypt
	}
	block, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		return nil, fmt.Errorf("create aes cipher: %w", err)
	}
	pt := make([]byte, len(e.Data))
	cipher.NewCBCDecrypter(block, e.IV).CryptBlocks(pt, e.Data)
	return unpad(pt)
}

// DecryptString parses s and decrypts it with Decrypt.
func (k SymmetricKey) DecryptString(s string) ([]byte, error) {
	e, err := ParseEncString(s)
	if err != nil {
		return nil, err
	}
	return k.Decrypt(e)
}

func (k SymmetricKey) mac(iv, ct []byte) []byte {
	h := hmac.New(sha256.New, k.Mac[:])
	h.Write(iv)
	h.Write(ct)
	return h.Sum(nil)
}

// unpad removes PKCS#7 padding. It runs only on authenticated data, so its early returns leak
// nothing an attacker could not already compute.
func unpad(pt []byte) ([]byte, error) {
	n := len(pt)
	if n == 0 {
		return nil, ErrDecrypt
	}
	pad := int(pt[n-1])
	if pad == 0 || pad > aes.BlockSize || pad > n {
		return nil, ErrDecrypt
	}
	for _, b := range pt[n-pad:] {
		if int(b) != pad {
			return nil, ErrDecrypt
		}
	}
	return pt[:n-pad], nil
}

// Format prints a mask for every verb, so the key never reaches a log through fmt.
func (SymmetricKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue masks the key for log/slog.
func (SymmetricKey) LogValue() slog.Value { return slog.StringValue(redacted) }
