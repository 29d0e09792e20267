package adminclient_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func TestParsePolicyType(t *testing.T) {
	for in, want := range map[string]adminclient.PolicyType{"3": 3, "single-org": 3, " Require-SSO ": 4,
		"account-recovery": 8, "0": 0, "22": 22} {
		if got, err := adminclient.ParsePolicyType(in); err != nil || got != want {
			t.Errorf("ParsePolicyType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "23", "-1", "single", "sso"} {
		if _, err := adminclient.ParsePolicyType(in); err == nil || !strings.Contains(err.Error(), "single-org") {
			t.Errorf("ParsePolicyType(%q) err = %v", in, err)
		}
	}
	if s := adminclient.PolicyType(8).String(); s != "account-recovery" {
		t.Errorf("8 is %q", s)
	}
}

func TestSetPolicySendsTheOfficialBody(t *testing.T) {
	f := newFake(t)
	f.handle("PUT /api/organizations/{org}/policies/{type}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "00000000-0000-4000-8000-0000000000d1", "organizationId": orgID,
			"type": 8, "enabled": true, "data": map[string]any{"autoEnrollEnabled": true}, "object": "policy"})
	})
	f.handle("GET /api/organizations/{org}/policies", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"object": "list", "data": []any{
			map[string]any{"type": 3, "enabled": true, "data": nil, "object": "policy"}}})
	})
	c := login(t, f)
	p, err := c.SetPolicy(context.Background(), orgID, adminclient.PolicyResetPassword, true,
		map[string]any{"autoEnrollEnabled": true})
	if err != nil || !p.Enabled || p.Data["autoEnrollEnabled"] != true {
		t.Fatalf("SetPolicy = %+v, %v", p, err)
	}
	var sent struct {
		Type    int
		Enabled bool
		Data    map[string]any
	}
	f.body("PUT /api/organizations/"+orgID+"/policies/8", &sent)
	if sent.Type != 8 || !sent.Enabled || sent.Data["autoEnrollEnabled"] != true {
		t.Errorf("sent %+v", sent)
	}
	ps, err := c.Policies(context.Background(), orgID)
	if err != nil || len(ps) != 1 || ps[0].Type != adminclient.PolicySingleOrg || ps[0].Data != nil {
		t.Errorf("Policies = %+v, %v", ps, err)
	}
}
