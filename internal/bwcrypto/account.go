package bwcrypto

import (
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
)

// Account holds what registration sends (the string fields) and the plain keys behind them.
// It prints as "[redacted]" because most of it is secret.
type Account struct {
	Email               string // normalised; also the KDF salt
	KDF                 KDF
	MasterPasswordHash  string // base64; sent as masterPasswordHash / password
	Key                 string // user key under the stretched master key, "2." (userSymmetricKey)
	PublicKey           string // base64 DER SPKI
	EncryptedPrivateKey string // PKCS#8 private key under the user key, "2."

	UserKey    SymmetricKey
	PrivateKey *rsa.PrivateKey
}

// NewAccount builds every secret a registration needs from the e-mail address and password: the
// master password hash, a fresh user key wrapped under the stretched master key, and a fresh RSA
// key pair whose private key is wrapped under the user key.
func NewAccount(email, password string, kdf KDF, rand io.Reader) (*Account, error) {
	mk, err := DeriveMasterKey(password, email, kdf)
	if err != nil {
		return nil, fmt.Errorf("new account: %w", err)
	}
	a := &Account{Email: NormalizeSalt(email), KDF: kdf}
	if a.MasterPasswordHash, err = mk.Hash(password); err != nil {
		return nil, err
	}
	if a.UserKey, err = NewSymmetricKey(rand); err != nil {
		return nil, fmt.Errorf("new account: %w", err)
	}
	wrapped, err := mk.WrapUserKey(rand, a.UserKey)
	if err != nil {
		return nil, fmt.Errorf("new account: wrap user key: %w", err)
	}
	a.Key = wrapped.String()
	if a.PrivateKey, err = GenerateRSAKey(rand); err != nil {
		return nil, fmt.Errorf("new account: %w", err)
	}
	if err := a.fillKeyPairStrings(rand); err != nil {
		return nil, fmt.Errorf("new account: %w", err)
	}
	return a, nil
}

func (a *Account) fillKeyPairStrings(rand io.Reader) error {
	pub, err := EncodePublicKey(&a.PrivateKey.PublicKey)
	if err != nil {
		return err
	}
	wrapped, err := WrapPrivateKey(rand, a.PrivateKey, a.UserKey)
	if err != nil {
		return fmt.Errorf("wrap private key: %w", err)
	}
	a.PublicKey, a.EncryptedPrivateKey = pub, wrapped.String()
	return nil
}

// UnlockAccount recovers an account's keys from the e-mail address, password and KDF together
// with the account's Key and encrypted private key, as a client does after login. A wrong password
// fails with an error wrapping ErrDecrypt.
func UnlockAccount(email, password string, kdf KDF, key, encryptedPrivateKey string) (*Account, error) {
	mk, err := DeriveMasterKey(password, email, kdf)
	if err != nil {
		return nil, fmt.Errorf("unlock account: %w", err)
	}
	a := &Account{
		Email: NormalizeSalt(email), KDF: kdf, Key: key, EncryptedPrivateKey: encryptedPrivateKey,
	}
	if a.MasterPasswordHash, err = mk.Hash(password); err != nil {
		return nil, err
	}
	if a.UserKey, err = mk.UnwrapUserKey(key); err != nil {
		return nil, fmt.Errorf("unlock account: %w", err)
	}
	if a.PrivateKey, err = UnwrapPrivateKey(encryptedPrivateKey, a.UserKey); err != nil {
		return nil, fmt.Errorf("unlock account: %w", err)
	}
	if a.PublicKey, err = EncodePublicKey(&a.PrivateKey.PublicKey); err != nil {
		return nil, fmt.Errorf("unlock account: %w", err)
	}
	return a, nil
}

// OpenSharedKey decrypts a key shared with this account (an org key, "4.") with its private key.
func (a *Account) OpenSharedKey(enc string) (SymmetricKey, error) {
	return OpenSharedKey(a.PrivateKey, enc)
}

// Format prints a mask for every verb: an Account is mostly secrets.
func (Account) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue masks the account for log/slog.
func (Account) LogValue() slog.Value { return slog.StringValue(redacted) }
