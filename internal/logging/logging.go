// Package logging builds castellan's slog logger. There is no global logger: the one built here is
// passed down, and each component takes a child with a component attribute.
package logging

import (
	"io"
	"log/slog"

	"github.com/castellan-vault/castellan/internal/config"
)

// New returns a logger writing to w in the given format ("text" or "json") at the given level.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl, err := config.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
