package policies_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

func TestAccountRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.PolicySettings{})
	owner, admin, custom, member := e.register("owner"), e.register("admin"), e.register("custom"),
		e.register("member")
	orgID := e.org(owner)
	setIdentifier(t, e, orgID, "recovery-org")
	adminM := e.join(owner, orgID, admin, 1)
	e.join(owner, orgID, custom, 4) // custom with manageResetPassword
	e.putPolicy(owner, orgID, 3, true, nil).must(t)
	e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": true}).must(t)

	var status struct {
		ID                   string
		ResetPasswordEnabled bool
	}
	e.must(owner, "GET", "/api/organizations/recovery-org/auto-enroll-status", nil).decode(t, &status)
	if status.ID != orgID || !status.ResetPasswordEnabled {
		t.Errorf("auto-enroll status %+v", status)
	}

	// Automatic enrollment: accepting needs the recovery key; with it, the key is stored.
	memberM := e.invite(owner, orgID, member, 2)
	before := e.snapshot()
	e.refused(e.accept(member, orgID, memberM, nil), before, "account recovery key (resetPasswordKey) is required")
	recoveryKey := encTo(t, owner)
	e.accept(member, orgID, memberM, map[string]any{"resetPasswordKey": recoveryKey}).must(t)
	if _, _, k := e.member(memberM); k != recoveryKey {
		t.Errorf("stored recovery key %q", k)
	}
	if n := e.events(orgID, 1506); n != 1 {
		t.Errorf("%d enrollment events, want 1", n)
	}
	e.confirm(owner, orgID, memberM, member).must(t)

	enroll := "/api/organizations/" + orgID + "/users/" + member.ID + "/reset-password-enrollment"
	before = e.snapshot()
	e.refused(e.call(member.Token, "PUT", enroll, map[string]any{"resetPasswordKey": nil,
		"masterPasswordHash": member.Account.MasterPasswordHash}), before, "cannot be withdrawn")
	e.refused(e.call(member.Token, "PUT", enroll, map[string]any{"resetPasswordKey": encTo(t, owner),
		"masterPasswordHash": "d3Jvbmc="}), before, "")
	if r := e.call(admin.Token, "PUT", enroll, map[string]any{"resetPasswordKey": encTo(t, owner),
		"masterPasswordHash": admin.Account.MasterPasswordHash}); r.Status != http.StatusNotFound {
		t.Errorf("enrolling someone else: %d %s", r.Status, r.Body)
	}

	// An administrator reads the details and sets a new master password.
	details := "/api/organizations/" + orgID + "/users/" + memberM + "/reset-password-details"
	var d struct {
		OrganizationUserID  string
		Kdf, KdfIterations  int
		ResetPasswordKey    string
		EncryptedPrivateKey string
		Object              string
	}
	e.must(admin, "GET", details, nil).decode(t, &d)
	if d.OrganizationUserID != memberM || d.ResetPasswordKey != recoveryKey || d.EncryptedPrivateKey == "" ||
		d.KdfIterations != member.Account.KDF.Iterations || d.Object != "organizationUserResetPasswordDetails" {
		t.Errorf("details %+v", d)
	}
	if r := e.call(member.Token, "GET", "/api/organizations/"+orgID+"/users/"+adminM+"/reset-password-details",
		nil); r.Status != http.StatusNotFound {
		t.Errorf("details for a plain member: %d", r.Status)
	}
	before = e.snapshot()
	reset := "/api/organizations/" + orgID + "/users/" + memberM + "/reset-password"
	e.refused(e.call(admin.Token, "PUT", reset, map[string]any{"newMasterPasswordHash": "aGFzaA==", "key": "junk"}),
		before, "model state")
	newPassword := recovered(t, member)
	e.must(custom, "PUT", reset, map[string]any{"newMasterPasswordHash": newPassword.MasterPasswordHash,
		"key": newPassword.Key})
	if n := e.events(orgID, 1508); n != 1 {
		t.Errorf("%d admin reset events, want 1", n)
	}
	if r := e.call(member.Token, "GET", "/api/accounts/profile", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the member's old session still works after the reset: %d", r.Status)
	}
	if r := e.passwordGrant(member); r.Status != http.StatusBadRequest {
		t.Errorf("old password after the reset: %d %s", r.Status, r.Body)
	}
	member.Account = newPassword
	e.login(member)

	// Role rules: an admin does not recover an owner, a custom member does not recover an admin,
	// nobody recovers themselves, and only enrolled members are recoverable.
	ownerM := memberOf(t, e, owner, orgID, owner.ID)
	e.must(owner, "PUT", "/api/organizations/"+orgID+"/users/"+owner.ID+"/reset-password-enrollment",
		map[string]any{"resetPasswordKey": encTo(t, owner), "masterPasswordHash": owner.Account.MasterPasswordHash})
	e.must(admin, "PUT", "/api/organizations/"+orgID+"/users/"+admin.ID+"/reset-password-enrollment",
		map[string]any{"resetPasswordKey": encTo(t, owner), "masterPasswordHash": admin.Account.MasterPasswordHash})
	body := map[string]any{"newMasterPasswordHash": "aGFzaA==", "key": sym(t)}
	before = e.snapshot()
	e.refused(e.call(admin.Token, "PUT", "/api/organizations/"+orgID+"/users/"+ownerM+"/reset-password", body),
		before, "Only owners can recover")
	e.refused(e.call(custom.Token, "PUT", "/api/organizations/"+orgID+"/users/"+adminM+"/reset-password", body),
		before, "Custom users can only recover")
	e.refused(e.call(admin.Token, "PUT", "/api/organizations/"+orgID+"/users/"+adminM+"/reset-password", body),
		before, "cannot recover your own account")

	// Without automatic enrollment a member may withdraw; with the policy off, nothing is possible.
	e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": false}).must(t)
	e.must(member, "PUT", enroll, map[string]any{"resetPasswordKey": nil})
	if n := e.events(orgID, 1507); n != 1 {
		t.Errorf("%d withdrawal events, want 1", n)
	}
	before = e.snapshot()
	e.refused(e.call(owner.Token, "GET", details, nil), before, "only confirmed members enrolled")
	e.putPolicy(owner, orgID, 8, false, nil).must(t)
	before = e.snapshot()
	e.refused(e.call(member.Token, "PUT", enroll, map[string]any{"resetPasswordKey": encTo(t, owner),
		"masterPasswordHash": member.Account.MasterPasswordHash}), before, "account recovery policy is off")
}

