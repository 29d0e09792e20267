package bwcrypto

import (
	"crypto/rsa"
	"crypto/sha1" // RSA-OAEP with SHA-1 is the clients' type 4; SHA-1 is fine inside OAEP.
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
)

// RSAKeyBits is the size of the account and organization key pairs the clients create.
const RSAKeyBits = 2048

// GenerateRSAKey creates an RSA-2048 key pair (e = 65537). Since Go 1.26 the standard library
// ignores rand here and always uses the system source; see the package doc.
func GenerateRSAKey(rand io.Reader) (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand, RSAKeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate rsa key: %w", err)
	}
	return k, nil
}

// EncodePublicKey returns the public key as the clients send it: base64 of DER SubjectPublicKeyInfo.
func EncodePublicKey(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// ParsePublicKey parses a base64 DER SubjectPublicKeyInfo and requires an RSA key of at least
// RSAKeyBits bits.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode public key: %w", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("parse public key: want rsa, got %T", pub)
	}
	if rsaPub.N.BitLen() < RSAKeyBits {
		return nil, fmt.Errorf("parse public key: %d-bit rsa key is too small", rsaPub.N.BitLen())
	}
	return rsaPub, nil
}

// WrapPrivateKey encrypts the PKCS#8 DER form of priv under key (the user key for an account, the
// org key for an organization) as a type 2 EncString.
func WrapPrivateKey(rand io.Reader, priv *rsa.PrivateKey, key SymmetricKey) (EncString, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return EncString{}, fmt.Errorf("marshal private key: %w", err)
	}
	return key.Encrypt(rand, der)
}

// UnwrapPrivateKey decrypts a private key wrapped by WrapPrivateKey (or by a client).
func UnwrapPrivateKey(enc string, key SymmetricKey) (*rsa.PrivateKey, error) {
	der, err := key.DecryptString(enc)
	if err != nil {
		return nil, fmt.Errorf("unwrap private key: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: want rsa, got %T", parsed)
	}
	return priv, nil
}

// EncryptToPublicKey encrypts msg to pub as a type 4 EncString (RSA-OAEP, SHA-1, MGF1-SHA-1, no
// label), the way the clients share an org key with a member.
func EncryptToPublicKey(rand io.Reader, pub *rsa.PublicKey, msg []byte) (EncString, error) {
	ct, err := rsa.EncryptOAEP(sha1.New(), rand, pub, msg, nil)
	if err != nil {
		return EncString{}, fmt.Errorf("rsa encrypt: %w", err)
	}
	return EncString{Type: EncRSAOAEPSHA1, Data: ct}, nil
}

// DecryptWithPrivateKey decrypts a type 4 (or type 3, OAEP-SHA256) EncString. The deprecated
// types 5 and 6 are refused.
func DecryptWithPrivateKey(priv *rsa.PrivateKey, enc string) ([]byte, error) {
	e, err := ParseEncString(enc)
	if err != nil {
		return nil, err
	}
	var h hash.Hash
	switch e.Type {
	case EncRSAOAEPSHA1:
		h = sha1.New()
	case EncRSAOAEPSHA256:
		h = sha256.New()
	default:
		return nil, fmt.Errorf("rsa decrypt: want EncString type 3 or 4, got %d", e.Type)
	}
	pt, err := rsa.DecryptOAEP(h, nil, priv, e.Data, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// ShareKey wraps a symmetric key (an org key) to a member's base64 public key, giving the "4."
// string the confirm request and the member's organization `key` carry.
func ShareKey(rand io.Reader, key SymmetricKey, publicKey string) (string, error) {
	pub, err := ParsePublicKey(publicKey)
	if err != nil {
		return "", err
	}
	e, err := EncryptToPublicKey(rand, pub, key.Bytes())
	if err != nil {
		return "", err
	}
	return e.String(), nil
}

// OpenSharedKey is the reverse of ShareKey.
func OpenSharedKey(priv *rsa.PrivateKey, enc string) (SymmetricKey, error) {
	raw, err := DecryptWithPrivateKey(priv, enc)
	if err != nil {
		return SymmetricKey{}, fmt.Errorf("open shared key: %w", err)
	}
	return SymmetricKeyFromBytes(raw)
}
