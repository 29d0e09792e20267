package vault

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// sync answers GET /api/sync: the whole of what the caller may see, in one response. The ciphers
// are the bulk of it (thousands of items for some users), so the body is assembled in one buffer
// from pre-rendered parts rather than through one reflective encoding of a big tree.
func (h *Handlers) sync(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	start := h.Clock.Now()
	ctx := r.Context()
	profile, decryption, err := h.Accounts.SyncAccount(ctx, userID)
	if err != nil {
		return fmt.Errorf("sync profile: %w", err)
	}
	folders, err := h.Store.Folders(ctx, userID)
	if err != nil {
		return err
	}
	ciphers, err := h.Store.Ciphers(ctx, userID)
	if err != nil {
		return err
	}
	var collections any = []any{}
	if h.Orgs != nil {
		if collections, err = h.Orgs.SyncCollections(ctx, userID); err != nil {
			return err
		}
	}
	var policies any
	if h.Policies != nil {
		if policies, err = h.Policies.SyncPolicies(ctx, userID); err != nil {
			return err
		}
	}
	excludeDomains, _ := strconv.ParseBool(r.URL.Query().Get("excludeDomains"))
	body, err := syncJSON(syncParts{Profile: profile, UserDecryption: decryption, Folders: folders,
		Collections: collections, Policies: policies, Ciphers: ciphers, ExcludeDomains: excludeDomains})
	if err != nil {
		return err
	}
	writeRaw(w, body)
	h.Logger.DebugContext(ctx, "sync", "request_id", httpx.RequestIDFrom(ctx), "user_id", userID,
		"ciphers", len(ciphers), "folders", len(folders), "bytes", len(body),
		"duration", h.Clock.Now().Sub(start).Round(time.Microsecond))
	return nil
}

// syncParts is what a sync response is made of.
type syncParts struct {
	Profile        any
	UserDecryption any
	Folders        []Folder
	Collections    any // nil: none
	Policies       any // nil: none
	Ciphers        []Cipher
	ExcludeDomains bool
}

// emptyDomains is sent when the client asks for the equivalent domains.
// TODO(domains): the user's and the global equivalent-domain lists.
var emptyDomains = map[string]any{"equivalentDomains": []any{}, "globalEquivalentDomains": []any{},
	"object": "domains"}

// syncSizeHint guesses the size of a sync response, so that its buffer is allocated once instead of
// doubled a dozen times: each item's document plus about 600 bytes of fields around it, and room
// for the profile.
func syncSizeHint(ciphers []Cipher) int {
	n := 16 << 10
	for i := range ciphers {
		n += len(ciphers[i].Data) + 600
	}
	return n
}

// syncJSON renders the sync response. Sends are empty until their concern exists.
func syncJSON(p syncParts) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(syncSizeHint(p.Ciphers))
	enc := newEncoder(&buf)
	folders := make([]folderResponse, len(p.Folders))
	for i, f := range p.Folders {
		folders[i] = newFolderResponse(f)
	}
	collections, policies := p.Collections, p.Policies
	if collections == nil {
		collections = []any{}
	}
	if policies == nil {
		policies = []any{}
	}
	var domains any
	if !p.ExcludeDomains {
		domains = emptyDomains
	}
	parts := []struct {
		key string
		val any
	}{
		{"profile", p.Profile}, {"folders", folders}, {"collections", collections}, {"policies", policies},
		{"sends", []any{}}, {"domains", domains}, {"userDecryption", p.UserDecryption},
	}
	buf.WriteByte('{')
	for _, part := range parts {
		buf.WriteString(`"` + part.key + `":`)
		if err := enc.Encode(part.val); err != nil {
			return nil, fmt.Errorf("encode sync %s: %w", part.key, err)
		}
		buf.WriteByte(',')
	}
	buf.WriteString(`"ciphers":`)
	if err := ciphersJSON(&buf, p.Ciphers); err != nil {
		return nil, err
	}
	buf.WriteString(`,"object":"sync"}`)
	return buf.Bytes(), nil
}
