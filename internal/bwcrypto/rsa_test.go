package bwcrypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"
)

func TestRSAKeyPairRoundTrip(t *testing.T) {
	priv, err := GenerateRSAKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if priv.N.BitLen() != RSAKeyBits || priv.E != 65537 {
		t.Fatalf("key is %d bits, e=%d", priv.N.BitLen(), priv.E)
	}
	pubB64, err := EncodePublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubB64)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&priv.PublicKey) {
		t.Fatal("parsed public key differs")
	}

	userKey := testKey(t)
	wrapped, err := WrapPrivateKey(rand.Reader, priv, userKey)
	if err != nil {
		t.Fatal(err)
	}
	if wrapped.Type != EncAESCBC256HMAC {
		t.Fatalf("wrapped private key has type %d", wrapped.Type)
	}
	got, err := UnwrapPrivateKey(wrapped.String(), userKey)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(priv) {
		t.Fatal("unwrapped private key differs")
	}
	other, err := NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnwrapPrivateKey(wrapped.String(), other); !errors.Is(err, ErrDecrypt) {
		t.Errorf("unwrap under another key: err = %v, want ErrDecrypt", err)
	}
}

func TestEncryptToPublicKey(t *testing.T) {
	priv, err := GenerateRSAKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	orgKey, err := NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubB64, err := EncodePublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := ShareKey(rand.Reader, orgKey, pubB64)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseEncString(shared)
	if err != nil || e.Type != EncRSAOAEPSHA1 || len(e.Data) != 256 {
		t.Fatalf("shared key %.10s… parsed as type %d, %d bytes, err %v", shared, e.Type, len(e.Data), err)
	}
	got, err := OpenSharedKey(priv, shared)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), orgKey.Bytes()) {
		t.Error("opened key differs")
	}

	stranger, err := GenerateRSAKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSharedKey(stranger, shared); !errors.Is(err, ErrDecrypt) {
		t.Errorf("open with another private key: err = %v, want ErrDecrypt", err)
	}
}

func TestDecryptWithPrivateKeyTypes(t *testing.T) {
	priv, err := GenerateRSAKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ct256, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, []byte("three"), nil)
	if err != nil {
		t.Fatal(err)
	}
	type3 := EncString{Type: EncRSAOAEPSHA256, Data: ct256}.String()
	if got, err := DecryptWithPrivateKey(priv, type3); err != nil || string(got) != "three" {
		t.Errorf("type 3: got %q, %v", got, err)
	}
	type6 := EncString{Type: EncRSAOAEPSHA1HMAC, Data: ct256, MAC: make([]byte, 32)}.String()
	if _, err := DecryptWithPrivateKey(priv, type6); err == nil {
		t.Error("type 6 was accepted")
	}
	type2, err := testKey(t).Encrypt(rand.Reader, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptWithPrivateKey(priv, type2.String()); err == nil {
		t.Error("type 2 was accepted")
	}
}

func TestParsePublicKeyRefusals(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, err := x509.MarshalPKIXPublicKey(&small.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"1024-bit rsa": b64(smallDER),
		"ecdsa":        b64(ecDER),
		"not base64":   "%%%",
		"not der":      b64([]byte("hello")),
		"empty":        "",
	} {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
