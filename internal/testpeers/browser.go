package testpeers

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// maxLoginSteps bounds the requests of one login walk.
const maxLoginSteps = 25

// NewBrowserClient returns an HTTP client with its own cookie jar, as a browser would use
// across the IdP's pages. The login helpers take such a client (or make one when given nil).
func NewBrowserClient() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(fmt.Sprintf("testpeers: cookie jar: %v", err)) // cookiejar.New(nil) never fails
	}
	return &http.Client{Jar: jar}
}

// HTMLForm is one <form> of a page: its resolved action, method and fields in order.
type HTMLForm struct {
	Action string // absolute URL
	Method string // upper case; GET when absent
	Fields []FormField
}

// FormField is one named <input> or <button> of a form.
type FormField struct {
	Name, Value, Type string
}

// Get returns the value of the first field called name, or "".
func (f HTMLForm) Get(name string) string {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return fl.Value
		}
	}
	return ""
}

// Has reports whether the form has a field called name.
func (f HTMLForm) Has(name string) bool {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return true
		}
	}
	return false
}

// Values returns the fields as form values, leaving out submit buttons without a name.
func (f HTMLForm) Values() url.Values {
	v := url.Values{}
	for _, fl := range f.Fields {
		if fl.Name != "" && fl.Type != "submit" && fl.Type != "button" {
			v.Add(fl.Name, fl.Value)
		}
	}
	return v
}

