package identity

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// oauthError is a token-endpoint failure in the shape the clients parse: the OAuth 2.0 "error" and
// "error_description" (RFC 6749 §5.2), plus the Bitwarden "ErrorModel" whose Message the clients
// show. The private cause is only logged.
type oauthError struct {
	status      int
	code        string
	description string
	message     string        // ErrorModel.Message; omitted when ""
	ssoOrg      string        // SsoOrganizationIdentifier; omitted when ""
	retryAfter  time.Duration // for 429
	cause       error
}

func (e *oauthError) Error() string {
	s := e.code + ": " + e.description
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *oauthError) Unwrap() error { return e.cause }

type errorModel struct {
	Message string `json:"Message"`
	Object  string `json:"Object"`
}

type oauthErrorBody struct {
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description,omitempty"`
	ErrorModel       *errorModel `json:"ErrorModel,omitempty"`
	// SsoOrganizationIdentifier makes the clients start that organization's single sign-on.
	SsoOrganizationIdentifier string `json:"SsoOrganizationIdentifier,omitempty"`
}

func (e *oauthError) write(w http.ResponseWriter) {
	body := oauthErrorBody{Error: e.code, ErrorDescription: e.description, SsoOrganizationIdentifier: e.ssoOrg}
	if e.message != "" {
		body.ErrorModel = &errorModel{Message: e.message, Object: "error"}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}

// badPassword is the exact answer the clients turn into "Invalid master password": the same for an
// unknown address, a wrong password and an account without a master password.
func badPassword(cause error) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant",
		description: "invalid_username_or_password", message: "Username or password is incorrect. Try again.",
		cause: cause}
}

// ssoRequired is the answer to a password login that the Require SSO policy forbids: the official
// description, and the identifier of the organization whose SSO the clients should start, when one
// is known (an interactive official client then starts it; without one it shows the message).
func ssoRequired(identifier string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant",
		description: "Sso authentication is required.",
		message:     "Your organization requires single sign-on. Log in with SSO instead of the master password.",
		ssoOrg:      identifier}
}

// invalidClient is the answer to a bad API key or an unknown client id; the CLI maps the bare
// {"error":"invalid_client"} to "client_id or client_secret is incorrect".
func invalidClient(cause error) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_client", cause: cause}
}

func invalidRequest(msg string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: msg, message: msg}
}

func invalidGrant(msg string, cause error) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", description: msg, message: msg, cause: cause}
}

// rateLimited is a 429; the clients show "Rate limit exceeded. Try again later." for any 429 body.
func rateLimited(wait time.Duration) *oauthError {
	return &oauthError{status: http.StatusTooManyRequests, code: "rate_limited",
		description: "too_many_failed_logins", message: "Too many failed logins. Try again later.",
		retryAfter: wait}
}

// WriteRequestError answers a request for the token endpoint that is refused before the endpoint
// reads it (a body over the server's limit, a method other than POST) with invalid_request in the
// OAuth shape the clients parse from this endpoint (RFC 6749 §5.2), not the API's error body.
func WriteRequestError(w http.ResponseWriter, status int, description string) {
	(&oauthError{status: status, code: "invalid_request", description: description, message: description}).write(w)
}
