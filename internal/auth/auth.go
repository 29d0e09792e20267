// Package auth carries the authenticated caller of an API request.
//
// The identity concern issues access tokens; it implements [Verifier]. [Require] checks the bearer
// token of every /api request that needs a caller and puts the [Principal] in the request context,
// where handlers read it with [FromContext]. A missing, malformed, expired or revoked token is a 401:
// the one case where the official clients should drop their session. Everything a valid caller is
// not allowed to do is answered by the handlers with 400 or 404, never 401 or 403.
package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// Principal is the caller behind a valid access token.
type Principal struct {
	UserID        string   // lower-case GUID
	Email         string   // as registered
	SecurityStamp string   // changes when the user's credentials change
	ClientID      string   // "cli", "web", "user.<id>" for an API key, ...
	DeviceID      string   // the device's identifier as the client sent it, if any
	Scopes        []string // e.g. "api", "offline_access"
	SSO           bool     // the login came through single sign-on ("amr": ["external"])
	OrgID         string   // for SSO logins, the organization whose provider signed the user in
}

// ErrInvalidToken means the token is not one castellan issued, or no longer valid.
var ErrInvalidToken = errors.New("invalid access token")

// Verifier checks an access token and returns its principal, or an error wrapping ErrInvalidToken.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the caller of the request. ok is false outside Require.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// MustFromContext returns the caller, or an error that renders as 401 if there is none (a route was
// mounted without Require).
func MustFromContext(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, httpx.Unauthorized()
	}
	return p, nil
}

// Require wraps h so that it only runs with a valid bearer token.
func Require(v Verifier, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := BearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized.", "object": "error"})
			return
		}
		p, err := v.Verify(r.Context(), token)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized.", "object": "error"})
			return
		}
		h.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}
