package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEverySetting keeps the README's configuration table in step with the code.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, s := range Settings(&Server{}) {
		if !strings.Contains(readme, "`"+s.Env+"`") || (s.Flag != "" && !strings.Contains(readme, "`--"+s.Flag+"`")) {
			t.Errorf("README.md does not document %s / --%s", s.Env, s.Flag)
		}
	}
}
