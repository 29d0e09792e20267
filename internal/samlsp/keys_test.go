package samlsp

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
)

func TestGenerateKeys(t *testing.T) {
	fixtures(t)
	for name, kp := range map[string]KeyPair{"signing": spKeys.Signing, "encryption": spKeys.Encryption} {
		if kp.Key.N.BitLen() != KeyBits {
			t.Errorf("%s key has %d bits", name, kp.Key.N.BitLen())
		}
		if !kp.Cert.NotBefore.Equal(t0.Add(-time.Hour)) || !kp.Cert.NotAfter.Equal(t0.Add(KeyValidity)) {
			t.Errorf("%s certificate valid %s..%s", name, kp.Cert.NotBefore, kp.Cert.NotAfter)
		}
		if err := kp.Cert.CheckSignature(kp.Cert.SignatureAlgorithm, kp.Cert.RawTBSCertificate,
			kp.Cert.Signature); err != nil {
			t.Errorf("%s certificate is not self-signed: %v", name, err)
		}
	}
	if spKeys.Signing.Key.Equal(spKeys.Encryption.Key) {
		t.Fatal("signing and encryption keys are the same")
	}
}

func TestKeySetPEMRoundTrip(t *testing.T) {
	fixtures(t)
	for name, ks := range map[string]KeySet{
		"current only": {Current: spKeys},
		"overlap":      KeySet{Current: oldSPKeys}.Rotate(spKeys),
	} {
		t.Run(name, func(t *testing.T) {
			text, err := ks.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			if text.String() != "[redacted]" {
				t.Fatalf("the PEM prints as %q", text.String())
			}
			back, err := ParseKeySetPEM(text)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Current.Signing.Key.Equal(ks.Current.Signing.Key) ||
				!back.Current.Encryption.Cert.Equal(ks.Current.Encryption.Cert) ||
				(ks.Previous == nil) != (back.Previous == nil) ||
				(ks.Previous != nil && !back.Previous.Encryption.Key.Equal(ks.Previous.Encryption.Key)) {
				t.Fatal("round trip changed the key set")
			}
		})
	}
}

func TestRotateAndEndOverlap(t *testing.T) {
	fixtures(t)
	ks := KeySet{Current: oldSPKeys}.Rotate(spKeys)
	if !ks.Current.Signing.Key.Equal(spKeys.Signing.Key) || ks.Previous == nil ||
		!ks.Previous.Signing.Key.Equal(oldSPKeys.Signing.Key) {
		t.Fatal("rotate did not move current to previous")
	}
	if ks.EndOverlap().Previous != nil {
		t.Fatal("EndOverlap kept the previous keys")
	}
}

func TestParseKeySetPEMRefuses(t *testing.T) {
	fixtures(t)
	good, err := KeySet{Current: spKeys}.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	other, err := KeySet{Current: oldSPKeys}.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	// Swap the signing certificate for another key's: the pair no longer matches.
	goodBlocks := strings.SplitAfter(good.Reveal(), "-----END CERTIFICATE-----\n")
	otherBlocks := strings.SplitAfter(other.Reveal(), "-----END CERTIFICATE-----\n")
	mismatched := strings.Replace(good.Reveal(), certBlock(goodBlocks[0]), certBlock(otherBlocks[0]), 1)
	for name, text := range map[string]string{
		"empty":           "",
		"mismatched cert": mismatched,
		"no current":      strings.ReplaceAll(good.Reveal(), "Slot: current", "Slot: previous"),
		"unknown slot":    strings.Replace(good.Reveal(), "Slot: current", "Slot: next", 1),
		"trailing junk":   good.Reveal() + "junk",
		"duplicate block": good.Reveal() + goodBlocks[0],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseKeySetPEM(secret.String(text)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// certBlock returns the CERTIFICATE block at the end of a chunk of PEM text.
func certBlock(chunk string) string {
	return chunk[strings.Index(chunk, "-----BEGIN CERTIFICATE-----"):]
}

func TestKeyPairDoesNotPrintTheKey(t *testing.T) {
	fixtures(t)
	d := spKeys.Signing.Key.D.String()
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("keys", "pair", spKeys.Signing)
	for _, s := range []string{fmt.Sprint(spKeys.Signing), fmt.Sprintf("%+v", spKeys.Signing),
		fmt.Sprintf("%#v", spKeys.Signing), logged.String()} {
		if strings.Contains(s, d[:20]) {
			t.Fatalf("private key printed: %.80s", s)
		}
	}
}

func TestGenerateKeysNeedsRandomness(t *testing.T) {
	if _, err := GenerateKeys(strings.NewReader(""), t0, "x"); err == nil {
		t.Fatal("generated keys without a serial number source")
	}
	if _, err := GenerateKeys(rand.Reader, t0, "x"); err != nil {
		t.Fatal(err)
	}
}
