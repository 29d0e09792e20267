package testpeers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// KeyPair is a throwaway RSA key with a self-signed certificate, for TLS on loopback and
// for SAML signing/encryption in tests.
type KeyPair struct {
	Key     *rsa.PrivateKey
	Cert    *x509.Certificate
	CertPEM []byte // PEM "CERTIFICATE"
	KeyPEM  []byte // PEM "PRIVATE KEY" (PKCS #8)
}

// NewKeyPair makes a 2048-bit RSA key and a self-signed certificate for commonName, valid
// from an hour ago for a year. Each host becomes a SAN (IP address or DNS name).
func NewKeyPair(t testing.TB, commonName string, hosts ...string) *KeyPair {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("testpeers: generate RSA key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatalf("testpeers: serial: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testpeers: create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpeers: parse certificate: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testpeers: marshal key: %v", err)
	}
	return &KeyPair{
		Key:     key,
		Cert:    cert,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
}

// WriteFiles writes the certificate and key as <dir>/<name>.crt and <dir>/<name>.key
// (mode 0600) and returns both paths.
func (k *KeyPair) WriteFiles(t testing.TB, dir, name string) (certFile, keyFile string) {
	t.Helper()
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, k.CertPEM, 0o644); err != nil {
		t.Fatalf("testpeers: write %s: %v", certFile, err)
	}
	if err := os.WriteFile(keyFile, k.KeyPEM, 0o600); err != nil {
		t.Fatalf("testpeers: write %s: %v", keyFile, err)
	}
	return certFile, keyFile
}

// CertBase64 returns the certificate's DER in base64 without PEM armour, as SAML metadata
// and SimpleSAMLphp's certData want it.
func (k *KeyPair) CertBase64() string {
	return base64.StdEncoding.EncodeToString(k.Cert.Raw)
}
