package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringNeverPrints(t *testing.T) {
	s := String("hunter2")
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "secret", s)
	j, _ := json.Marshal(struct{ S String }{s})
	outputs := map[string]string{
		"fmt %v":  fmt.Sprintf("%v", s),
		"fmt %s":  fmt.Sprintf("%s", s),
		"fmt %+v": fmt.Sprintf("%+v", struct{ S String }{s}),
		"fmt %#v": fmt.Sprintf("%#v", s),
		"slog":    logged.String(),
		"json":    string(j),
	}
	for name, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s leaked the secret: %s", name, out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Fatalf("Reveal() = %q", s.Reveal())
	}
}

func TestEqual(t *testing.T) {
	if !Equal("abc", "abc") || Equal("abc", "abd") || Equal("abc", "ab") {
		t.Fatal("Equal gives wrong answers")
	}
}
