package bwcrypto

import (
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"golang.org/x/crypto/argon2"
)

// KDFKind is the key derivation function of an account, numbered as on the wire (`kdf`, `kdfType`).
type KDFKind int

// The KDF kinds the clients know.
const (
	KDFPBKDF2   KDFKind = 0
	KDFArgon2id KDFKind = 1
)

// Limits on KDF settings. The minimums are the ones the clients enforce; the maximums are ours, to
// keep a hostile or mistaken setting from making every login take minutes or gigabytes.
const (
	PBKDF2MinIterations   = 5000
	PBKDF2MaxIterations   = 2_000_000
	Argon2MinIterations   = 2
	Argon2MaxIterations   = 10
	Argon2MinMemoryMiB    = 16
	Argon2MaxMemoryMiB    = 1024
	Argon2MinParallelism  = 1
	Argon2MaxParallelism  = 16
	defaultPBKDF2Iter     = 600_000
	defaultArgon2Iter     = 6
	defaultArgon2MemMiB   = 32
	defaultArgon2Parallel = 4
)

// ErrInvalidKDF is wrapped by every error from KDF.Validate.
var ErrInvalidKDF = errors.New("invalid kdf settings")

// KDF holds an account's key derivation settings. MemoryMiB and Parallelism are used by Argon2id
// only and ignored for PBKDF2.
type KDF struct {
	Kind        KDFKind
	Iterations  int
	MemoryMiB   int
	Parallelism int
}

// DefaultKDF returns the clients' default for new accounts: PBKDF2-SHA256 with 600,000 iterations.
func DefaultKDF() KDF {
	return KDF{Kind: KDFPBKDF2, Iterations: defaultPBKDF2Iter}
}

// DefaultArgon2id returns the clients' default Argon2id settings: 6 iterations, 32 MiB, 4 lanes.
func DefaultArgon2id() KDF {
	return KDF{
		Kind: KDFArgon2id, Iterations: defaultArgon2Iter,
		MemoryMiB: defaultArgon2MemMiB, Parallelism: defaultArgon2Parallel,
	}
}

// Validate reports whether k is within the clients' minimums and castellan's maximums.
func (k KDF) Validate() error {
	switch k.Kind {
	case KDFPBKDF2:
		return checkRange("pbkdf2 iterations", k.Iterations, PBKDF2MinIterations, PBKDF2MaxIterations)
	case KDFArgon2id:
		if err := checkRange("argon2id iterations", k.Iterations,
			Argon2MinIterations, Argon2MaxIterations); err != nil {
			return err
		}
		if err := checkRange("argon2id memory (MiB)", k.MemoryMiB,
			Argon2MinMemoryMiB, Argon2MaxMemoryMiB); err != nil {
			return err
		}
		return checkRange("argon2id parallelism", k.Parallelism,
			Argon2MinParallelism, Argon2MaxParallelism)
	default:
		return fmt.Errorf("%w: unknown kdf type %d", ErrInvalidKDF, k.Kind)
	}
}

func checkRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%w: %s must be between %d and %d, got %d", ErrInvalidKDF, name, lo, hi, v)
	}
	return nil
}

// NormalizeSalt turns an e-mail address into the KDF salt: surrounding white space removed and
// lower-cased. The server must send exactly this string as the unlock salt.
func NormalizeSalt(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// MasterKey is the 32-byte key derived from the master password. It prints as "[redacted]".
type MasterKey [32]byte

// DeriveMasterKey derives the master key from the password and the salt (the e-mail address,
// which is normalised here first) with the given KDF settings.
func DeriveMasterKey(password, salt string, kdf KDF) (MasterKey, error) {
	var mk MasterKey
	if err := kdf.Validate(); err != nil {
		return mk, err
	}
	saltBytes := []byte(NormalizeSalt(salt))
	switch kdf.Kind {
	case KDFPBKDF2:
		key, err := pbkdf2.Key(sha256.New, password, saltBytes, kdf.Iterations, len(mk))
		if err != nil {
			return mk, fmt.Errorf("derive master key: %w", err)
		}
		copy(mk[:], key)
	case KDFArgon2id:
		// The clients hash the salt first, so that any salt length meets Argon2's rules.
		hashedSalt := sha256.Sum256(saltBytes)
		key := argon2.IDKey([]byte(password), hashedSalt[:], uint32(kdf.Iterations),
			uint32(kdf.MemoryMiB)*1024, uint8(kdf.Parallelism), uint32(len(mk)))
		copy(mk[:], key)
	}
	return mk, nil
}

// Hash returns the master password hash the clients send to the server as `password` and
// `masterPasswordHash`: base64(PBKDF2-SHA256(key = master key, salt = password, 1 iteration)).
// It is a secret: the server must hash it again before storing it.
func (m MasterKey) Hash(password string) (string, error) {
	h, err := pbkdf2.Key(sha256.New, string(m[:]), []byte(password), 1, 32)
	if err != nil {
		return "", fmt.Errorf("derive master password hash: %w", err)
	}
	return base64.StdEncoding.EncodeToString(h), nil
}

// Stretch expands the master key into the 64-byte key that wraps the user key. It is
// HKDF-Expand-SHA256 with info "enc" and "mac" (no extract step), 32 bytes each.
func (m MasterKey) Stretch() (SymmetricKey, error) {
	var k SymmetricKey
	enc, err := hkdf.Expand(sha256.New, m[:], "enc", 32)
	if err != nil {
		return k, fmt.Errorf("stretch master key: %w", err)
	}
	mac, err := hkdf.Expand(sha256.New, m[:], "mac", 32)
	if err != nil {
		return k, fmt.Errorf("stretch master key: %w", err)
	}
	copy(k.Enc[:], enc)
	copy(k.Mac[:], mac)
	return k, nil
}

// WrapUserKey encrypts the user key under the stretched master key, giving the account's `Key`.
func (m MasterKey) WrapUserKey(rand io.Reader, userKey SymmetricKey) (EncString, error) {
	stretched, err := m.Stretch()
	if err != nil {
		return EncString{}, err
	}
	return stretched.Encrypt(rand, userKey.Bytes())
}

// UnwrapUserKey decrypts an account's `Key` (a type 2 EncString) with the stretched master key.
func (m MasterKey) UnwrapUserKey(key string) (SymmetricKey, error) {
	stretched, err := m.Stretch()
	if err != nil {
		return SymmetricKey{}, err
	}
	raw, err := stretched.DecryptString(key)
	if err != nil {
		return SymmetricKey{}, fmt.Errorf("unwrap user key: %w", err)
	}
	return SymmetricKeyFromBytes(raw)
}

// Format prints a mask for every verb, so the key never reaches a log through fmt.
func (MasterKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue masks the key for log/slog.
func (MasterKey) LogValue() slog.Value { return slog.StringValue(redacted) }

const redacted = "[redacted]"