// recovered makes what an administrator's client sends to give u a new master password: the hash
// of the new password and u's user key wrapped by the new master key.
func recovered(t testing.TB, u *user) *bwcrypto.Account {
	t.Helper()
	const password = "a brand new master password"
	mk, err := bwcrypto.DeriveMasterKey(password, u.Email, u.Account.KDF)
	if err != nil {
		t.Fatal(err)
	}
	a := *u.Account
	if a.MasterPasswordHash, err = mk.Hash(password); err != nil {
		t.Fatal(err)
	}
	wrapped, err := mk.WrapUserKey(rand.Reader, u.Account.UserKey)
	if err != nil {
		t.Fatal(err)
	}
	a.Key = wrapped.String()
	return &a
}

// memberOf returns the membership id of the account userID in orgID.
func memberOf(t testing.TB, e *env, admin *user, orgID, userID string) string {
	t.Helper()
	var l struct {
		Data []struct{ ID, UserID string }
	}
	e.must(admin, "GET", "/api/organizations/"+orgID+"/users", nil).decode(t, &l)
	for _, m := range l.Data {
		if m.UserID == userID {
			return m.ID
		}
	}
	t.Fatalf("no membership of %s", userID)
	return ""
}

func TestGuardsOfSSOAndDomains(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.PolicySettings{})
	owner := e.register("owner")
	orgID := e.org(owner)
	e.putPolicy(owner, orgID, 3, true, nil).must(t)

	// A claimed domain keeps Single organization on, and says so in canToggleState.
	claimDomain(t, e, orgID, "claimed.example")
	before := e.snapshot()
	e.refused(e.putPolicy(owner, orgID, 3, false, nil), before, "while the organization has claimed domains")
	var p policyBody
	e.must(owner, "GET", "/api/organizations/"+orgID+"/policies/3", nil).decode(t, &p)
	if p.CanToggleState == nil || *p.CanToggleState {
		t.Errorf("canToggleState with a claimed domain: %v", p.CanToggleState)
	}

	// Trusted-device decryption keeps Require SSO and automatic enrollment on.
	e.putPolicy(owner, orgID, 4, true, nil).must(t)
	e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": true}).must(t)
	setDecryption(t, e, orgID, 2)
	before = e.snapshot()
	e.refused(e.putPolicy(owner, orgID, 4, false, nil), before, "Key Connector or trusted devices")
	e.refused(e.putPolicy(owner, orgID, 8, false, nil), before, "must stay on while")
	e.refused(e.putPolicy(owner, orgID, 8, true, map[string]any{"autoEnrollEnabled": false}), before,
		"must stay on while")

	// Key Connector keeps Single organization on.
	other := e.org(owner)
	e.putPolicy(owner, other, 3, true, nil).must(t)
	setDecryption(t, e, other, 1)
	before = e.snapshot()
	e.refused(e.putPolicy(owner, other, 3, false, nil), before, "uses Key Connector")
	setDecryption(t, e, other, 0)
	e.putPolicy(owner, other, 3, false, nil).must(t)
}

// claimDomain records a verified domain of the organization, as the domain service would.
func claimDomain(t testing.TB, e *env, orgID, name string) {
	t.Helper()
	now := storageMillis(e)
	_, err := e.db.ExecContext(context.Background(), `INSERT INTO domains (id, organization_id, domain_name, txt,
		created_at, verified_at, verified_name, last_checked_at, job_run_count, state, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'verified', 1)`,
		"d0d0d0d0-0000-4000-8000-"+orgID[24:], orgID, name, "bw=test", now, now, name, now)
	if err != nil {
		t.Fatal(err)
	}
}

// setDecryption gives the organization an SSO configuration with the member decryption type dt,
// written directly: castellan's SSO API accepts only master password decryption for now.
func setDecryption(t testing.TB, e *env, orgID string, dt int) {
	t.Helper()
	ctx := context.Background()
	data := `{"configType":1,"memberDecryptionType":` + string(rune('0'+dt)) + `}`
	now := storageMillis(e)
	res, err := e.db.ExecContext(ctx, `UPDATE sso_configs SET data = ? WHERE organization_id = ?`, data, orgID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return
	}
	_, err = e.db.ExecContext(ctx, `INSERT INTO sso_configs (organization_id, enabled, config_type, data,
		revision, created_at, revision_date) VALUES (?, ?, 1, ?, 1, ?, ?)`, orgID, true, data, now, now)
	if err != nil {
		t.Fatal(err)
	}
}

func storageMillis(e *env) int64 { return e.clock.Now().UnixMilli() }
