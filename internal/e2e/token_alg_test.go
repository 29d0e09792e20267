package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// TestTokenAlgorithmSwitch changes CASTELLAN_TOKEN_SIGNING_ALG under a logged-in official CLI:
// castellan restarts on the same data and address with EdDSA instead of RS256. The CLI writes with
// the RS256 access token it holds (the RS256 key still verifies), then refreshes with the refresh
// token of its RS256 login and syncs with the EdDSA token it gets: nobody is logged out.
func TestTokenAlgorithmSwitch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_ = testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
	before := castellantest.Start(t, castellantest.Options{Env: []string{"CASTELLAN_TOKEN_SIGNING_ALG=RS256"}})
	bw := testpeers.BWCLI(t, testpeers.BWConfig{CAFile: before.CAFile})
	s := &scenario{t: t, ctx: ctx, srv: before, bw: bw,
		user: e2e.Register(t, before, e2e.UniqueEmail("switch"), password)}
	if alg := tokenAlg(t, s.user.Token); alg != "RS256" {
		t.Fatalf("token alg before the switch = %s, want RS256", alg)
	}
	if !t.Run("PasswordLogin", s.passwordLogin) {
		return
	}
	s.run(t, nil, "create", "folder", encode(t, map[string]any{"name": "Before"}))

	before.Stop(t)
	after := castellantest.Start(t, castellantest.Options{DataDir: before.DataDir, Addr: before.Addr,
		Env: []string{"CASTELLAN_TOKEN_SIGNING_ALG=EdDSA"}})
	s.srv = after
	if got := jwksAlgorithms(t, after); !slices.Equal(got, []string{"RS256", "EdDSA"}) {
		t.Fatalf("JWKS algorithms after the switch = %v, want RS256 and EdDSA", got)
	}
	// A write goes out with the access token the CLI holds, signed RS256 before the restart.
	s.run(t, nil, "create", "folder", encode(t, map[string]any{"name": "After"}))
	if log := after.Log(); strings.Contains(log, "path=/identity/connect/token") ||
		!strings.Contains(log, "method=POST path=/api/folders status=200") {
		t.Fatalf("the CLI did not write with its RS256 access token:\n%s", log)
	}
	// A full sync refreshes first (the clients do at every full sync), with the refresh token of the
	// RS256 login, and goes on with the EdDSA access token it gets.
	s.run(t, nil, "sync", "-f")
	if log := after.Log(); !strings.Contains(log, "path=/identity/connect/token status=200") ||
		!strings.Contains(log, "path=/api/sync status=200") {
		t.Fatalf("the CLI's refresh and sync after the switch:\n%s", log)
	}
	var folders struct{ Data []struct{ Name string } }
	s.run(t, &folders, "list", "folders")
	var names []string
	for _, f := range folders.Data {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "Before") || !slices.Contains(names, "After") {
		t.Fatalf("bw list folders after the switch = %v", names)
	}
	if st := s.status(t, bw); st.Status != "unlocked" {
		t.Fatalf("bw status after the switch = %+v", st)
	}

	s.user.Login(t, after)
	if alg := tokenAlg(t, s.user.Token); alg != "EdDSA" {
		t.Fatalf("token alg after the switch = %s, want EdDSA", alg)
	}
}

// jwksAlgorithms returns the alg of each key srv publishes, in order.
func jwksAlgorithms(t *testing.T, srv *castellantest.Server) []string {
	t.Helper()
	resp, err := srv.Client.Get(srv.URL + "/identity/.well-known/jwks")
	if err != nil {
		t.Fatalf("GET jwks: %v", err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Alg string } }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&set) != nil {
		t.Fatalf("GET jwks: %d", resp.StatusCode)
	}
	var algs []string
	for _, k := range set.Keys {
		algs = append(algs, k.Alg)
	}
	return algs
}

// tokenAlg returns the alg of a compact JWT's header.
func tokenAlg(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var h struct{ Alg string }
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("token header: %v", err)
	}
	return h.Alg
}
