package domains_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/domains"
	"github.com/castellan-vault/castellan/internal/domains/domainstest"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// Organizations and callers of the handler tests.
const (
	orgA = "0a000000-0000-4000-8000-00000000000a"
	orgB = "0b000000-0000-4000-8000-00000000000b"
	// adminA manages orgA's domains, adminB orgB's; lister may only list orgA's; outsider nothing.
	adminA   = "1a000000-0000-4000-8000-00000000001a"
	adminB   = "1b000000-0000-4000-8000-00000000001b"
	lister   = "1c000000-0000-4000-8000-00000000001c"
	outsider = "1d000000-0000-4000-8000-00000000001d"
)

// fakeAccess grants managers and listers per organization; everyone else gets the 404 that
// orgs answers.
type fakeAccess struct{ manage, list map[string]string } // user -> organization

func (f fakeAccess) RequireManage(_ context.Context, orgID, userID string) error {
	if f.manage[userID] != orgID {
		return httpx.NotFound("Resource not found.")
	}
	return nil
}

func (f fakeAccess) RequireList(ctx context.Context, orgID, userID string) error {
	if f.list[userID] == orgID {
		return nil
	}
	return f.RequireManage(ctx, orgID, userID)
}

// fakeDirectory: organizations that can start a single sign-on.
type fakeDirectory map[string]domains.SSOOrganization

func (f fakeDirectory) SSOOrganization(_ context.Context, orgID string) (domains.SSOOrganization, bool,
	error) {
	o, ok := f[orgID]
	return o, ok, nil
}

// api is the domain routes in-process on one engine, the caller named by X-Test-User.
type api struct {
	*env
	h http.Handler
}

func newAPI(t *testing.T) *api {
	t.Helper()
	e := newEnv(t, storagetest.OpenFresh(t, storagetest.Engines()[0]))
	h := &domains.Handlers{Service: e.svc, Logger: slog.New(slog.DiscardHandler),
		Access: fakeAccess{manage: map[string]string{adminA: orgA, adminB: orgB},
			list: map[string]string{lister: orgA}},
		Directory: fakeDirectory{orgA: {Name: "Acme", Identifier: "acme"}}}
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		inner := httpx.Handle(h.Logger, r.Handler)
		mux.Handle(r.Pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if id := req.Header.Get("X-Test-User"); id != "" {
				req = req.WithContext(auth.WithPrincipal(req.Context(), auth.Principal{UserID: id}))
			}
			inner.ServeHTTP(w, req)
		}))
	}
	return &api{env: e, h: mux}
}

