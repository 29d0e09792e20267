package bwcrypto

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"testing"
)

func TestNewAccountUnlockRoundTrip(t *testing.T) {
	for name, kdf := range map[string]KDF{
		"pbkdf2":   pbkdf2KDF(PBKDF2MinIterations),
		"argon2id": argon2KDF(Argon2MinIterations, Argon2MinMemoryMiB, 1),
	} {
		t.Run(name, func(t *testing.T) {
			a, err := NewAccount(" New.User@Example.com", "pa55word!", kdf, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if a.Email != "new.user@example.com" {
				t.Errorf("Email = %q", a.Email)
			}
			wrapped := map[string]string{"Key": a.Key, "EncryptedPrivateKey": a.EncryptedPrivateKey}
			for field, s := range wrapped {
				if e, err := ParseEncString(s); err != nil || e.Type != EncAESCBC256HMAC {
					t.Errorf("%s: type %d, err %v", field, e.Type, err)
				}
			}
			if _, err := ParsePublicKey(a.PublicKey); err != nil {
				t.Errorf("PublicKey: %v", err)
			}

			u, err := UnlockAccount("new.user@example.com", "pa55word!", kdf, a.Key, a.EncryptedPrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			if u.MasterPasswordHash != a.MasterPasswordHash || u.PublicKey != a.PublicKey ||
				!bytes.Equal(u.UserKey.Bytes(), a.UserKey.Bytes()) || !u.PrivateKey.Equal(a.PrivateKey) {
				t.Error("unlocked account differs from the new one")
			}

			_, err = UnlockAccount(a.Email, "pa55word?", kdf, a.Key, a.EncryptedPrivateKey)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("wrong password: err = %v, want ErrDecrypt", err)
			}
		})
	}
}

// The hash NewAccount sends must be the one the official CLI sent for the same credentials.
func TestNewAccountHashMatchesCLI(t *testing.T) {
	a, err := NewAccount("Admin@Example.com ", "Master-Password-1!", DefaultKDF(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if want := "mI41vUaipWAE6w3SpDmnxkT8Pus+2RSsQSv9ygyw9Wk="; a.MasterPasswordHash != want {
		t.Errorf("MasterPasswordHash = %s, want %s", a.MasterPasswordHash, want)
	}
}

func TestAccountOrgKeyAndFingerprint(t *testing.T) {
	a, err := NewAccount("member@example.com", "pw", pbkdf2KDF(PBKDF2MinIterations), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	orgKey, err := NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	confirmKey, err := ShareKey(rand.Reader, orgKey, a.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.OpenSharedKey(confirmKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), orgKey.Bytes()) {
		t.Error("org key differs after sharing")
	}
	der, err := base64.StdEncoding.DecodeString(a.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FingerprintPhrase("3f0c8d4e-0000-4000-8000-000000000001", der); err != nil {
		t.Error(err)
	}
}

func TestNewAccountErrors(t *testing.T) {
	_, err := NewAccount("a@example.com", "pw", pbkdf2KDF(100), rand.Reader)
	if !errors.Is(err, ErrInvalidKDF) {
		t.Errorf("weak kdf: err = %v, want ErrInvalidKDF", err)
	}
	short := io.LimitReader(rand.Reader, 10)
	if _, err := NewAccount("a@example.com", "pw", pbkdf2KDF(PBKDF2MinIterations), short); err == nil {
		t.Error("exhausted random source: want an error")
	}
}
