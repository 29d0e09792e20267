package httpx

import (
	"log/slog"
	"net/http"
)

// Handler is an HTTP handler that may fail. Its error is rendered by WriteError, so each handler
// returns errors instead of writing error responses itself.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to http.Handler, rendering its error with logger.
func Handle(logger *slog.Logger, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, r, logger, err)
		}
	})
}
