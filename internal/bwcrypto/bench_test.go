package bwcrypto

import (
	"crypto/rand"
	"testing"
)

func benchmarkDerive(b *testing.B, kdf KDF) {
	for b.Loop() {
		if _, err := DeriveMasterKey("Master-Password-1!", "admin@example.com", kdf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDerivePBKDF2Default measures the default 600,000-iteration PBKDF2 (one login).
func BenchmarkDerivePBKDF2Default(b *testing.B) { benchmarkDerive(b, DefaultKDF()) }

// BenchmarkDeriveArgon2idDefault measures the default Argon2id settings (6 passes, 32 MiB, 4 lanes).
func BenchmarkDeriveArgon2idDefault(b *testing.B) { benchmarkDerive(b, DefaultArgon2id()) }

func BenchmarkEncryptDecrypt1KiB(b *testing.B) {
	k := testKey(b)
	pt := make([]byte, 1024)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		e, err := k.Encrypt(rand.Reader, pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Decrypt(e); err != nil {
			b.Fatal(err)
		}
	}
}
