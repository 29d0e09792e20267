package sso

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// castellan's own pages: plain HTML from small embedded templates, one stylesheet and two
// scripts of its own, no framework. Every page is served with a Content-Security-Policy that allows
// only castellan's own scripts and styles.

//go:embed web
var webFS embed.FS

var pageTemplates = template.Must(template.ParseFS(webFS, "web/*.html"))

// pageCSP is the Content-Security-Policy of castellan's pages.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// page is what the templates show.
type page struct {
	Title    string
	Message  string
	Hint     string
	Link     string
	LinkText string
	// AppLink is a registered redirect URI of an app (bitwarden://...), trusted so that the
	// template's URL filter leaves its scheme alone.
	AppLink   template.URL
	RequestID string
}

// render writes a page with the given status; pages are never cached.
func render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, p); err != nil {
		http.Error(w, "An error has occurred.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// refusal is a sign-in castellan refuses with an error page: a status, a message safe to show
// (never an internal detail, a claim value or a secret), a reason code and the private cause for the
// log.
type refusal struct {
	status  int
	message string
	hint    string
	reason  string
	cause   error
}

func (e *refusal) Error() string {
	if e.cause != nil {
		return e.reason + ": " + e.cause.Error()
	}
	return e.reason
}

func (e *refusal) Unwrap() error { return e.cause }

// refuse makes a 400 refusal.
func refuse(reason, message string, cause error) *refusal {
	return &refusal{status: http.StatusBadRequest, message: message, reason: reason, cause: cause}
}

// Messages of the error pages.
const (
	msgTryAgain       = "Start the sign-in again from your Bitwarden app."
	msgInvalidRequest = "The sign-in request is not valid."
	msgInvalidClient  = "The sign-in request does not come from a known Bitwarden app."
	msgFlowGone       = "This sign-in was not started in this browser, has expired, or was already used."
	msgSSOUnavailable = "Single sign-on is not available for this organization. Check the SSO identifier, " +
		"or ask your administrator whether single sign-on is turned on."
	msgServerError = "Single sign-on failed because of a server error."
)

// writeRefusal renders a refusal as the error page and logs it (the cause only in the log).
func (s *Service) writeRefusal(w http.ResponseWriter, r *http.Request, e *refusal) {
	ctx := r.Context()
	level := s.log.InfoContext
	if e.status >= 500 {
		level = s.log.ErrorContext
	}
	level(ctx, "sso sign-in refused", "request_id", httpx.RequestIDFrom(ctx), "reason", e.reason,
		"status", e.status, "err", e.cause)
	hint := e.hint
	if hint == "" {
		hint = msgTryAgain
	}
	render(w, e.status, "error.html", page{Title: "Sign-in failed", Message: e.message, Hint: hint,
		RequestID: httpx.RequestIDFrom(ctx)})
}

// writeError renders any error of a page handler: a *refusal as itself, anything else as a server
// error whose cause is only logged.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *refusal
	if !errors.As(err, &e) {
		e = &refusal{status: http.StatusInternalServerError, message: msgServerError, reason: "internal", cause: err}
	}
	s.writeRefusal(w, r, e)
}

// App serves castellan's single-page entry at /: the script reads the URL fragment (which never
// reaches the server) and shows the SSO start form (#/sso), the invitation landing
// (#/accept-organization), the landing of an e-mail verification link (#/finish-signup), or the
// explanation of a refused SSO sign-in (#/login?error=...).
func (s *Service) App(w http.ResponseWriter, _ *http.Request) {
	render(w, http.StatusOK, "app.html", page{Title: "castellan"})
}

// Connector serves /sso-connector.html, where the web client's sign-in ends: the script redeems
// the code and, for a new account, sets the master password with WebCrypto.
func (s *Service) Connector(w http.ResponseWriter, _ *http.Request) {
	render(w, http.StatusOK, "app.html", page{Title: "Single sign-on"})
}

// RedirectConnector serves /redirect-connector.html, where the official shape of the e-mail
// verification link lands (#finish-signup?...): the script forwards it to #/finish-signup.
func (s *Service) RedirectConnector(w http.ResponseWriter, _ *http.Request) {
	render(w, http.StatusOK, "app.html", page{Title: "castellan"})
}

// SignedOut serves the signed-out callback page.
func (s *Service) SignedOut(w http.ResponseWriter, _ *http.Request) {
	render(w, http.StatusOK, "error.html", page{Title: "Signed out",
		Message: "You have been signed out of your organization's identity provider."})
}

// staticTypes are the content types of the embedded assets.
var staticTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

// Static serves /castellan/{file}: the pages' stylesheet and scripts.
func (s *Service) Static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ct, ok := staticTypes[path.Ext(name)]
	if !ok || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(webFS, "web/"+name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
