package samlsp

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
)

// KeyBits is the size of the SP's RSA keys.
const KeyBits = 2048

// KeyValidity is how long a generated SP certificate is valid. The certificates only carry the
// public keys (IdPs that check their dates, such as AD FS, warn as the end nears); rotate well
// before it ends.
const KeyValidity = 5 * 365 * 24 * time.Hour

// KeyPair is an RSA private key with its self-signed certificate. It prints as a mask.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// String masks the private key and names the certificate.
func (k KeyPair) String() string {
	if k.Cert == nil {
		return "samlsp.KeyPair{[redacted]}"
	}
	return fmt.Sprintf("samlsp.KeyPair{cert serial %s, key [redacted]}", k.Cert.SerialNumber)
}

// GoString masks the private key for %#v.
func (k KeyPair) GoString() string { return k.String() }

// LogValue masks the private key for log/slog.
func (k KeyPair) LogValue() slog.Value { return slog.StringValue(k.String()) }

// SPKeys are one generation of an organization's SP keys: one pair to sign AuthnRequests and
// logout messages, one pair the IdP encrypts assertions to. They are kept apart so that either can
// be replaced on its own.
type SPKeys struct {
	Signing    KeyPair
	Encryption KeyPair
}

// KeySet holds the current SP keys and, while a rotation overlaps, the previous ones: the SP
// decrypts with either, signs with the current key only, and its metadata lists both so that an IdP
// holding either copy of the metadata keeps working.
type KeySet struct {
	Current  SPKeys
	Previous *SPKeys
}

// GenerateKeys makes a new generation of SP keys: two RSA-2048 keys with self-signed certificates
// valid from an hour before now (for clock skew at the IdP) for KeyValidity. random supplies the
// serial numbers; since Go 1.26 RSA key generation ignores it and always uses the system source.
func GenerateKeys(random io.Reader, now time.Time, commonName string) (SPKeys, error) {
	signing, err := generateKeyPair(random, now, commonName+" (signing)")
	if err != nil {
		return SPKeys{}, fmt.Errorf("generate signing key: %w", err)
	}
	encryption, err := generateKeyPair(random, now, commonName+" (encryption)")
	if err != nil {
		return SPKeys{}, fmt.Errorf("generate encryption key: %w", err)
	}
	return SPKeys{Signing: signing, Encryption: encryption}, nil
}

func generateKeyPair(random io.Reader, now time.Time, commonName string) (KeyPair, error) {
	key, err := rsa.GenerateKey(random, KeyBits)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generate rsa key: %w", err)
	}
	serialBytes := make([]byte, 16)
	if _, err := io.ReadFull(random, serialBytes); err != nil {
		return KeyPair{}, fmt.Errorf("read serial number: %w", err)
	}
	serialBytes[0] &= 0x7f // positive
	template := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(serialBytes),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour).UTC().Truncate(time.Second),
		NotAfter:              now.Add(KeyValidity).UTC().Truncate(time.Second),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(random, template, template, &key.PublicKey, key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, fmt.Errorf("parse certificate: %w", err)
	}
	return KeyPair{Key: key, Cert: cert}, nil
}

// Rotate returns a set whose current keys are next and whose previous keys are the current ones.
// Any older previous keys are dropped.
func (ks KeySet) Rotate(next SPKeys) KeySet {
	current := ks.Current
	return KeySet{Current: next, Previous: &current}
}

// EndOverlap returns the set without its previous keys, once every IdP has the new metadata.
func (ks KeySet) EndOverlap() KeySet { return KeySet{Current: ks.Current} }

