package sso_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// claimDomain records that orgID has verified example.com, the provider's address domain.
func (e *env) claimDomain(orgID string) {
	e.t.Helper()
	now := e.clock.Now().UnixMilli()
	storagetest.MustExec(e.t, e.db, `INSERT INTO domains (id, organization_id, domain_name, txt, created_at,
		verified_at, verified_name, state, revision) VALUES (?, ?, 'example.com', 'bw=x', ?, ?, 'example.com',
		'verified', 1)`, uuid.NewString(), orgID, now, now)
}

// setBlockPolicy turns the BlockClaimedDomainAccountCreation policy (19) of orgID on or off.
func (e *env) setBlockPolicy(orgID string, on bool) {
	e.t.Helper()
	now := e.clock.Now().UnixMilli()
	storagetest.MustExec(e.t, e.db, `DELETE FROM policies WHERE organization_id = ? AND type = 19`, orgID)
	storagetest.MustExec(e.t, e.db, `INSERT INTO policies (id, organization_id, type, enabled, created_at,
		revision_date) VALUES (?, ?, 19, ?, ?, ?)`, uuid.NewString(), orgID, on, now, now)
}

// TestJITRefusedOnDomainBlockedByAnotherOrganization: another organization has claimed the
// address's domain and blocks account creation on it, so signing in through this organization
// creates nothing; without the policy, or when this organization holds the claim, it provisions.
func TestJITRefusedOnDomainBlockedByAnotherOrganization(t *testing.T) {
	e := newEnv(t)
	other, err := e.admin.CreateOrganization(e.ctx, adminclient.NewOrganization{Name: "Other",
		BillingEmail: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e.claimDomain(other.ID)
	e.setBlockPolicy(other.ID, true)
	before := e.snapshot()
	c := cliClient()
	e.assertPage(e.browser().signIn(c), http.StatusBadRequest, "another organization has claimed")
	e.assertUnchanged(before)

	e.setBlockPolicy(other.ID, false)
	e.login()
	if e.member("alice@example.com") == nil {
		t.Fatal("no membership after the policy was turned off")
	}
}

// TestJITAllowedOnOwnBlockedDomain: the organization that claims the domain and blocks it may still
// create accounts on it through its own single sign-on.
func TestJITAllowedOnOwnBlockedDomain(t *testing.T) {
	e := newEnv(t)
	e.claimDomain(e.orgID)
	e.setBlockPolicy(e.orgID, true)
	e.login()
	if e.member("alice@example.com") == nil {
		t.Fatal("no membership")
	}
}

// TestClaimedDomainVerifiesEmailWhateverTheProviderSays: the new account's address counts as
// verified because the organization claims its domain, also when the provider vouched for it too.
func TestClaimedDomainVerifiesEmailWhateverTheProviderSays(t *testing.T) {
	for _, claimed := range []bool{false, true} {
		e := newEnv(t)
		if claimed {
			e.claimDomain(e.orgID)
		}
		e.login()
		var verified bool
		err := e.db.QueryRowContext(e.ctx, `SELECT email_verified FROM users WHERE email = 'alice@example.com'`).
			Scan(&verified)
		if err != nil || verified != claimed {
			t.Errorf("domain claimed %v: account email_verified = %v (%v)", claimed, verified, err)
		}
	}
}
