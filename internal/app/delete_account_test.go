package app_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestDeleteClaimedAccount runs DELETE/POST .../users/{id}/delete-account and the bulk form
// through the whole application on every engine, with the claim verified against a real DNS
// server. Each refusal is a 400 or 404 that changes nothing: a member whose address is not on the
// claimed domain, an invited member, the caller's own account, an owner deleted by an admin, an
// admin deleted by a custom member, the sole owner of another organization, an unknown id, a
// caller who does not manage members, an empty bulk request. A
// success deletes the account with its memberships in every organization, its personal items,
// folders and devices, logs its sessions out and records event 1515; the organization's items,
// including the ones the deleted member made, stay.
func TestDeleteClaimedAccount(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dns := domainstest.NewDNSServer(t)
			box := &mailbox{}
			e := domainEnv(t, eng, dns, box)
			deleteAccountJourney(t, e, dns, box)
		})
	}
}

// acmeOrg is the organization of the journey: its owner's token, key, id and collection.
type acmeOrg struct {
	e              *identitytest.Env
	box            *mailbox
	tok, id, coll  string
	key            bwcrypto.SymmetricKey
	users, members string // path prefixes
}

// joinAs invites acct into the organization as typ with access to its collection (and, for a
// custom member, the manageUsers permission), has it accept and confirms it; it returns the
// membership id.
func (o *acmeOrg) joinAs(t *testing.T, acct *bwcrypto.Account, tok string, typ int) string {
	t.Helper()
	inv := map[string]any{"type": typ, "emails": []string{acct.Email},
		"collections": []any{map[string]any{"id": o.coll}}}
	if typ == 4 {
		inv["permissions"] = map[string]any{"manageUsers": true}
	}
	call(t, o.e, o.tok, "POST", o.users+"invite", inv, 200)
	join := o.box.join(t)
	id := join.Get("organizationUserId")
	call(t, o.e, tok, "POST", o.users+id+"/accept", map[string]any{"token": join.Get("token")}, 200)
	key, err := bwcrypto.ShareKey(rand.Reader, o.key, acct.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	call(t, o.e, o.tok, "POST", o.users+id+"/confirm", map[string]any{"key": key}, 200)
	return id
}

func deleteAccountJourney(t *testing.T, e *identitytest.Env, dns *domainstest.DNSServer, box *mailbox) {
	owner, ownerTok := e.RegisterAndLogin(t, "owner@acme.example", "owner password")
	key, err := bwcrypto.NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	orgID, collID := createOrg(t, e, owner, ownerTok.AccessToken, key)
	o := &acmeOrg{e: e, box: box, tok: ownerTok.AccessToken, id: orgID, coll: collID, key: key,
		users: "/api/organizations/" + orgID + "/users/"}

	// bob (admin, exempt from Single organization) also belongs to another organization; frank is
	// a user; owner2 a second owner; gina a custom member who manages users; carol is off the
	// domain; dan is only invited; erin owns an organization of her own alone (the claim's Single
	// organization policy revokes her in Acme).
	bob, bobTok := e.RegisterAndLogin(t, "bob@acme.example", "bob password")
	bobM := o.joinAs(t, bob, bobTok.AccessToken, 1)
	frank, frankTok := e.RegisterAndLogin(t, "frank@acme.example", "frank password")
	frankM := o.joinAs(t, frank, frankTok.AccessToken, 2)
	owner2, owner2Tok := e.RegisterAndLogin(t, "owner2@acme.example", "owner2 password")
	owner2M := o.joinAs(t, owner2, owner2Tok.AccessToken, 0)
	gina, ginaTok := e.RegisterAndLogin(t, "gina@acme.example", "gina password")
	o.joinAs(t, gina, ginaTok.AccessToken, 4)
	carol, carolTok := e.RegisterAndLogin(t, "carol@other.example", "carol password")
	carolM := o.joinAs(t, carol, carolTok.AccessToken, 2)
	erin, erinTok := e.RegisterAndLogin(t, "erin@acme.example", "erin password")
	erinM := o.joinAs(t, erin, erinTok.AccessToken, 2)
	createOrg(t, e, erin, erinTok.AccessToken, key)
	call(t, e, o.tok, "POST", o.users+"invite", map[string]any{"type": 2,
		"emails": []string{"dan@acme.example"}, "collections": []any{}}, 200)
	danM := box.join(t).Get("organizationUserId")

	other, otherTok := e.RegisterAndLogin(t, "owner@elsewhere.example", "other password")
	otherID, otherColl := createOrg(t, e, other, otherTok.AccessToken, key)
	elsewhere := &acmeOrg{e: e, box: box, tok: otherTok.AccessToken, id: otherID, coll: otherColl, key: key,
		users: "/api/organizations/" + otherID + "/users/"}
	elsewhere.joinAs(t, bob, bobTok.AccessToken, 2)

	// bob's own things and an organization item he made.
	name := func(s string) string {
		enc, err := key.Encrypt(rand.Reader, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return enc.String()
	}
	call(t, e, bobTok.AccessToken, "POST", "/api/folders", map[string]any{"name": name("Bob's folder")}, 200)
	call(t, e, bobTok.AccessToken, "POST", "/api/ciphers", map[string]any{"type": 2,
		"name": name("Bob's note"), "secureNote": map[string]any{"type": 0}}, 200)
	var bobItem struct{ ID string }
	decode(t, call(t, e, bobTok.AccessToken, "POST", "/api/ciphers/create", map[string]any{
		"cipher": map[string]any{"type": 2, "organizationId": orgID, "name": name("Acme runbook"),
			"secureNote": map[string]any{"type": 0}}, "collectionIds": []string{collID}}, 200), &bobItem)

	org := "/api/organizations/" + orgID
	var d struct{ ID, TXT, State string }
	decode(t, call(t, e, o.tok, "POST", org+"/domain", map[string]any{"domainName": "acme.example"}, 200), &d)
	dns.SetTXT("acme.example", d.TXT)
	decode(t, call(t, e, o.tok, "POST", org+"/domain/"+d.ID+"/verify", nil, 200), &d)
	if d.State != "verified" {
		t.Fatalf("verify: %+v", d)
	}

	refused := func(token, method, path string, body any, status int, want string) {
		t.Helper()
		before := accountCounts(t, e)
		w := e.JSON(method, path, body, token)
		if w.Code != status || !strings.Contains(w.Body.String(), want) {
			t.Fatalf("%s %s: %d %s, want %d with %q", method, path, w.Code, w.Body, status, want)
		}
		if after := accountCounts(t, e); after != before {
			t.Fatalf("%s %s changed the database:\n%s\n%s", method, path, before, after)
		}
	}
	del := func(id string) string { return o.users + id + "/delete-account" }
	refused(o.tok, "DELETE", del(carolM), nil, 400, "verified can be deleted here")
	refused(o.tok, "DELETE", del(danM), nil, 400, "has not accepted the invitation")
	refused(o.tok, "DELETE", del(o.memberOf(t, owner.Email)), nil, 400, "your own account")
	refused(bobTok.AccessToken, "POST", del(owner2M), nil, 400, "Only owners")
	refused(ginaTok.AccessToken, "DELETE", del(bobM), nil, 400, "Custom users can not manage Admins")
	refused(o.tok, "DELETE", del(erinM), nil, 400, "only confirmed owner of an organization")
	refused(o.tok, "DELETE", del("00000000-0000-4000-8000-0000000000ff"), nil, 404, "")
	refused(frankTok.AccessToken, "DELETE", del(carolM), nil, 404, "")
	refused(o.tok, "DELETE", o.users+"delete-account", map[string]any{"ids": []string{}}, 400, "Ids")

	// The single form deletes bob everywhere.
	bobID := accountOf(t, e, bob.Email)
	if left := leftOf(t, e, o, bobID, bob.Email); !strings.Contains(left, "2 organization_users") ||
		!strings.Contains(left, "1 folders") || !strings.Contains(left, "1 ciphers") ||
		!strings.Contains(left, "1 devices") || !strings.Contains(left, "listed") {
		t.Fatalf("before the deletion, bob has: %s", left) // the checks below would prove nothing
	}
	call(t, e, o.tok, "DELETE", del(bobM), nil, 200)
	if left := leftOf(t, e, o, bobID, bob.Email); left != "" {
		t.Fatalf("left of bob's account: %s", left)
	}
	if w := e.Token(identitytest.PasswordForm(bob)); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "invalid_grant") {
		t.Fatalf("bob's password login after the deletion: %d %s", w.Code, w.Body)
	}
	if w := e.JSON("GET", "/api/sync", nil, bobTok.AccessToken); w.Code != http.StatusUnauthorized {
		t.Fatalf("bob's access token after the deletion: %d", w.Code)
	}
	var item struct{ ID string }
	decode(t, call(t, e, o.tok, "GET", "/api/ciphers/"+bobItem.ID, nil, 200), &item)
	n := count(t, e, `SELECT COUNT(*) FROM organization_users WHERE organization_id = ?`, otherID)
	if n != 1 {
		t.Fatalf("Elsewhere has %d memberships after bob's deletion, want its owner's", n)
	}
	checkMemberEvent(t, e, o.tok, org, 1515, bobM)

	// The bulk form deletes frank and reports each refusal; refused members stay.
	const unknown = "00000000-0000-4000-8000-00000000abcd"
	var res struct {
		Data []struct{ ID, Error string }
	}
	decode(t, call(t, e, o.tok, "POST", o.users+"delete-account", map[string]any{
		"ids": []string{frankM, danM, carolM, unknown}}, 200), &res)
	errs := map[string]string{}
	for _, r := range res.Data {
		errs[r.ID] = r.Error
	}
	if len(res.Data) != 4 || errs[frankM] != "" || !strings.Contains(errs[danM], "has not accepted") ||
		!strings.Contains(errs[carolM], "verified can be deleted") || errs[unknown] == "" {
		t.Fatalf("bulk delete-account results: %+v", res.Data)
	}
	if accountOf(t, e, frank.Email) != "" || accountOf(t, e, carol.Email) == "" ||
		count(t, e, `SELECT COUNT(*) FROM organization_users WHERE id = ?`, danM) != 1 {
		t.Fatal("the bulk deletion did not delete exactly frank")
	}
	checkMemberEvent(t, e, o.tok, org, 1515, frankM)
}

// memberOf returns the membership id of email in the organization.
func (o *acmeOrg) memberOf(t *testing.T, email string) string {
	t.Helper()
	var l struct{ Data []struct{ ID, Email string } }
	decode(t, call(t, o.e, o.tok, "GET", strings.TrimSuffix(o.users, "/"), nil, 200), &l)
	for _, m := range l.Data {
		if m.Email == email {
			return m.ID
		}
	}
	t.Fatalf("%s is not a member", email)
	return ""
}

// accountCounts counts the rows of accounts, memberships, items, folders, devices and audit
// events, so that a refusal can be shown to change nothing.
func accountCounts(t *testing.T, e *identitytest.Env) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"users", "organization_users", "ciphers", "folders", "devices",
		"refresh_tokens", "audit_events"} {
		fmt.Fprintf(&b, "%s=%d ", table, count(t, e, "SELECT COUNT(*) FROM "+table))
	}
	return b.String()
}

