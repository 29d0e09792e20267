package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// DecodeJSON reads the request body into v. Unknown fields are ignored (the clients send more than
// any server reads), but the body must be one well-formed JSON value within the size limit.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return &Error{Status: http.StatusUnsupportedMediaType, Message: "The request body must be JSON."}
		}
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BadRequest("The request body must hold one JSON value.")
	}
	return nil
}

func decodeError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Message: "The request body is too large.", Cause: err}
	case errors.Is(err, io.EOF):
		return BadRequest("The request body is empty.")
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		field := FieldName(typeErr.Field)
		return &Error{Status: http.StatusBadRequest, Message: "The model state is invalid.", Cause: err,
			ValidationErrors: map[string][]string{field: {"The value has the wrong type."}}}
	}
	return &Error{Status: http.StatusBadRequest, Message: "The request body is not valid JSON.", Cause: err}
}