var (
	formRE  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form\s*>`)
	fieldRE = regexp.MustCompile(`(?is)<(input|button)\b([^>]*)>`)
	attrRE  = regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
)

// ParseForms reads the forms of an HTML page served at base. It understands the plain
// server-rendered pages of the IdPs used here, not arbitrary HTML.
func ParseForms(base *url.URL, page string) []HTMLForm {
	var forms []HTMLForm
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		attrs := parseAttrs(m[1])
		f := HTMLForm{Method: strings.ToUpper(attrs["method"])}
		if f.Method == "" {
			f.Method = http.MethodGet
		}
		action, err := base.Parse(attrs["action"])
		if err != nil {
			continue
		}
		f.Action = action.String()
		for _, fm := range fieldRE.FindAllStringSubmatch(m[2], -1) {
			a := parseAttrs(fm[2])
			if _, ok := a["name"]; !ok {
				continue
			}
			typ := strings.ToLower(a["type"])
			if typ == "" && strings.EqualFold(fm[1], "button") {
				typ = "submit"
			}
			f.Fields = append(f.Fields, FormField{Name: a["name"], Value: a["value"], Type: typ})
		}
		forms = append(forms, f)
	}
	return forms
}

func parseAttrs(s string) map[string]string {
	attrs := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		name := strings.ToLower(m[1])
		if _, dup := attrs[name]; !dup {
			attrs[name] = html.UnescapeString(m[2] + m[3] + m[4])
		}
	}
	return attrs
}

// page is one HTML answer seen during a login walk.
type page struct {
	URL    *url.URL
	Status int
	Body   string
	Forms  []HTMLForm
}

// pageAction is what a login walk does on an HTML page: submit a form with values
// (done=false), or stop with the page as the result (done=true).
type pageAction struct {
	form   *HTMLForm
	values url.Values
	done   bool
}

// walker drives a client through redirects and forms until a redirect to stopPrefix or
// until decide says done.
type walker struct {
	client     *http.Client
	stopPrefix string
	decide     func(p *page) (pageAction, error)
}

// errStop is returned by a walk that ended on a page (decide said done).
var errStop = errors.New("stopped on page")

// run starts with GET startURL. It returns the redirect target that matched stopPrefix,
// or the page decide stopped on (with errStop).
func (w *walker) run(ctx context.Context, startURL string) (*url.URL, *page, error) {
	c := noRedirects(w.client)
	method, target, body := http.MethodGet, startURL, url.Values(nil)
	for step := 0; step < maxLoginSteps; step++ {
		resp, err := send(ctx, c, method, target, body)
		if err != nil {
			return nil, nil, err
		}
		if loc, ok, err := redirectTarget(resp); err != nil {
			return nil, nil, err
		} else if ok {
			if w.stopPrefix != "" && strings.HasPrefix(loc.String(), w.stopPrefix) {
				return loc, nil, nil
			}
			method, target, body = http.MethodGet, loc.String(), nil
			continue
		}
		p, err := readPage(resp)
		if err != nil {
			return nil, nil, err
		}
		act, err := w.decide(p)
		if err != nil {
			return nil, p, err
		}
		if act.done {
			return nil, p, errStop
		}
		method, target, body = act.form.Method, act.form.Action, act.values
	}
	return nil, nil, fmt.Errorf("login did not finish within %d requests", maxLoginSteps)
}

// noRedirects copies c (sharing its jar and transport) so that it returns redirects.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = NewBrowserClient()
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

func send(ctx context.Context, c *http.Client, method, target string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if method == http.MethodGet && form != nil {
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("parse form action: %w", err)
		}
		u.RawQuery = form.Encode()
		target = u.String()
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, target, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	return resp, nil
}

// redirectTarget returns the resolved Location of a 3xx answer (closing its body).
func redirectTarget(resp *http.Response) (*url.URL, bool, error) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil, false, nil
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	loc, err := resp.Location()
	if err != nil {
		return nil, false, fmt.Errorf("%d from %s without Location: %w", resp.StatusCode, resp.Request.URL, err)
	}
	return loc, true, nil
}

func readPage(resp *http.Response) (*page, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", resp.Request.URL, err)
	}
	// Error statuses still reach decide: Dex answers a wrong password with 401 and the form.
	return &page{URL: resp.Request.URL, Status: resp.StatusCode, Body: string(b),
		Forms: ParseForms(resp.Request.URL, string(b))}, nil
}

// formWith returns the first form of p that has all the named fields.
func (p *page) formWith(names ...string) *HTMLForm {
	for i := range p.Forms {
		ok := true
		for _, n := range names {
			ok = ok && p.Forms[i].Has(n)
		}
		if ok {
			return &p.Forms[i]
		}
	}
	return nil
}

// unexpected is the error for a page a login helper does not know.
func unexpected(p *page) error {
	return fmt.Errorf("unexpected page at %s (status %d): %s", p.URL, p.Status, snippet(textOf(p.Body)))
}

var tagRE = regexp.MustCompile(`(?s)<style.*?</style>|<script.*?</script>|<[^>]*>`)

// textOf strips tags and collapses whitespace, for readable error messages.
func textOf(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(s, " "))), " ")
}

// SAMLPost is the auto-submitting form an IdP answers with at the end of a SAML login
// (HTTP-POST binding): where to post and what.
type SAMLPost struct {
	Action       string // the SP's ACS URL
	SAMLResponse string // base64, as posted
	RelayState   string
}

// Values returns the form values to post to Action.
func (s *SAMLPost) Values() url.Values {
	v := url.Values{"SAMLResponse": {s.SAMLResponse}}
	if s.RelayState != "" {
		v.Set("RelayState", s.RelayState)
	}
	return v
}

// samlPostOf returns the SAMLResponse form of p, or nil.
func samlPostOf(p *page) *SAMLPost {
	f := p.formWith("SAMLResponse")
	if f == nil {
		return nil
	}
	return &SAMLPost{Action: f.Action, SAMLResponse: f.Get("SAMLResponse"), RelayState: f.Get("RelayState")}
}

// samlLogin walks from startURL through a username/password form to the SAML POST form.
func samlLogin(ctx context.Context, client *http.Client, startURL, userField, passField, user,
	password string) (*SAMLPost, error) {
	submitted := false
	w := &walker{client: client, decide: func(p *page) (pageAction, error) {
		if samlPostOf(p) != nil {
			return pageAction{done: true}, nil
		}
		f := p.formWith(userField, passField)
		if f == nil {
			return pageAction{}, unexpected(p)
		}
		if submitted {
			return pageAction{}, fmt.Errorf("login of %q rejected: %s", user, snippet(textOf(p.Body)))
		}
		submitted = true
		v := f.Values()
		v.Set(userField, user)
		v.Set(passField, password)
		return pageAction{form: f, values: v}, nil
	}}
	_, p, err := w.run(ctx, startURL)
	if !errors.Is(err, errStop) {
		if err == nil {
			err = errors.New("redirected away instead of answering with a SAML POST form")
		}
		return nil, err
	}
	return samlPostOf(p), nil
}

// oidcLogin walks from authURL through the IdP's login form (fields login, password) and
// any consent or approval form, until a redirect whose URL starts with stopPrefix.
func oidcLogin(ctx context.Context, client *http.Client, authURL, login, password,
	stopPrefix string) (*url.URL, error) {
	if stopPrefix == "" {
		return nil, errors.New("oidc login: empty stop prefix")
	}
	submitted := false
	w := &walker{client: client, stopPrefix: stopPrefix, decide: func(p *page) (pageAction, error) {
		if f := p.formWith("login", "password"); f != nil {
			if submitted {
				return pageAction{}, fmt.Errorf("login of %q rejected: %s", login, snippet(textOf(p.Body)))
			}
			submitted = true
			v := f.Values()
			v.Set("login", login)
			v.Set("password", password)
			return pageAction{form: f, values: v}, nil
		}
		if f := p.formWith("prompt"); f != nil && f.Get("prompt") == "consent" {
			return pageAction{form: f, values: f.Values()}, nil
		}
		if f := p.formWith("approval"); f != nil { // Dex approval screen
			v := f.Values()
			v.Set("approval", "approve")
			return pageAction{form: f, values: v}, nil
		}
		return pageAction{}, unexpected(p)
	}}
	loc, _, err := w.run(ctx, authURL)
	if err != nil {
		return nil, err
	}
	return loc, nil
}
