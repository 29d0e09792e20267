package bwcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func testKey(t testing.TB) SymmetricKey {
	t.Helper()
	raw := make([]byte, 64)
	for i := range raw {
		raw[i] = byte(i)
	}
	k, err := SymmetricKeyFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The expected string was produced independently with Python's cryptography package.
func TestEncryptKnownAnswer(t *testing.T) {
	iv := make([]byte, 16)
	for i := range iv {
		iv[i] = byte(100 + i)
	}
	e, err := testKey(t).Encrypt(bytes.NewReader(iv), []byte("castellan"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "2.ZGVmZ2hpamtsbW5vcHFycw==|A+/Izqk2+vNTDjbPVQKKbQ==|" +
		"AZBF6+FRRoflOaS+hMTSx8jnnyjHC51nqE9LZVDJNYg="
	if got := e.String(); got != want {
		t.Errorf("Encrypt = %s, want %s", got, want)
	}
}

func TestSymmetricRoundTrip(t *testing.T) {
	k, err := NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 64, 1000} {
		pt := bytes.Repeat([]byte{'x'}, n)
		e, err := k.Encrypt(rand.Reader, pt)
		if err != nil {
			t.Fatal(err)
		}
		s := e.String()
		if err := CheckEncString(s); err != nil {
			t.Fatalf("len %d: CheckEncString(%s) = %v", n, s, err)
		}
		got, err := k.DecryptString(s)
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("len %d: round trip gave %q", n, got)
		}
	}
}

func TestDecryptRefusesTampering(t *testing.T) {
	k := testKey(t)
	e, err := k.Encrypt(rand.Reader, []byte("secret value"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte) []byte { c := bytes.Clone(b); c[0] ^= 1; return c }
	other, err := NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  SymmetricKey
		e    EncString
	}{
		{"mac flipped", k, EncString{Type: 2, IV: e.IV, Data: e.Data, MAC: flip(e.MAC)}},
		{"iv flipped", k, EncString{Type: 2, IV: flip(e.IV), Data: e.Data, MAC: e.MAC}},
		{"ciphertext flipped", k, EncString{Type: 2, IV: e.IV, Data: flip(e.Data), MAC: e.MAC}},
		{"wrong key", other, e},
		{"mac key swapped", SymmetricKey{Enc: k.Enc, Mac: other.Mac}, e},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.key.DecryptString(tt.e.String()); !errors.Is(err, ErrDecrypt) {
				t.Errorf("err = %v, want ErrDecrypt", err)
			}
		})
	}
}

// sealRaw encrypts whole blocks without adding padding and MACs them, to forge authenticated
// ciphertexts whose padding is wrong.
func sealRaw(t *testing.T, k SymmetricKey, pt []byte) EncString {
	t.Helper()
	block, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		t.Fatal(err)
	}
	iv, ct := make([]byte, 16), bytes.Clone(pt)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	return EncString{Type: EncAESCBC256HMAC, IV: iv, Data: ct, MAC: k.mac(iv, ct)}
}

