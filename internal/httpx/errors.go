package httpx

import (
	"errors"
	"log/slog"
	"net/http"
)

// Error is an error with a message that is safe to show to the client, kept apart from its cause,
// which is only logged.
type Error struct {
	Status           int
	Message          string
	ValidationErrors map[string][]string
	Cause            error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.Cause }

// BadRequest is the official server's answer to input it refuses, and to actions that are not
// allowed: the official clients log the user out on 401 and 403, so "not allowed" is a 400 too.
func BadRequest(msg string) *Error { return &Error{Status: http.StatusBadRequest, Message: msg} }

// NotFound says the resource does not exist, or that the caller may not know that it does.
func NotFound(msg string) *Error { return &Error{Status: http.StatusNotFound, Message: msg} }

// Unauthorized is for a missing, invalid or expired access token, never for "not allowed".
func Unauthorized() *Error {
	return &Error{Status: http.StatusUnauthorized, Message: "Unauthorized."}
}

// Invalid is a 400 with per-field validation messages, as the clients display them.
func Invalid(field, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Message: "The model state is invalid.",
		ValidationErrors: map[string][]string{field: {msg}}}
}

// Conflict says the resource already exists.
func Conflict(msg string) *Error { return &Error{Status: http.StatusConflict, Message: msg} }

// errorBody is the official server's error model; the clients read message and validationErrors.
type errorBody struct {
	Message               string              `json:"message"`
	ValidationErrors      map[string][]string `json:"validationErrors"`
	ExceptionMessage      *string             `json:"exceptionMessage"`
	ExceptionStackTrace   *string             `json:"exceptionStackTrace"`
	InnerExceptionMessage *string             `json:"innerExceptionMessage"`
	Object                string              `json:"object"`
}

// WriteError renders err as the Bitwarden error body. An *Error keeps its status and public message;
// anything else is a 500 with a generic message, and its text goes only to the log.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	var he *Error
	if !errors.As(err, &he) {
		he = &Error{Status: http.StatusInternalServerError, Message: "An error has occurred.", Cause: err}
	}
	if he.Status >= 500 {
		logger.ErrorContext(r.Context(), "request failed", "request_id", RequestIDFrom(r.Context()),
			"status", he.Status, "err", err)
	} else if he.Cause != nil {
		logger.DebugContext(r.Context(), "request refused", "request_id", RequestIDFrom(r.Context()),
			"status", he.Status, "err", he.Cause)
	}
	WriteJSON(w, he.Status, errorBody{Message: he.Message, ValidationErrors: he.ValidationErrors, Object: "error"})
}
