package bwcrypto

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Public key and expected phrase from the Bitwarden SDK's fingerprint test.
const sdkFingerprintKey = "" +
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuyYs8W7NWf0Zv35Ueco93730dtRKi4Jhc6Snar+86drE+ruSfaCW" +
	"McbgsAoAj2Pm6KAzaJrTIVCqBERQ23OncpzjfcGAeyf+v3w/gSw/EjihMJ4AG5ICY4hLFYcGdgwa+7is+TVO0i6PEWjKQa3l" +
	"2+mQo2XY7pg2ngHDMssV4gxSqq+qoBX3+FBhewCYdOV+3cebwsAzz7HwoFTxKViwNW8crbHonhZPhZgfIAzEkzo5MvzQg5az" +
	"hLKW6vuPfaOQFC5HqPykVnh8OPzO0uzUi3+97CguAu4N2CgwVYXltZuw2fGamdVw3kjbxQPbOE1tL0j7gyTwYKkfUl2m8gMh" +
	"1QIDAQAB"

func TestFingerprintPhraseVector(t *testing.T) {
	der, err := base64.StdEncoding.DecodeString(sdkFingerprintKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FingerprintPhrase("a09726a0-9590-49d1-a5f5-afe300b6a515", der)
	if err != nil {
		t.Fatal(err)
	}
	if want := "turban-deftly-anime-chatroom-unselfish"; got != want {
		t.Errorf("FingerprintPhrase = %q, want %q", got, want)
	}
	// The material (user id) is part of the input: another id gives another phrase.
	other, err := FingerprintPhrase("b09726a0-9590-49d1-a5f5-afe300b6a515", der)
	if err != nil {
		t.Fatal(err)
	}
	if other == got || len(strings.Split(other, "-")) != fingerprintWords {
		t.Errorf("phrase for another id = %q", other)
	}
}

func TestFingerprintPhraseRefusesEmptyKey(t *testing.T) {
	if _, err := FingerprintPhrase("id", nil); err == nil {
		t.Error("want an error for an empty public key")
	}
}

func TestEFFWordlist(t *testing.T) {
	words, err := effWordlist()
	if err != nil {
		t.Fatal(err)
	}
	if words[0] != "abacus" || words[len(words)-1] != "zoom" {
		t.Errorf("first/last word = %q/%q", words[0], words[len(words)-1])
	}
	seen := make(map[string]bool, len(words))
	for i, w := range words {
		if seen[w] || (i > 0 && w <= words[i-1]) {
			t.Fatalf("word %d %q is a duplicate or out of order", i, w)
		}
		seen[w] = true
	}
}
