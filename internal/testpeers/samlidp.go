package testpeers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/crewjam/saml/samlidp"
)

// SamlIDP is crewjam/saml's samlidp served in-process by an httptest server on 127.0.0.1.
// It encrypts the assertion whenever the SP metadata has an encryption key, and names
// attributes by OID (mail, cn, uid, eduPersonAffiliation for groups, ...).
type SamlIDP struct {
	URL         string // base URL
	MetadataURL string // URL + /metadata
	SSOURL      string // URL + /sso
	KeyPair     *KeyPair
	Server      *samlidp.Server
	client      *http.Client
}

// StartSamlIDP starts samlidp with a fresh signing key and DefaultSAMLUsers registered.
// Its log goes to <tempdir>/samlidp.log, printed when the test fails.
func StartSamlIDP(t testing.TB) *SamlIDP {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "samlidp.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testpeers: create samlidp log: %v", err)
	}
	t.Cleanup(func() {
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("testpeers: samlidp log (%s):\n%s", logPath, b)
		}
	})
	logger := log.New(logFile, "samlidp ", log.LstdFlags|log.Lmicroseconds)
	ts := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1:0 already
	ts.Config.ErrorLog = logger
	base, err := url.Parse("http://" + ts.Listener.Addr().String())
	if err != nil {
		t.Fatalf("testpeers: samlidp URL: %v", err)
	}
	kp := NewKeyPair(t, "samlidp-test")
	srv, err := samlidp.New(samlidp.Options{URL: *base, Key: kp.Key, Certificate: kp.Cert,
		Store: &samlidp.MemoryStore{}, Logger: logger})
	if err != nil {
		t.Fatalf("testpeers: samlidp.New: %v", err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	s := &SamlIDP{URL: base.String(), MetadataURL: base.String() + "/metadata",
		SSOURL: base.String() + "/sso", KeyPair: kp, Server: srv, client: ts.Client()}
	for _, u := range DefaultSAMLUsers() {
		if err := s.AddUser(t.Context(), u); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
	}
	return s
}

// AddUser creates or replaces a user through samlidp's admin API.
func (s *SamlIDP) AddUser(ctx context.Context, u SAMLUser) error {
	body, err := json.Marshal(map[string]any{
		"name": u.Name, "password": u.Password, "email": u.Email, "groups": u.Groups,
		"common_name": u.CommonName, "given_name": u.GivenName, "surname": u.Surname,
	})
	if err != nil {
		return fmt.Errorf("samlidp: encode user: %w", err)
	}
	return s.put(ctx, "/users/"+url.PathEscape(u.Name), "application/json", body)
}

// AddServiceProvider registers (or replaces) an SP under id from its metadata XML.
func (s *SamlIDP) AddServiceProvider(ctx context.Context, id string, metadataXML []byte) error {
	return s.put(ctx, "/services/"+url.PathEscape(id), "application/xml", metadataXML)
}

func (s *SamlIDP) put(ctx context.Context, path, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("samlidp: build PUT %s: %w", path, err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("samlidp: PUT %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("samlidp: PUT %s: status %d: %s", path, resp.StatusCode, snippet(string(b)))
	}
	return nil
}

// Login drives samlidp's login form (fields user, password) in client (nil makes a
// cookie-keeping one) from startURL, normally the SP's AuthnRequest redirect to /sso, and
// returns the SAML POST form it answers with.
func (s *SamlIDP) Login(ctx context.Context, client *http.Client, startURL, user,
	password string) (*SAMLPost, error) {
	post, err := samlLogin(ctx, client, startURL, "user", "password", user, password)
	if err != nil {
		return nil, fmt.Errorf("samlidp login: %w", err)
	}
	return post, nil
}
