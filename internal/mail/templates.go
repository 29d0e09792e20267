package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// template is one kind of message: an HTML body inside the shared layout and a text body.
type template struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

// button is the data of the layout's "button" block.
type button struct{ Label, URL string }

func parseTemplate(name string) template {
	funcs := htmltemplate.FuncMap{"button": func(label, u string) button { return button{label, u} }}
	h := htmltemplate.Must(htmltemplate.New(name).Funcs(funcs).ParseFS(templateFS,
		"templates/layout.html.tmpl", "templates/"+name+".html.tmpl"))
	textName := name + ".txt.tmpl"
	t := texttemplate.Must(texttemplate.New(textName).ParseFS(templateFS, "templates/"+textName))
	return template{html: h, text: t}
}

// The parsed templates never change after start-up.
var (
	inviteTemplate        = parseTemplate("invite")
	confirmedTemplate     = parseTemplate("confirmed")
	domainFailingTemplate = parseTemplate("domain_failing")
	verifyEmailTemplate   = parseTemplate("verify_email")
)

// page is embedded in every view: the HTML layout reads the subject and the instance's host.
type page struct {
	Subject string
	Host    string
}

func newPage(subject, base string) page {
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Host
	}
	return page{Subject: subject, Host: host}
}

// render runs the text and HTML bodies on view, a struct that embeds page.
func (t template) render(view any) (text, html string, err error) {
	var tb, hb bytes.Buffer
	if err := t.text.Execute(&tb, view); err != nil {
		return "", "", fmt.Errorf("render text body: %w", err)
	}
	if err := t.html.ExecuteTemplate(&hb, "layout", view); err != nil {
		return "", "", fmt.Errorf("render html body: %w", err)
	}
	return tb.String(), hb.String(), nil
}

// ErrMissingInput reports message data without a field the message needs.
var ErrMissingInput = errors.New("missing message input")

// origin checks that publicURL is an absolute http(s) origin and returns it without a trailing slash.
func origin(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%w: public URL must be an http(s) origin", ErrMissingInput)
	}
	return strings.TrimRight(publicURL, "/"), nil
}

// queryEscape escapes a query value for the web vault's hash router, which reads "+" as a space:
// spaces become %20 and a literal "+" (common in email addresses) becomes %2B.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// hashRoute builds <origin>/#/<route>?k1=v1&k2=v2 with the pairs in the given order.
func hashRoute(base, route string, pairs ...string) string {
	var b strings.Builder
	b.WriteString(base + "/#/" + route)
	for i := 0; i+1 < len(pairs); i += 2 {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(pairs[i] + "=" + queryEscape(pairs[i+1]))
	}
	return b.String()
}

// formatDay prints a time for people: "5 March 2026, 14:30 UTC".
func formatDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}
