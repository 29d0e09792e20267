package adminclient

import (
	"slices"
	"testing"
)

func TestMasterPasswordShortfalls(t *testing.T) {
	all := map[string]any{"minLength": 16.0, "requireUpper": true, "requireLower": true,
		"requireNumbers": true, "requireSpecial": true, "minComplexity": 4.0}
	if got := masterPasswordShortfalls(all, "Correct-Horse-9-Battery!"); len(got) != 0 {
		t.Errorf("a compliant password: %v", got)
	}
	want := []string{"at least 16 characters", "an upper-case letter", "a digit", "one of !@#$%^&*"}
	if got := masterPasswordShortfalls(all, "short-one"); !slices.Equal(got, want) {
		t.Errorf("shortfalls = %v, want %v", got, want)
	}
	if got := masterPasswordShortfalls(nil, "x"); len(got) != 0 {
		t.Errorf("no rules: %v", got)
	}
}