// do sends a request as user ("" for anonymous) with a raw body and returns the status and body.
func (a *api) do(user, method, path, body string) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// okJSON sends a request that must answer 200 and decodes the answer into out.
func (a *api) okJSON(user, method, path, body string, out any) {
	a.t.Helper()
	status, raw := a.do(user, method, path, body)
	if status != http.StatusOK {
		a.t.Fatalf("%s %s: %d %s", method, path, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// snapshot is every domain of both organizations as stored.
func (a *api) snapshot() [][]domains.Domain {
	a.t.Helper()
	var out [][]domains.Domain
	for _, org := range []string{orgA, orgB} {
		list, err := a.svc.List(context.Background(), org)
		if err != nil {
			a.t.Fatal(err)
		}
		out = append(out, list)
	}
	return out
}

// refused sends a request that must be answered with status, change nothing and tell the
// notifier nothing; it returns the error body.
func (a *api) refused(status int, user, method, path, body string) errorBody {
	a.t.Helper()
	before := a.snapshot()
	a.notes.Reset()
	got, raw := a.do(user, method, path, body)
	if got != status {
		a.t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, got, raw, status)
	}
	var e errorBody
	if err := json.Unmarshal(raw, &e); err != nil || e.Object != "error" || e.Message == "" {
		a.t.Fatalf("%s %s: error body %s (%v)", method, path, raw, err)
	}
	if after := a.snapshot(); !reflect.DeepEqual(before, after) {
		a.t.Fatalf("%s %s changed the domains:\nbefore %+v\nafter  %+v", method, path, before, after)
	}
	if n := a.notes.Events(); len(n) != 0 {
		a.t.Fatalf("%s %s told the notifier %+v", method, path, n)
	}
	return e
}

type errorBody struct {
	Message          string              `json:"message"`
	ValidationErrors map[string][]string `json:"validationErrors"`
	Object           string              `json:"object"`
}

func (e errorBody) text() string {
	var b bytes.Buffer
	b.WriteString(e.Message)
	for _, msgs := range e.ValidationErrors {
		b.WriteString(" " + strings.Join(msgs, " "))
	}
	return b.String()
}

// domainJSON is the official response shape, decoded strictly enough to check field names.
type domainJSON struct {
	ID              string     `json:"id"`
	OrganizationID  string     `json:"organizationId"`
	TXT             string     `json:"txt"`
	DomainName      string     `json:"domainName"`
	CreationDate    time.Time  `json:"creationDate"`
	NextRunDate     *time.Time `json:"nextRunDate"`
	JobRunCount     int        `json:"jobRunCount"`
	VerifiedDate    *time.Time `json:"verifiedDate"`
	LastCheckedDate *time.Time `json:"lastCheckedDate"`
	State           string     `json:"state"`
	Object          string     `json:"object"`
}

func domainPath(org string, rest ...string) string {
	return "/api/organizations/" + org + "/domain" + strings.Join(append([]string{""}, rest...), "/")
}

func (a *api) addDomain(user, org, name string) domainJSON {
	a.t.Helper()
	var d domainJSON
	a.okJSON(user, "POST", domainPath(org), `{"domainName":"`+name+`"}`, &d)
	return d
}

func TestHandlersAddAndShape(t *testing.T) {
	a := newAPI(t)
	d := a.addDomain(adminA, orgA, "  Example.COM ")
	if d.Object != "organizationDomain" || d.DomainName != "example.com" || d.OrganizationID != orgA ||
		!strings.HasPrefix(d.TXT, "bw=") || len(d.TXT) != 47 || d.State != "pending" ||
		d.VerifiedDate != nil || d.LastCheckedDate != nil || d.NextRunDate == nil ||
		!d.NextRunDate.Equal(t0.Add(12*time.Hour)) || !d.CreationDate.Equal(t0) {
		t.Fatalf("added domain = %+v", d)
	}
	wantKinds(t, a.notes, domains.EventAdded)
	var got domainJSON
	a.okJSON(adminA, "GET", domainPath(orgA, d.ID), "", &got)
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("GET = %+v, want %+v", got, d)
	}
	var list struct {
		Data              []domainJSON `json:"data"`
		Object            string       `json:"object"`
		ContinuationToken *string      `json:"continuationToken"`
	}
	a.okJSON(lister, "GET", domainPath(orgA), "", &list)
	if list.Object != "list" || len(list.Data) != 1 || !reflect.DeepEqual(list.Data[0], d) {
		t.Fatalf("list = %+v", list)
	}
	a.okJSON(adminB, "GET", domainPath(orgB), "", &list)
	if len(list.Data) != 0 {
		t.Fatalf("another organization's list shows %+v", list.Data)
	}
}

func TestHandlersRefuseBadDomains(t *testing.T) {
	a := newAPI(t)
	a.addDomain(adminA, orgA, "taken.example")
	for _, tc := range []struct{ body, want string }{
		{`{"domainName":"https://example.com/"}`, "without a scheme"},
		{`{"domainName":"alice@example.com"}`, "not an email address"},
		{`{"domainName":"*.example.com"}`, "wildcards"},
		{`{"domainName":"example"}`, "two labels"},
		{`{"domainName":"exa mple.com"}`, "letters, digits and hyphens"},
		{`{"domainName":"example.com."}`, "trailing dot"},
		{`{"domainName":"192.0.2.1"}`, "IP address"},
		{`{"domainName":"-bad.example.com"}`, "hyphen"},
		{`{"domainName":"` + strings.Repeat("a", 64) + `.com"}`, "63 characters"},
		{`{"domainName":""}`, "required"},
		{`{"domainName":null}`, "required"},
		{`{}`, "required"},
		{`{"domainName":42}`, "wrong type"},
		{`{"domainName":`, "not valid JSON"},
		{``, "empty"},
	} {
		e := a.refused(http.StatusBadRequest, adminA, "POST", domainPath(orgA), tc.body)
		if !strings.Contains(e.text(), tc.want) {
			t.Errorf("%s: %q lacks %q", tc.body, e.text(), tc.want)
		}
	}
	// The same name in another spelling is the same domain.
	e := a.refused(http.StatusConflict, adminA, "POST", domainPath(orgA), `{"domainName":"TAKEN.example"}`)
	if !strings.Contains(e.Message, "already added") {
		t.Errorf("duplicate: %q", e.Message)
	}
}

func TestHandlersClaimedElsewhere(t *testing.T) {
	a := newAPI(t)
	pendingB := a.addDomain(adminB, orgB, "shared.example")
	claimed := a.addDomain(adminA, orgA, "shared.example")
	a.dns.SetTXT("shared.example", claimed.TXT, pendingB.TXT)
	var v domainJSON
	a.okJSON(adminA, "POST", domainPath(orgA, claimed.ID, "verify"), "", &v)
	if v.State != "verified" || v.VerifiedDate == nil || !v.VerifiedDate.Equal(t0) {
		t.Fatalf("verified = %+v", v)
	}
	// orgB's own record is published too, but orgA holds the claim.
	e := a.refused(http.StatusConflict, adminB, "POST", domainPath(orgB, pendingB.ID, "verify"), "")
	if !strings.Contains(e.Message, "claimed by another organization") {
		t.Errorf("verify: %q", e.Message)
	}
	a.okJSON(adminB, "DELETE", domainPath(orgB, pendingB.ID), "", nil)
	e = a.refused(http.StatusConflict, adminB, "POST", domainPath(orgB), `{"domainName":"Shared.Example"}`)
	if !strings.Contains(e.Message, "claimed by another organization") {
		t.Errorf("add: %q", e.Message)
	}
}

func TestHandlersVerifyRefusals(t *testing.T) {
	a := newAPI(t)
	d := a.addDomain(adminA, orgA, "example.com")
	verify := domainPath(orgA, d.ID, "verify")
	oneOff := d.TXT[:len(d.TXT)-1] + string(rune(d.TXT[len(d.TXT)-1])^1)
	cases := []struct {
		name  string
		setup func()
		want  string
	}{
		{"no such name", func() { a.dns.Remove("example.com") }, "there is no TXT record at example.com"},
		{"no TXT record", func() { a.dns.SetTXT("example.com") }, "there is no TXT record"},
		{"one character off", func() { a.dns.SetTXT("example.com", oneOff) }, "equals the verification"},
		{"extra text", func() { a.dns.SetTXT("example.com", d.TXT+" ") }, "equals the verification"},
		{"value in a subdomain", func() {
			a.dns.Remove("example.com")
			a.dns.SetTXT("_bitwarden.example.com", d.TXT)
		}, "there is no TXT record"},
		{"SERVFAIL", func() {
			a.dns.SetTXT("example.com", d.TXT)
			a.dns.SetMode("example.com", domainstest.ServFail)
		}, "The DNS lookup for example.com failed"},
		{"timeout", func() { a.dns.SetMode("example.com", domainstest.Drop) }, "timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			e := a.refused(http.StatusBadRequest, adminA, "POST", verify, "")
			if !strings.Contains(e.Message, tc.want) || !strings.Contains(e.Message, "try again") {
				t.Errorf("message %q lacks %q", e.Message, tc.want)
			}
		})
	}
	a.dns.SetMode("example.com", domainstest.Answer)
	a.dns.SetTXT("example.com", "v=spf1 -all", d.TXT)
	var v domainJSON
	a.okJSON(adminA, "POST", verify, "", &v)
	if v.State != "verified" {
		t.Fatalf("verify = %+v", v)
	}
	e := a.refused(http.StatusConflict, adminA, "POST", verify, "")
	if !strings.Contains(e.Message, "already verified") {
		t.Errorf("second verify: %q", e.Message)
	}
}

