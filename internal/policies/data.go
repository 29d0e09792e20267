package policies

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// A policy's settings ("data") are a JSON object the clients read. The official server deserialises
// the settings of some types into their model before storing them and refuses what does not fit
// (wrong JSON types, and for the master password policy the ranges of its model); it stores the
// object as sent, so fields it does not know are kept. castellan does the same for those types and
// also checks the types whose settings the official clients apply on every device without a check
// of their own (password generator, vault timeout, URI matching): out-of-range values there would
// reach every member's client. Each rule names a field and what it accepts; a null value means "not
// set" except where the official model has a non-nullable field.

// fieldRule checks the value of one known field; it returns what is wrong, or "".
type fieldRule func(v json.RawMessage) string

// typeNames are the official PolicyType names, which the official refusal messages carry.
var typeNames = map[Type]string{
	TypeMasterPassword:      "MasterPassword",
	TypePasswordGenerator:   "PasswordGenerator",
	TypeSendOptions:         "SendOptions",
	TypeResetPassword:       "ResetPassword",
	TypeMaximumVaultTimeout: "MaximumVaultTimeout",
	TypeURIMatchDefaults:    "UriMatchDefaults",
	TypeFillAssist:          "FillAssist",
}

// dataRules are the checked fields of each type's settings. The ranges are the official models'
// (MasterPasswordPolicyData: minLength 12 to 128, minComplexity 0 to 4) and, for the password
// generator, the bounds the official clients' generator applies (length 5 to 128, at most 9 digits
// or special characters, 3 to 20 words); URI match detection is the official UriMatchStrategy (0 to
// 5); the vault timeout action is the official VaultTimeoutAction.
var dataRules = map[Type]map[string]fieldRule{
	TypeMasterPassword: {
		"minComplexity":  intIn(0, 4),
		"minLength":      intIn(12, 128),
		"requireLower":   boolean(true),
		"requireUpper":   boolean(true),
		"requireNumbers": boolean(true),
		"requireSpecial": boolean(true),
		"enforceOnLogin": boolean(true),
	},
	TypePasswordGenerator: {
		"overridePasswordType": oneOf("password", "passphrase"),
		"minLength":            intIn(5, 128),
		"minNumbers":           intIn(0, 9),
		"minSpecial":           intIn(0, 9),
		"minNumberWords":       intIn(3, 20),
		"useUpper":             boolean(true),
		"useLower":             boolean(true),
		"useNumbers":           boolean(true),
		"useSpecial":           boolean(true),
		"capitalize":           boolean(true),
		"includeNumber":        boolean(true),
	},
	TypeSendOptions:         {"disableHideEmail": boolean(false)},
	TypeResetPassword:       {"autoEnrollEnabled": boolean(false)},
	TypeMaximumVaultTimeout: {"minutes": intIn(0, 1<<31-1), "action": oneOf("lock", "logOut")},
	TypeURIMatchDefaults:    {"uriMatchDetection": intIn(0, 5)},
	TypeFillAssist:          {"rulesUrl": httpsURL},
}

// checkData returns the problems of obj (keys already camelCase) as the settings of type t, one
// sentence per field in key order; none for a type without rules.
func checkData(t Type, obj map[string]json.RawMessage) []string {
	rules := dataRules[t]
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if rules[k] != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if msg := rules[k](obj[k]); msg != "" {
			out = append(out, k+" "+msg)
		}
	}
	return out
}

// dataError is the refusal of bad settings: the official message ("Invalid data for MasterPassword
// policy: ...") with each problem under Data in validationErrors.
func dataError(t Type, problems []string) error {
	name := typeNames[t]
	if name == "" {
		name = strconv.Itoa(int(t))
	}
	return &httpx.Error{Status: http.StatusBadRequest,
		Message:          fmt.Sprintf("Invalid data for %s policy: %s", name, strings.Join(problems, " ")),
		ValidationErrors: map[string][]string{"Data": problems}}
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// intIn accepts a JSON integer from lo to hi, or null.
func intIn(lo, hi int64) fieldRule {
	return func(v json.RawMessage) string {
		if isNull(v) {
			return ""
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		switch {
		case err != nil:
			return "has an invalid value: it must be a whole number."
		case n < lo || n > hi:
			return fmt.Sprintf("must be between %d and %d.", lo, hi)
		}
		return ""
	}
}

// boolean accepts true or false, and null when nullable (the official model's bool? fields).
func boolean(nullable bool) fieldRule {
	return func(v json.RawMessage) string {
		s := string(v)
		if s == "true" || s == "false" || nullable && s == "null" {
			return ""
		}
		return "has an invalid value: it must be true or false."
	}
}

// oneOf accepts one of the strings, or null.
func oneOf(allowed ...string) fieldRule {
	return func(v json.RawMessage) string {
		var s *string
		if err := json.Unmarshal(v, &s); err == nil && (s == nil || slices.Contains(allowed, *s)) {
			return ""
		}
		return fmt.Sprintf("has an invalid value: it must be %s or null.", quoteList(allowed))
	}
}

// httpsURL accepts an absolute https URL, or null (the official FillAssistPolicyData.RulesUrl).
func httpsURL(v json.RawMessage) string {
	var s *string
	if err := json.Unmarshal(v, &s); err != nil {
		return "has an invalid value: it must be a URL."
	}
	if s == nil {
		return ""
	}
	u, err := url.Parse(*s)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || len(*s) > 2048 {
		return "must be an https URL."
	}
	return ""
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " or ")
}
