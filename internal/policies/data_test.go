package policies_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPolicyDataValidation: a policy's settings are checked by type before anything is stored, as
// the official server checks them (types, the master password policy's ranges) and further for the
// settings every member's client applies (generator bounds, URI match, vault timeout). A refusal is
// a 400 with the official message and the problems under Data, and changes nothing; fields castellan
// does not know are kept, as the official server keeps them.
func TestPolicyDataValidation(t *testing.T) {
	t.Parallel()
	onEveryEngine(t, testPolicyDataValidation)
}

func testPolicyDataValidation(t *testing.T, e *env) {
	owner := e.register("owner")
	orgID := e.org(owner)
	// Account recovery needs Single organization on; the refusals below must not be guard refusals.
	e.putPolicy(owner, orgID, 3, true, nil).must(t)

	refusals := []struct {
		typ  int
		data string
		want string // in the message
	}{
		{1, `{"minLength":-5}`, "Invalid data for MasterPassword policy: minLength must be between 12 and 128."},
		{1, `{"minLength":"abc"}`, "Invalid data for MasterPassword policy: minLength has an invalid value"},
		{1, `{"minLength":11}`, "minLength must be between 12 and 128."},
		{1, `{"minLength":129}`, "minLength must be between 12 and 128."},
		{1, `{"minLength":12.5}`, "minLength has an invalid value"},
		{1, `{"minComplexity":5}`, "minComplexity must be between 0 and 4."},
		{1, `{"requireUpper":"yes"}`, "requireUpper has an invalid value"},
		{1, `{"MinLength":14,"minLength":15}`, "The model state is invalid."}, // two spellings of one key
		{2, `{"minLength":4}`, "Invalid data for PasswordGenerator policy: minLength must be between 5 and 128."},
		{2, `{"minNumbers":10}`, "minNumbers must be between 0 and 9."},
		{2, `{"minSpecial":-1}`, "minSpecial must be between 0 and 9."},
		{2, `{"minNumberWords":21}`, "minNumberWords must be between 3 and 20."},
		{2, `{"overridePasswordType":"pin"}`, "overridePasswordType has an invalid value"},
		{7, `{"disableHideEmail":null}`, "Invalid data for SendOptions policy: disableHideEmail"},
		{8, `{"autoEnrollEnabled":"yes"}`, "Invalid data for ResetPassword policy: autoEnrollEnabled"},
		{9, `{"minutes":-1}`, "Invalid data for MaximumVaultTimeout policy: minutes must be between"},
		{9, `{"minutes":60,"action":"sleep"}`, "action has an invalid value"},
		{16, `{"uriMatchDetection":6}`, "Invalid data for UriMatchDefaults policy: uriMatchDetection must be"},
		{22, `{"rulesUrl":"http://rules.example.com/x"}`, "Invalid data for FillAssist policy: rulesUrl must be"},
		{1, `[12]`, "The model state is invalid."},
	}
	before := e.snapshot()
	for _, c := range refusals {
		r := e.putPolicy(owner, orgID, c.typ, true, json.RawMessage(c.data))
		e.refused(r, before, c.want)
		var body struct{ ValidationErrors map[string][]string }
		r.decode(t, &body)
		if len(body.ValidationErrors["Data"]) == 0 {
			t.Errorf("type %d %s: no validation error on Data: %s", c.typ, c.data, r.Body)
		}
	}
	// The newer clients' shape is checked the same way.
	r := e.call(owner.Token, "PUT", fmt.Sprintf("/api/organizations/%s/policies/1/vnext", orgID),
		map[string]any{"policy": map[string]any{"enabled": true, "data": map[string]any{"minLength": -5}}})
	e.refused(r, before, "minLength must be between 12 and 128.")

	accepted := []struct {
		typ        int
		data, want string // want: the data as stored and answered
	}{
		{1, `{"MinLength":12,"minComplexity":4,"requireUpper":true,"enforceOnLogin":null,"futureField":{"x":1}}`,
			`{"enforceOnLogin":null,"futureField":{"x":1},"minComplexity":4,"minLength":12,"requireUpper":true}`},
		{1, `{"minLength":128}`, `{"minLength":128}`},
		{2, `{"overridePasswordType":"passphrase","minLength":5,"minNumbers":9,"minNumberWords":20,"capitalize":true}`,
			`{"capitalize":true,"minLength":5,"minNumberWords":20,"minNumbers":9,"overridePasswordType":"passphrase"}`},
		{8, `{"autoEnrollEnabled":true,"extra":1}`, `{"autoEnrollEnabled":true,"extra":1}`},
		{9, `{"minutes":0,"action":"logOut"}`, `{"action":"logOut","minutes":0}`},
		{16, `{"uriMatchDetection":5}`, `{"uriMatchDetection":5}`},
		{22, `{"rulesUrl":"https://rules.example.com/fill.json"}`, `{"rulesUrl":"https://rules.example.com/fill.json"}`},
		{6, `{}`, `null`}, // an empty object is no settings, as the official server stores it
	}
	for _, c := range accepted {
		var p policyBody
		e.putPolicy(owner, orgID, c.typ, true, json.RawMessage(c.data)).must(t).decode(t, &p)
		var got policyBody
		e.must(owner, "GET", fmt.Sprintf("/api/organizations/%s/policies/%d", orgID, c.typ), nil).decode(t, &got)
		if string(p.Data) != c.want || string(got.Data) != c.want {
			t.Errorf("type %d %s: answered %s, read back %s, want %s", c.typ, c.data, p.Data, got.Data, c.want)
		}
	}
	if r := e.putPolicy(owner, orgID, 1, true, json.RawMessage(`{"minLength":-5}`)); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), `"Data"`) {
		t.Errorf("a refusal after a stored policy: %d %s", r.Status, r.Body)
	}
}
