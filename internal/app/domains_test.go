package app_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// domainEnv wires the whole application on a fresh database of engine e, with a local DNS server
// as its resolver and the mailbox as its mail.
func domainEnv(t *testing.T, e storagetest.Engine, dns *domainstest.DNSServer,
	box *mailbox) *identitytest.Env {
	t.Helper()
	db := storagetest.OpenFresh(t, e)
	clk := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	a, err := app.New(context.Background(), app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk, DB: db,
		PublicURL: identitytest.PublicURL, MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), Mail: box,
		Domains: app.DomainSettings{DNSServer: dns.Addr},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &identitytest.Env{App: a, Handler: a.Handler(), Clock: clk, DB: db}
}

// call sends a JSON request with a token and checks the status; it returns the body.
func call(t *testing.T, e *identitytest.Env, token, method, path string, body any, status int) []byte {
	t.Helper()
	w := e.JSON(method, path, body, token)
	if w.Code != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, w.Code, w.Body, status)
	}
	return w.Body.Bytes()
}

// TestClaimedDomainThroughTheApplication runs a claim through every concern it touches: the
// owner adds and verifies a domain against a real DNS server; the claim turns Single organization
// on and is in the audit log; the claimed member cannot be removed or leave but can be revoked;
// the BlockClaimedDomainAccountCreation policy stops registrations on the domain; deleting the
// organization frees the domain for another one.
func TestClaimedDomainThroughTheApplication(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dns := domainstest.NewDNSServer(t)
			box := &mailbox{}
			e := domainEnv(t, eng, dns, box)
			owner, ownerTok := e.RegisterAndLogin(t, "owner@acme.example", "owner password")
			orgKey, err := bwcrypto.NewSymmetricKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			orgID, _ := createOrg(t, e, owner, ownerTok.AccessToken, orgKey)
			tok := ownerTok.AccessToken
			bob, bobTok := e.RegisterAndLogin(t, "bob@acme.example", "bob password")
			bobMember := confirmMember(t, e, box, tok, orgID, bob, bobTok.AccessToken, orgKey)

			org := "/api/organizations/" + orgID
			var d struct{ ID, TXT, State string }
			decode(t, call(t, e, tok, "POST", org+"/domain", map[string]any{"domainName": "ACME.example"}, 200),
				&d)
			dns.SetTXT("acme.example", d.TXT)
			decode(t, call(t, e, tok, "POST", org+"/domain/"+d.ID+"/verify", nil, 200), &d)
			if d.State != "verified" {
				t.Fatalf("verify: %+v", d)
			}
			var single struct{ Enabled bool }
			decode(t, call(t, e, tok, "GET", org+"/policies/3", nil, 200), &single)
			if !single.Enabled {
				t.Fatal("a claimed domain did not turn Single organization on")
			}
			call(t, e, tok, "PUT", org+"/policies/3", map[string]any{"enabled": false}, 400)
			checkEvents(t, e, tok, org, 2000, 2002, 1700)

			call(t, e, tok, "DELETE", org+"/users/"+bobMember, nil, 400)
			call(t, e, bobTok.AccessToken, "POST", org+"/leave", nil, 400)
			call(t, e, tok, "PUT", org+"/users/"+bobMember+"/revoke", nil, 200)

			call(t, e, tok, "PUT", org+"/policies/19", map[string]any{"enabled": true}, 200)
			carol := identitytest.NewAccount(t, "carol@acme.example", "pw")
			w := e.JSON("POST", "/identity/accounts/register/finish", identitytest.FinishRequest(carol), "")
			if w.Code != 400 || !strings.Contains(w.Body.String(), "single sign-on") {
				t.Fatalf("registration on the blocked domain: %d %s", w.Code, w.Body)
			}
			e.Register(t, identitytest.NewAccount(t, "carol@elsewhere.example", "pw"))

			call(t, e, tok, "DELETE", org, map[string]any{"masterPasswordHash": owner.MasterPasswordHash}, 200)
			other, otherTok := e.RegisterAndLogin(t, "owner@elsewhere.example", "pw")
			otherID, _ := createOrg(t, e, other, otherTok.AccessToken, orgKey)
			decode(t, call(t, e, otherTok.AccessToken, "POST", "/api/organizations/"+otherID+"/domain",
				map[string]any{"domainName": "acme.example"}, 200), &d)
			dns.SetTXT("acme.example", d.TXT)
			call(t, e, otherTok.AccessToken, "POST", "/api/organizations/"+otherID+"/domain/"+d.ID+"/verify",
				nil, 200)
		})
	}
}

// confirmMember invites the account, has it accept and confirms it; it returns the membership id.
func confirmMember(t *testing.T, e *identitytest.Env, box *mailbox, ownerTok, orgID string,
	member *bwcrypto.Account, memberTok string, orgKey bwcrypto.SymmetricKey) string {
	t.Helper()
	org := "/api/organizations/" + orgID
	call(t, e, ownerTok, "POST", org+"/users/invite", map[string]any{"type": 2,
		"emails": []string{member.Email}, "collections": []any{}}, 200)
	join := box.join(t)
	id := join.Get("organizationUserId")
	call(t, e, memberTok, "POST", org+"/users/"+id+"/accept", map[string]any{"token": join.Get("token")}, 200)
	key, err := bwcrypto.ShareKey(rand.Reader, orgKey, member.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	call(t, e, ownerTok, "POST", org+"/users/"+id+"/confirm", map[string]any{"key": key}, 200)
	return id
}

// checkEvents checks that the organization's audit log holds events of each type.
func checkEvents(t *testing.T, e *identitytest.Env, token, org string, types ...int) {
	t.Helper()
	e.Clock.Advance(time.Second) // the log lists events before now
	var l struct{ Data []struct{ Type int } }
	decode(t, call(t, e, token, "GET", org+"/events", nil, http.StatusOK), &l)
	seen := map[int]bool{}
	for _, ev := range l.Data {
		seen[ev.Type] = true
	}
	for _, typ := range types {
		if !seen[typ] {
			t.Errorf("no event of type %d in %+v", typ, l.Data)
		}
	}
}
