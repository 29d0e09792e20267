package samlsp

import (
	"errors"
	"fmt"
	"log/slog"
)

// Kind sorts a refused SAML message by why it was refused. Every *Error has one; match it with
// errors.Is(err, samlsp.ErrExpired) and friends.
type Kind int

// The kinds of refusal. Their public messages are safe to show to the user; the private cause of an
// *Error is not.
const (
	KindInternal Kind = iota
	KindMalformed
	KindTooLarge
	KindUnsupportedBinding
	KindSignature
	KindAlgorithm
	KindCertificate
	KindIssuer
	KindAudience
	KindDestination
	KindRecipient
	KindExpired
	KindNotYetValid
	KindRequestID
	KindUnsolicited
	KindReplayed
	KindDecryption
	KindStatus
	KindNoSubject
)

var kindNames = map[Kind]string{
	KindInternal: "internal", KindMalformed: "malformed", KindTooLarge: "too_large",
	KindUnsupportedBinding: "unsupported_binding", KindSignature: "signature", KindAlgorithm: "algorithm",
	KindCertificate: "certificate", KindIssuer: "issuer", KindAudience: "audience",
	KindDestination: "destination", KindRecipient: "recipient", KindExpired: "expired",
	KindNotYetValid: "not_yet_valid", KindRequestID: "request_id", KindUnsolicited: "unsolicited",
	KindReplayed: "replayed", KindDecryption: "decryption", KindStatus: "status",
	KindNoSubject: "no_subject",
}

// String names the kind for logs and metrics (snake_case).
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "unknown"
}

// Sentinels for errors.Is. An *Error matches the sentinel of its Kind.
var (
	ErrInternal           = &Error{Kind: KindInternal}
	ErrMalformed          = &Error{Kind: KindMalformed}
	ErrTooLarge           = &Error{Kind: KindTooLarge}
	ErrUnsupportedBinding = &Error{Kind: KindUnsupportedBinding}
	ErrSignature          = &Error{Kind: KindSignature}
	ErrAlgorithm          = &Error{Kind: KindAlgorithm}
	ErrCertificate        = &Error{Kind: KindCertificate}
	ErrIssuer             = &Error{Kind: KindIssuer}
	ErrAudience           = &Error{Kind: KindAudience}
	ErrDestination        = &Error{Kind: KindDestination}
	ErrRecipient          = &Error{Kind: KindRecipient}
	ErrExpired            = &Error{Kind: KindExpired}
	ErrNotYetValid        = &Error{Kind: KindNotYetValid}
	ErrRequestID          = &Error{Kind: KindRequestID}
	ErrUnsolicited        = &Error{Kind: KindUnsolicited}
	ErrReplayed           = &Error{Kind: KindReplayed}
	ErrDecryption         = &Error{Kind: KindDecryption}
	ErrStatus             = &Error{Kind: KindStatus}
	ErrNoSubject          = &Error{Kind: KindNoSubject}
)

// publicMessages are shown to the person whose login failed. They name the class of problem, so
// that an administrator can be told what to look at, and nothing from the message itself.
var publicMessages = map[Kind]string{
	KindInternal:           "Single sign-on failed because of a server error.",
	KindMalformed:          "The identity provider's answer could not be read.",
	KindTooLarge:           "The identity provider's answer is too large.",
	KindUnsupportedBinding: "The identity provider used a SAML binding that is not supported.",
	KindSignature:          "The identity provider's answer is not signed as required.",
	KindAlgorithm:          "The identity provider signed its answer with a weak algorithm.",
	KindCertificate:        "The identity provider's answer is signed with another certificate.",
	KindIssuer:             "The answer does not come from the configured identity provider.",
	KindAudience:           "The identity provider's answer is meant for another service.",
	KindDestination:        "The identity provider's answer was sent to the wrong address.",
	KindRecipient:          "The identity provider's answer was sent to the wrong address.",
	KindExpired:            "The identity provider's answer has expired. Please sign in again.",
	KindNotYetValid:        "The identity provider's answer is not valid yet. Check the clocks.",
	KindRequestID:          "This sign-in was not started here or was already used. Please sign in again.",
	KindUnsolicited:        "Sign-in started at the identity provider is not allowed. Start from the vault.",
	KindReplayed:           "This sign-in answer was already used. Please sign in again.",
	KindDecryption:         "The identity provider's answer could not be decrypted.",
	KindStatus:             "The identity provider refused the sign-in.",
	KindNoSubject:          "The identity provider's answer does not identify a user.",
}

// Error is a refused SAML message or a failed SAML operation. Error() returns only the public
// message, which is safe to show to the user. The private cause, which may name IDs, URLs and
// algorithms from the message (never its content), is for logs: read it with Cause or log the error
// with slog, whose LogValue includes it.
type Error struct {
	Kind  Kind
	cause error
}

func newError(kind Kind, cause error) *Error { return &Error{Kind: kind, cause: cause} }

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, cause: fmt.Errorf(format, args...)}
}

// Error returns the public message.
func (e *Error) Error() string { return e.Public() }

// Public returns the message that may be shown to the user.
func (e *Error) Public() string {
	if msg, ok := publicMessages[e.Kind]; ok {
		return msg
	}
	return publicMessages[KindInternal]
}

// Cause returns the private reason, for logs only.
func (e *Error) Cause() error { return e.cause }

// Unwrap returns the private cause, so that errors.Is can also reach crewjam/saml's error kinds.
func (e *Error) Unwrap() error { return e.cause }

// Is matches the sentinel of the same Kind.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.cause == nil && t.Kind == e.Kind
}

// LogValue logs the kind and the private cause.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("kind", e.Kind.String()), slog.String("public", e.Public())}
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
