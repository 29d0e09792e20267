package samlsp

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestErrorKeepsCausePrivate(t *testing.T) {
	err := fmt.Errorf("acs: %w", errorf(KindAudience, "audience %q", "https://secret.example/"))
	if !errors.Is(err, ErrAudience) || errors.Is(err, ErrSignature) || KindOf(err) != KindAudience {
		t.Fatal("kind matching is wrong")
	}
	if strings.Contains(err.Error(), "secret.example") {
		t.Fatalf("public text carries the cause: %q", err.Error())
	}
	var logged strings.Builder
	var e *Error
	errors.As(err, &e)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("refused", "err", e)
	if !strings.Contains(logged.String(), "secret.example") || !strings.Contains(logged.String(), "kind=audience") {
		t.Fatalf("log line lacks the cause or kind: %s", logged.String())
	}
	for k := KindInternal; k <= KindNoSubject; k++ {
		if k.String() == "unknown" || (&Error{Kind: k}).Public() == "" {
			t.Errorf("kind %d has no name or public message", k)
		}
	}
}