// validate checks that every key pair is complete and that each certificate is for its key.
func (ks KeySet) validate() error {
	sets := []SPKeys{ks.Current}
	if ks.Previous != nil {
		sets = append(sets, *ks.Previous)
	}
	for _, s := range sets {
		for _, kp := range []KeyPair{s.Signing, s.Encryption} {
			if kp.Key == nil || kp.Cert == nil {
				return errors.New("key set has a missing key or certificate")
			}
			pub, ok := kp.Cert.PublicKey.(*rsa.PublicKey)
			if !ok || !pub.Equal(&kp.Key.PublicKey) {
				return errors.New("key set has a certificate that does not match its key")
			}
		}
	}
	return nil
}

// PEM block types and headers of a serialized KeySet.
const (
	pemKeyType   = "PRIVATE KEY"
	pemCertType  = "CERTIFICATE"
	pemHeaderUse = "Use"  // signing or encryption
	pemHeaderGen = "Slot" // current or previous
)

// MarshalPEM serializes the set, private keys included (PKCS#8), for storage. The result is a
// secret: store it encrypted at rest if the storage layer offers that.
func (ks KeySet) MarshalPEM() (secret.String, error) {
	if err := ks.validate(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	write := func(slot string, keys SPKeys) error {
		for _, item := range []struct {
			use string
			kp  KeyPair
		}{{"signing", keys.Signing}, {"encryption", keys.Encryption}} {
			der, err := x509.MarshalPKCS8PrivateKey(item.kp.Key)
			if err != nil {
				return fmt.Errorf("marshal %s key: %w", item.use, err)
			}
			headers := map[string]string{pemHeaderUse: item.use, pemHeaderGen: slot}
			cert := item.kp.Cert.Raw
			_ = pem.Encode(&buf, &pem.Block{Type: pemKeyType, Headers: headers, Bytes: der})
			_ = pem.Encode(&buf, &pem.Block{Type: pemCertType, Headers: headers, Bytes: cert})
		}
		return nil
	}
	if err := write("current", ks.Current); err != nil {
		return "", err
	}
	if ks.Previous != nil {
		if err := write("previous", *ks.Previous); err != nil {
			return "", err
		}
	}
	return secret.String(buf.String()), nil
}

// ParseKeySetPEM reads a set written by MarshalPEM.
func ParseKeySetPEM(data secret.String) (*KeySet, error) {
	slots := map[string]*SPKeys{}
	rest := []byte(data.Reveal())
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		slot, use := block.Headers[pemHeaderGen], block.Headers[pemHeaderUse]
		if slot != "current" && slot != "previous" {
			return nil, fmt.Errorf("key set pem block has unknown slot %q", slot)
		}
		if slots[slot] == nil {
			slots[slot] = &SPKeys{}
		}
		kp, err := slotPair(slots[slot], use)
		if err != nil {
			return nil, err
		}
		if err := fillPair(kp, block); err != nil {
			return nil, err
		}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("key set has trailing data that is not pem")
	}
	if slots["current"] == nil {
		return nil, errors.New("key set has no current keys")
	}
	ks := &KeySet{Current: *slots["current"], Previous: slots["previous"]}
	if err := ks.validate(); err != nil {
		return nil, err
	}
	return ks, nil
}

func slotPair(keys *SPKeys, use string) (*KeyPair, error) {
	switch use {
	case "signing":
		return &keys.Signing, nil
	case "encryption":
		return &keys.Encryption, nil
	}
	return nil, fmt.Errorf("key set pem block has unknown use %q", use)
}

func fillPair(kp *KeyPair, block *pem.Block) error {
	switch block.Type {
	case pemKeyType:
		if kp.Key != nil {
			return errors.New("key set has a duplicate key")
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("parse key set private key: %w", err)
		}
		rsaKey, ok := key.(*rsa.PrivateKey)
		if !ok {
			return errors.New("key set private key is not rsa")
		}
		kp.Key = rsaKey
	case pemCertType:
		if kp.Cert != nil {
			return errors.New("key set has a duplicate certificate")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("parse key set certificate: %w", err)
		}
		kp.Cert = cert
	default:
		return fmt.Errorf("key set has unknown pem block type %q", block.Type)
	}
	return nil
}