func count(t *testing.T, e *identitytest.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// accountOf returns the id of the account registered with email, or "".
func accountOf(t *testing.T, e *identitytest.Env, email string) string {
	t.Helper()
	var id string
	rows, err := e.DB.QueryContext(context.Background(), `SELECT id FROM users WHERE email = ?`, email)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// leftOf reports what there is of account userID: its rows of each table that holds an account's
// own things, and whether the organization lists email; "" when there is nothing.
func leftOf(t *testing.T, e *identitytest.Env, o *acmeOrg, userID, email string) string {
	t.Helper()
	var left []string
	for _, table := range []string{"users", "organization_users", "ciphers", "folders", "devices",
		"refresh_tokens", "sso_links"} {
		col := "user_id"
		if table == "users" {
			col = "id"
		}
		if n := count(t, e, "SELECT COUNT(*) FROM "+table+" WHERE "+col+" = ?", userID); n != 0 {
			left = append(left, fmt.Sprintf("%d %s", n, table))
		}
	}
	var l struct{ Data []struct{ Email string } }
	decode(t, call(t, e, o.tok, "GET", strings.TrimSuffix(o.users, "/"), nil, 200), &l)
	for _, m := range l.Data {
		if m.Email == email {
			left = append(left, "listed by the organization")
		}
	}
	return strings.Join(left, ", ")
}

// checkMemberEvent checks that the organization's audit log holds an event of type typ about the
// membership memberID.
func checkMemberEvent(t *testing.T, e *identitytest.Env, token, org string, typ int, memberID string) {
	t.Helper()
	checkEvents(t, e, token, org, typ)
	var l struct {
		Data []struct {
			Type               int
			OrganizationUserID string
		}
	}
	decode(t, call(t, e, token, "GET", org+"/events", nil, http.StatusOK), &l)
	for _, ev := range l.Data {
		if ev.Type == typ && ev.OrganizationUserID == memberID {
			return
		}
	}
	t.Errorf("no event %d about member %s", typ, memberID)
}