func TestHandlersPermissionsAndIDs(t *testing.T) {
	a := newAPI(t)
	d := a.addDomain(adminA, orgA, "example.com")
	a.dns.SetTXT("example.com", d.TXT)
	bID := a.addDomain(adminB, orgB, "b.example").ID
	for _, tc := range []struct {
		user, method, path, body string
		status                   int
	}{
		{outsider, "GET", domainPath(orgA), "", 404},
		{adminB, "GET", domainPath(orgA), "", 404},
		{lister, "POST", domainPath(orgA), `{"domainName":"new.example"}`, 404},
		{lister, "GET", domainPath(orgA, d.ID), "", 404},
		{lister, "POST", domainPath(orgA, d.ID, "verify"), "", 404},
		{lister, "DELETE", domainPath(orgA, d.ID), "", 404},
		{adminB, "POST", domainPath(orgA, d.ID, "verify"), "", 404},
		{adminB, "DELETE", domainPath(orgA, d.ID), "", 404},
		{adminB, "POST", domainPath(orgA, d.ID, "remove"), "", 404},
		// An organization's route never reaches another organization's domain.
		{adminA, "GET", domainPath(orgA, bID), "", 404},
		{adminA, "DELETE", domainPath(orgA, bID), "", 404},
		{adminA, "POST", domainPath(orgA, bID, "verify"), "", 404},
		// Ids that are not canonical GUIDs name nothing.
		{adminA, "GET", domainPath("not-a-guid"), "", 404},
		{adminA, "GET", domainPath(orgA, strings.ToUpper(d.ID)+"x"), "", 404},
		{adminA, "DELETE", domainPath(orgA, "00000000-0000-4000-8000-000000000099"), "", 404},
	} {
		a.refused(tc.status, tc.user, tc.method, tc.path, tc.body)
	}
	// Without a caller the route is unusable (in castellan, auth.Require answers 401 first).
	a.refused(http.StatusUnauthorized, "", "GET", domainPath(orgA), "")
}

