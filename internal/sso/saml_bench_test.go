package sso_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/samlsp"
	"github.com/castellan-vault/castellan/internal/sso"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// The assertion consumer end to end (castellan's handler chain in-process: form, flow lookup and
// binding check, parse, signature verification, the replay record, claims, the provisioning
// transaction and the authorization code) against the bare signature verification of the same
// assertion with goxmldsig, the ceiling. SQLite, as castellan runs by default.
//
//	go test -run '^$' -bench SAMLAssertionConsumer ./internal/sso

const benchURL = "https://vault.example.test"

type benchEnv struct {
	h     http.Handler
	clock *clock.Fake
	ep    samlsp.Endpoints
	idp   *samlIdP
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ctx := context.Background()
	db := storagetest.OpenFresh(b, storagetest.Engines()[0])
	clk := clock.NewFake(time.Now())
	a, err := app.New(ctx, app.Deps{Logger: slog.New(slog.DiscardHandler), Clock: clk, DB: db,
		PublicURL: benchURL, MaxBodyBytes: 1 << 20, DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	now := clk.Now()
	o := orgs.Organization{ID: uuid.NewString(), Name: "Acme", BillingEmail: "a@example.com", Enabled: true,
		CreatedAt: now, RevisionDate: now}
	oq := orgs.QueriesOn(db)
	if err := oq.CreateOrganization(ctx, o); err != nil {
		b.Fatal(err)
	}
	if err := oq.SetIdentifier(ctx, o.ID, identifier, now); err != nil {
		b.Fatal(err)
	}
	idp := testIdP()
	var data sso.Data
	raw, _ := json.Marshal(samlData(idp))
	if err := json.Unmarshal(raw, &data); err != nil {
		b.Fatal(err)
	}
	data.Config.Normalize()
	c := &sso.Config{OrgID: o.ID, Enabled: true, Data: data, Revision: 1, CreatedAt: now, RevisionDate: now}
	if err := sso.NewStore(db).PutConfig(ctx, c, ""); err != nil {
		b.Fatal(err)
	}
	ep, err := samlsp.NewEndpoints(benchURL, o.ID, true)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{h: a.Handler(), clock: clk, ep: ep, idp: idp}
}

func (e *benchEnv) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// benchPost is one prepared answer: the ACS request's form and the browser's binding cookie.
type benchPost struct {
	form   string
	cookie *http.Cookie
}

// prepare starts a sign-in as the CLI (prevalidate, authorize) and signs the IdP's answer for
// the person named by user.
func (e *benchEnv) prepare(b *testing.B, user string) benchPost {
	b.Helper()
	rec := e.serve(httptest.NewRequest("GET", benchURL+"/identity/sso/prevalidate?domainHint="+identifier, nil))
	var tok struct{ Token string }
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		b.Fatalf("prevalidate: %s", rec.Body)
	}
	c := cliClient()
	rec = e.serve(httptest.NewRequest("GET", benchURL+"/identity/connect/authorize?"+
		authorizeQuery(c, identifier, tok.Token).Encode(), nil))
	if rec.Code != http.StatusFound {
		b.Fatalf("authorize: %d %s", rec.Code, rec.Body)
	}
	req, q := redirectMessage(b, rec.Header().Get("Location"))
	now := e.clock.Now()
	r := samlResp{ResponseID: "_r-" + uuid.NewString(), AssertionID: "_a-" + uuid.NewString(),
		InResponseTo: req.SelectAttrValue("ID", ""), Destination: e.ep.ACSURL, Recipient: e.ep.ACSURL,
		Audience: e.ep.EntityID, Issuer: e.idp.entityID, IssueInstant: now, NotBefore: now,
		NotOnOrAfter: now.Add(5 * time.Minute), NameID: user, NameIDFormat: formatPersistent,
		Attributes: []samlAttr{{Name: "mail", Values: []string{user + "@example.com"}},
			{Name: "displayName", Values: []string{"Bench User"}}}}
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(e.idp.signedAssertion(b, r))},
		"RelayState": {q.Get("RelayState")}}
	return benchPost{form: form.Encode(), cookie: rec.Result().Cookies()[0]}
}

// consume posts a prepared answer and checks that the client gets its code.
func (e *benchEnv) consume(b *testing.B, p benchPost) {
	req := httptest.NewRequest("POST", e.ep.ACSURL, strings.NewReader(p.form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(p.cookie)
	rec := e.serve(req)
	if rec.Code != http.StatusFound || !strings.Contains(rec.Header().Get("Location"), "code=") {
		b.Fatalf("acs: %d %s", rec.Code, rec.Body)
	}
}

// BenchmarkSAMLAssertionConsumer measures one answer at the assertion consumer: "linked" is the
// everyday sign-in of a linked member, "jit" a first sign-in that creates the account, membership
// and link; "ceiling" is goxmldsig verifying the same signed assertion and nothing else.
func BenchmarkSAMLAssertionConsumer(b *testing.B) {
	for _, mode := range []string{"linked", "jit"} {
		b.Run(mode, func(b *testing.B) {
			e := newBenchEnv(b)
			e.consume(b, e.prepare(b, "bench-linked"))
			posts := make([]benchPost, b.N)
			for i := range posts {
				user := "bench-linked"
				if mode == "jit" {
					user = "bench-" + strconv.Itoa(i)
				}
				posts[i] = e.prepare(b, user)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range posts {
				e.consume(b, posts[i])
			}
		})
	}
	b.Run("ceiling", func(b *testing.B) {
		idp := testIdP()
		now := time.Now()
		doc := docBytes(b, idp.sign(b, assertionEl(samlResp{AssertionID: "_a-1", Issuer: idp.entityID,
			IssueInstant: now, NotBefore: now, NotOnOrAfter: now.Add(time.Minute), NameID: "bench-linked",
			NameIDFormat: formatPersistent, Attributes: []samlAttr{{Name: "mail", Values: []string{"b@example.com"}}}}),
			rsaSHA256))
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idp.cert}})
		b.ReportAllocs()
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			d := etree.NewDocument()
			if err := d.ReadFromBytes(doc); err != nil {
				b.Fatal(err)
			}
			if _, err := vc.Validate(d.Root()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
