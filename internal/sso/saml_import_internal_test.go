package sso

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCheckFetchAddress: the addresses a metadata fetch may connect to.
func TestCheckFetchAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"169.254.169.254:80": false, "[fe80::1]:80": false, "0.0.0.0:80": false, "[::]:443": false,
		"224.0.0.251:5353": false, "127.0.0.1:8080": false, "[::1]:443": false, "nonsense": false,
		"10.0.0.5:443": true, "192.168.1.2:443": true, "[fd00::5]:443": true, "93.184.216.34:443": true,
	} {
		if got := checkFetchAddress(addr, false) == nil; got != want {
			t.Errorf("%s: allowed %v, want %v", addr, got, want)
		}
	}
	if checkFetchAddress("127.0.0.1:8080", true) != nil || checkFetchAddress("169.254.169.254:80", true) == nil {
		t.Errorf("with loopback allowed: loopback refused or link-local allowed")
	}
}

// TestMetadataClientRefusesLoopbackOfAPublicServer: a castellan with a public name cannot be made
// to fetch from its own machine, also not through a redirect.
func TestMetadataClientRefusesLoopbackOfAPublicServer(t *testing.T) {
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("internal"))
	}))
	defer local.Close()
	_, err := (&Service{publicURL: "https://vault.example.com"}).metadataClient().Get(local.URL)
	if !errors.Is(err, errFetchAddress) {
		t.Errorf("fetch from loopback: %v", err)
	}
	resp, err := (&Service{publicURL: "https://127.0.0.1:8443"}).metadataClient().Get(local.URL)
	if err != nil {
		t.Fatalf("fetch from loopback by a loopback castellan: %v", err)
	}
	resp.Body.Close()
}