func TestHandlersDelete(t *testing.T) {
	a := newAPI(t)
	d := a.addDomain(adminA, orgA, "example.com")
	a.notes.Reset()
	if status, raw := a.do(adminA, "DELETE", domainPath(orgA, d.ID), ""); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, raw)
	}
	wantKinds(t, a.notes, domains.EventRemoved)
	a.refused(http.StatusNotFound, adminA, "GET", domainPath(orgA, d.ID), "")
	a.refused(http.StatusNotFound, adminA, "POST", domainPath(orgA, d.ID, "remove"), "")
	d = a.addDomain(adminA, orgA, "example.com")
	a.okJSON(adminA, "POST", domainPath(orgA, d.ID, "remove"), "", nil)
	if got := a.snapshot(); len(got[0]) != 0 {
		t.Fatalf("legacy remove left %+v", got[0])
	}
}

func TestHandlersIdentifierLessSSO(t *testing.T) {
	a := newAPI(t)
	for _, org := range []struct{ id, admin, name string }{
		{orgA, adminA, "acme.example"}, {orgB, adminB, "nosso.example"},
	} {
		d := a.addDomain(org.admin, org.id, org.name)
		a.dns.SetTXT(org.name, d.TXT)
		a.okJSON(org.admin, "POST", domainPath(org.id, d.ID, "verify"), "", nil)
	}
	a.addDomain(adminA, orgA, "pending.example")
	type item struct {
		OrganizationName, OrganizationIdentifier, DomainName, Object string
		VerifiedDate                                                 time.Time
	}
	var list struct {
		Data   []item
		Object string
	}
	const verified = "/api/organizations/domain/sso/verified"
	const details = "/api/organizations/domain/sso/details"
	a.okJSON("", "POST", verified, `{"email":"Alice@ACME.example"}`, &list)
	want := item{OrganizationName: "Acme", OrganizationIdentifier: "acme", DomainName: "acme.example",
		Object: "verifiedOrganizationDomainSsoDetails", VerifiedDate: t0}
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0] != want {
		t.Fatalf("verified = %+v", list)
	}
	var legacy struct {
		SSOAvailable           bool `json:"ssoAvailable"`
		OrganizationIdentifier string
		Object                 string
	}
	a.okJSON("", "POST", details, `{"email":"alice@acme.example"}`, &legacy)
	if !legacy.SSOAvailable || legacy.OrganizationIdentifier != "acme" ||
		legacy.Object != "organizationDomainSsoDetails" {
		t.Fatalf("details = %+v", legacy)
	}
	// The address limit counts characters (UTF-16 units) as the official server does, not bytes.
	a.okJSON("", "POST", verified, `{"email":"`+strings.Repeat("名", 100)+`@acme.example"}`, &list)
	if len(list.Data) != 1 {
		t.Fatalf("a 113-character address of 313 bytes: %+v", list)
	}
	// A claim without single sign-on, a pending domain, a subdomain and an unknown domain all look
	// the same: nothing.
	for _, email := range []string{"bob@nosso.example", "carol@pending.example", "dan@sub.acme.example",
		"erin@unknown.example"} {
		a.okJSON("", "POST", verified, `{"email":"`+email+`"}`, &list)
		if len(list.Data) != 0 {
			t.Errorf("%s: %+v", email, list.Data)
		}
		a.refused(http.StatusNotFound, "", "POST", details, `{"email":"`+email+`"}`)
	}
	for _, body := range []string{`{"email":"no-at-sign"}`, `{"email":"@acme.example"}`, `{"email":"a@"}`,
		`{"email":"a@-x-.example"}`, `{}`, `{"email":"` + strings.Repeat("a", 250) + `@acme.example"}`, `[`} {
		a.refused(http.StatusBadRequest, "", "POST", verified, body)
		a.refused(http.StatusBadRequest, "", "POST", details, body)
	}
}
