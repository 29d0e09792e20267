package oidcrp

import (
	"testing"

	"github.com/castellan-vault/castellan/internal/provision"
)

// The RP passes email_verified through as it is; refusing is provisioning's job. These tests run
// the verified result through provision.Resolve and Decide for a new user.
func TestEmailVerificationReachesProvisioning(t *testing.T) {
	cases := []struct {
		name       string
		idClaims   func(c map[string]any)
		userinfo   func(c map[string]any)
		trust      bool
		wantRPFlag bool
		want       provision.Outcome
		wantReason provision.Reason
	}{
		{name: "email_verified true creates the account", wantRPFlag: true, want: provision.CreateUser},
		{name: "email_verified false is refused",
			idClaims: func(c map[string]any) { c["email_verified"] = false },
			want:     provision.Refuse, wantReason: provision.ReasonEmailNotVerified},
		{name: "email_verified false is refused even when the org trusts its provider",
			idClaims: func(c map[string]any) { c["email_verified"] = false }, trust: true,
			want: provision.Refuse, wantReason: provision.ReasonEmailNotVerified},
		{name: "email_verified absent is refused by default",
			idClaims: func(c map[string]any) { delete(c, "email_verified") },
			want:     provision.Refuse, wantReason: provision.ReasonEmailNotVerified},
		{name: "email_verified absent passes when the org trusts its provider",
			idClaims: func(c map[string]any) { delete(c, "email_verified") }, trust: true,
			want: provision.CreateUser},
		{name: `email_verified "true" as a string counts (Cognito)`, wantRPFlag: true,
			idClaims: func(c map[string]any) { c["email_verified"] = "true" }, want: provision.CreateUser},
		{name: "missing email is refused",
			idClaims: func(c map[string]any) { delete(c, "email"); delete(c, "email_verified") },
			want:     provision.Refuse, wantReason: provision.ReasonEmailMissing},
		{name: "userinfo verifying another address does not verify the ID token's",
			idClaims: func(c map[string]any) { delete(c, "email_verified") },
			userinfo: func(c map[string]any) { c["email"] = "mallory@example.com" },
			want:     provision.Refuse, wantReason: provision.ReasonEmailNotVerified},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := newTestOP(t)
			op.idClaims, op.userinfo = tc.idClaims, tc.userinfo
			cfg := op.config()
			cfg.GetClaimsFromUserInfo = tc.userinfo != nil
			res, err := signIn(t, op, op.rp(), cfg, nil)
			if err != nil {
				t.Fatalf("the RP itself must not refuse: %v", err)
			}
			if res.EmailVerified != tc.wantRPFlag {
				t.Fatalf("EmailVerified %v, statements %v", res.EmailVerified, res.EmailStatements)
			}
			claimCfg := provision.ClaimConfig{TrustIdPEmails: tc.trust}
			id, err := provision.Resolve(res.Assertion(), claimCfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			org := provision.Org{ID: "org-1", Enabled: true, SSOEnabled: true}
			d := provision.Decide(provision.Input{Identity: id, Org: org})
			if d.Outcome != tc.want || d.Reason != tc.wantReason {
				t.Fatalf("decision %s %q, want %s %q", d.Outcome, d.Reason, tc.want, tc.wantReason)
			}
		})
	}
}
