package oidcrp

import (
	"errors"
	"fmt"
	"log/slog"
)

// Kind sorts a failed sign-in by the check that refused it. Every *Error has one; match it with
// errors.Is(err, oidcrp.ErrNonce) and friends, or KindOf.
type Kind int

// The kinds of refusal.
const (
	KindInternal Kind = iota
	KindConfig
	KindDiscovery
	KindState
	KindIssuerParam
	KindProviderError
	KindMissingCode
	KindTokenExchange
	KindMissingIDToken
	KindSignature
	KindIssuer
	KindAudience
	KindExpired
	KindNonce
	KindAccessTokenHash
	KindNoSubject
	KindUserInfo
	KindUserInfoSubject
	KindACR
)

// Sentinels for errors.Is. An *Error matches the sentinel of its Kind.
var (
	ErrInternal        = &Error{Kind: KindInternal}
	ErrConfig          = &Error{Kind: KindConfig}
	ErrDiscovery       = &Error{Kind: KindDiscovery}
	ErrState           = &Error{Kind: KindState}
	ErrIssuerParam     = &Error{Kind: KindIssuerParam}
	ErrProviderError   = &Error{Kind: KindProviderError}
	ErrMissingCode     = &Error{Kind: KindMissingCode}
	ErrTokenExchange   = &Error{Kind: KindTokenExchange}
	ErrMissingIDToken  = &Error{Kind: KindMissingIDToken}
	ErrSignature       = &Error{Kind: KindSignature}
	ErrIssuer          = &Error{Kind: KindIssuer}
	ErrAudience        = &Error{Kind: KindAudience}
	ErrExpired         = &Error{Kind: KindExpired}
	ErrNonce           = &Error{Kind: KindNonce}
	ErrAccessTokenHash = &Error{Kind: KindAccessTokenHash}
	ErrNoSubject       = &Error{Kind: KindNoSubject}
	ErrUserInfo        = &Error{Kind: KindUserInfo}
	ErrUserInfoSubject = &Error{Kind: KindUserInfoSubject}
	ErrACR             = &Error{Kind: KindACR}
)

// publicMessages are shown to the person whose sign-in failed: the class of problem, so that an
// administrator knows where to look, and nothing taken from the provider's answer.
var publicMessages = map[Kind]string{
	KindInternal:  "Single sign-on failed because of a server error.",
	KindConfig:    "Single sign-on is not configured correctly for this organization.",
	KindDiscovery: "The organization's identity provider cannot be reached or is misconfigured.",
	KindState: "This sign-in was not started in this browser, or it was already used. " +
		"Please sign in again.",
	KindIssuerParam:    "The answer does not come from the organization's identity provider.",
	KindProviderError:  "The identity provider refused the sign-in.",
	KindMissingCode:    "The identity provider's answer is incomplete. Please sign in again.",
	KindTokenExchange:  "The identity provider did not accept this sign-in. Please sign in again.",
	KindMissingIDToken: "The identity provider's answer does not contain an ID token.",
	KindSignature:      "The identity provider's ID token is not correctly signed.",
	KindIssuer:         "The ID token does not come from the organization's identity provider.",
	KindAudience:       "The ID token is meant for another application.",
	KindExpired: "The ID token is expired or not valid yet. " +
		"Check the server clocks and sign in again.",
	KindNonce:           "The ID token does not belong to this sign-in. Please sign in again.",
	KindAccessTokenHash: "The identity provider's tokens do not belong together.",
	KindNoSubject:       "The identity provider's answer does not identify a user.",
	KindUserInfo:        "The identity provider's user information could not be read.",
	KindUserInfoSubject: "The identity provider's user information is about another user.",
	KindACR:             "The sign-in did not use the authentication method the organization requires.",
}

// Error is a refused sign-in. Error() returns only the public message, which is safe to show to
// the user. The private cause (URLs, status codes, library messages; never a secret or token) is
// for logs: read it with Cause, or log the error with slog, whose LogValue includes it.
type Error struct {
	Kind Kind
	// ProviderCode is the provider's error code for KindProviderError and KindTokenExchange when
	// it is one of the codes the OAuth and OIDC specifications define, else empty.
	ProviderCode string
	cause        error
}

func newError(kind Kind, cause error) *Error { return &Error{Kind: kind, cause: cause} }

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, cause: fmt.Errorf(format, args...)}
}

// Error returns the public message.
func (e *Error) Error() string { return e.Public() }

// Public returns the message that may be shown to the user.
func (e *Error) Public() string {
	msg, ok := publicMessages[e.Kind]
	if !ok {
		msg = publicMessages[KindInternal]
	}
	if e.ProviderCode != "" {
		msg += " (" + e.ProviderCode + ")"
	}
	return msg
}

// Cause returns the private reason, for logs only.
func (e *Error) Cause() error { return e.cause }

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.cause }

// Is matches the sentinel of the same Kind; a target with a ProviderCode also needs that code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.cause == nil && t.Kind == e.Kind && (t.ProviderCode == "" || t.ProviderCode == e.ProviderCode)
}

// LogValue logs the kind, the public message and the private cause.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Int("kind", int(e.Kind)), slog.String("public", e.Public())}
	if e.cause != nil {
		attrs = append(attrs, slog.String("cause", e.cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

// KindOf returns the Kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// knownCodes are the error codes of RFC 6749 §4.1.2.1 and §5.2 and OpenID Connect Core §3.1.2.6.
// Only these are echoed to the user; anything else the provider sends stays in the log.
var knownCodes = map[string]bool{
	"invalid_request": true, "unauthorized_client": true, "access_denied": true,
	"unsupported_response_type": true, "invalid_scope": true, "server_error": true,
	"temporarily_unavailable": true, "invalid_client": true, "invalid_grant": true,
	"unsupported_grant_type": true, "interaction_required": true, "login_required": true,
	"account_selection_required": true, "consent_required": true, "invalid_request_uri": true,
	"invalid_request_object": true, "request_not_supported": true, "request_uri_not_supported": true,
	"registration_not_supported": true,
}

func safeCode(code string) string {
	if knownCodes[code] {
		return code
	}
	return ""
}