// With a valid MAC, bad padding is still refused.
func TestDecryptPadding(t *testing.T) {
	k := testKey(t)
	body := bytes.Repeat([]byte{'a'}, 14)
	tests := []struct {
		name string
		last []byte
		want string // "" means refused
	}{
		{"valid two bytes", []byte{2, 2}, string(body)},
		{"valid one byte", []byte{'b', 1}, string(body) + "b"},
		{"zero", []byte{2, 0}, ""},
		{"longer than a block", bytes.Repeat([]byte{17}, 18), ""},
		{"inconsistent bytes", []byte{1, 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Decrypt(sealRaw(t, k, append(bytes.Clone(body), tt.last...)))
			switch {
			case tt.want == "" && !errors.Is(err, ErrDecrypt):
				t.Errorf("err = %v, want ErrDecrypt", err)
			case tt.want != "" && (err != nil || string(got) != tt.want):
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDecryptRefusesOtherTypes(t *testing.T) {
	k := testKey(t)
	legacy := "0." + b64(make([]byte, 16)) + "|" + b64(make([]byte, 32))
	if _, err := k.DecryptString(legacy); err == nil || errors.Is(err, ErrDecrypt) {
		t.Errorf("type 0: err = %v, want an unsupported-type error", err)
	}
}

func TestParseEncStringValid(t *testing.T) {
	iv, ct, mac := b64(make([]byte, 16)), b64(make([]byte, 32)), b64(make([]byte, 32))
	rsa := b64(make([]byte, 256))
	tests := []struct {
		s    string
		want EncType
	}{
		{"0." + iv + "|" + ct, EncAESCBC256},
		{"2." + iv + "|" + ct + "|" + mac, EncAESCBC256HMAC},
		{"3." + rsa, EncRSAOAEPSHA256},
		{"4." + rsa, EncRSAOAEPSHA1},
		{"5." + rsa + "|" + mac, EncRSAOAEPSHA256HMAC},
		{"6." + rsa + "|" + mac, EncRSAOAEPSHA1HMAC},
		{"7." + b64([]byte{0x83, 0x43, 0xa1, 0x01, 0x03}), EncCOSEEncrypt0},
	}
	for _, tt := range tests {
		e, err := ParseEncString(tt.s)
		if err != nil {
			t.Errorf("ParseEncString(%.12s…) = %v", tt.s, err)
			continue
		}
		if e.Type != tt.want || e.String() != tt.s {
			t.Errorf("type %d: parsed %d, formats back as %.20s…", tt.want, e.Type, e.String())
		}
		if !ValidEncString(tt.s) {
			t.Errorf("ValidEncString(type %d) = false", tt.want)
		}
	}
}

func TestParseEncStringMalformed(t *testing.T) {
	iv, ct, mac := b64(make([]byte, 16)), b64(make([]byte, 32)), b64(make([]byte, 32))
	rsa := b64(make([]byte, 256))
	unpadded := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte{1}), "=")
	tests := map[string]string{
		"empty":                  "",
		"no type":                iv + "|" + ct + "|" + mac,
		"type 1":                 "1." + iv + "|" + ct + "|" + mac,
		"type 8":                 "8." + rsa,
		"two-digit type":         "20." + iv + "|" + ct + "|" + mac,
		"letter type":            "a." + rsa,
		"type only":              "2.",
		"type 2 two parts":       "2." + iv + "|" + ct,
		"type 2 four parts":      "2." + iv + "|" + ct + "|" + mac + "|" + mac,
		"type 2 short iv":        "2." + b64(make([]byte, 15)) + "|" + ct + "|" + mac,
		"type 2 long iv":         "2." + b64(make([]byte, 17)) + "|" + ct + "|" + mac,
		"type 2 short mac":       "2." + iv + "|" + ct + "|" + b64(make([]byte, 31)),
		"type 2 empty ct":        "2." + iv + "||" + mac,
		"type 2 ragged ct":       "2." + iv + "|" + b64(make([]byte, 33)) + "|" + mac,
		"type 2 empty mac":       "2." + iv + "|" + ct + "|",
		"type 0 three parts":     "0." + iv + "|" + ct + "|" + mac,
		"type 4 two parts":       "4." + rsa + "|" + mac,
		"type 4 empty":           "4.",
		"type 6 short mac":       "6." + rsa + "|" + b64(make([]byte, 16)),
		"type 7 two parts":       "7." + rsa + "|" + mac,
		"bad base64":             "4.!!!!",
		"url-safe base64":        "4." + strings.ReplaceAll(b64([]byte{0xfb, 0xff}), "+", "-"),
		"unpadded base64":        "4." + unpadded,
		"newline in base64":      "4." + rsa[:8] + "\n" + rsa[8:],
		"non-zero trailing bits": "4.AB==",
		"second dot":             "2." + iv + "|" + ct + "|" + mac + ".x",
		"leading space":          " 4." + rsa,
		"trailing space":         "4." + rsa + " ",
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			if err := CheckEncString(s); !errors.Is(err, ErrInvalidEncString) {
				t.Errorf("CheckEncString = %v, want ErrInvalidEncString", err)
			}
			if ValidEncString(s) {
				t.Error("ValidEncString = true")
			}
		})
	}
}

func TestKeysAreRedacted(t *testing.T) {
	k := testKey(t)
	mk := MasterKey(k.Enc)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("test", "user_key", k, "master_key", mk)
	for _, out := range []string{
		logged.String(),
		fmt.Sprintf("%v %+v %#v %s %x %X %d %q", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v %#v %x %d", mk, mk, mk, mk),
		fmt.Sprintf("%v", &Account{UserKey: k, MasterPasswordHash: "SECRETHASH"}),
		fmt.Sprintf("%+v", Account{Key: "SECRETHASH"}),
	} {
		for _, leak := range []string{"000102", "1f", "[0 1 2", "SECRETHASH", "{0"} {
			if strings.Contains(out, leak) {
				t.Errorf("output %q contains %q", out, leak)
			}
		}
		if !strings.Contains(out, redacted) {
			t.Errorf("output %q is not masked", out)
		}
	}
}

func FuzzParseEncString(f *testing.F) {
	k := testKey(f)
	e, err := k.Encrypt(rand.Reader, []byte("seed"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		e.String(), "4." + b64(make([]byte, 256)), "0." + b64(make([]byte, 16)) + "|" + b64(make([]byte, 16)),
		"6." + b64([]byte{1}) + "|" + b64(make([]byte, 32)), "7.oA==", "2.||", "", ".", "2.a|b|c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEncString(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidEncString) {
				t.Fatalf("error %v does not wrap ErrInvalidEncString", err)
			}
			return
		}
		// Anything accepted is canonical: it formats back to the same text.
		if got := e.String(); got != s {
			t.Fatalf("ParseEncString(%q).String() = %q", s, got)
		}
		if e.Type == EncAESCBC256HMAC {
			_, _ = k.Decrypt(e) // must not panic
		}
	})
}
