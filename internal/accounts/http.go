package accounts

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Handlers are the HTTP endpoints of accounts. Each method is an httpx.Handler; internal/app mounts
// them on their routes (public or behind auth.Require).
type Handlers struct {
	svc *Service
	log *slog.Logger
}

// NewHandlers returns the handlers over svc.
func NewHandlers(svc *Service, logger *slog.Logger) *Handlers {
	return &Handlers{svc: svc, log: logger.With("component", "accounts")}
}

// Config answers GET /api/config.
func (h *Handlers) Config(w http.ResponseWriter, _ *http.Request) error {
	httpx.WriteJSON(w, http.StatusOK, h.svc.InstanceConfig())
	return nil
}

// Prelogin answers POST /identity/accounts/prelogin and /identity/accounts/prelogin/password.
func (h *Handlers) Prelogin(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := checkEmail(NormalizeEmail(req.Email)); err != nil {
		return err
	}
	resp, err := h.svc.Prelogin(r.Context(), req.Email)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// SendVerificationEmail answers POST /identity/accounts/register/send-verification-email: with
// e-mail verification on, 204 once the link is mailed (the clients then say "check your e-mail");
// with it off, the verification token as a JSON string, as the official server does.
func (h *Handlers) SendVerificationEmail(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email                  string `json:"email"`
		Name                   string `json:"name"`
		ReceiveMarketingEmails bool   `json:"receiveMarketingEmails"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	addr := ""
	if h.svc.ClientAddress != nil {
		addr = h.svc.ClientAddress(r)
	}
	token, err := h.svc.StartRegistration(r.Context(), req.Email, req.Name, addr)
	var limited *mailLimited
	if errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limited.wait.Seconds()))))
	}
	if err != nil {
		return err
	}
	if token == "" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	httpx.WriteJSON(w, http.StatusOK, token)
	return nil
}

// RegisterFinish answers POST /identity/accounts/register/finish.
func (h *Handlers) RegisterFinish(w http.ResponseWriter, r *http.Request) error {
	return h.register(w, r, true)
}

// Register answers the legacy one-shot POST /identity/accounts/register.
func (h *Handlers) Register(w http.ResponseWriter, r *http.Request) error {
	return h.register(w, r, false)
}

func (h *Handlers) register(w http.ResponseWriter, r *http.Request, finish bool) error {
	var req registerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := checkEmail(NormalizeEmail(req.Email)); err != nil {
		return err
	}
	reg, err := req.registration(finish)
	if err != nil {
		return err
	}
	if _, err := h.svc.Register(r.Context(), reg); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"object": "register", "captchaBypassToken": ""})
	return nil
}

// Profile answers GET /api/accounts/profile.
func (h *Handlers) Profile(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	u, err := h.svc.store.UserByID(r.Context(), p.UserID)
	if err != nil {
		return notFound(err)
	}
	resp, err := h.svc.profile(r.Context(), u)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// UpdateProfile answers PUT and POST /api/accounts/profile.
func (h *Handlers) UpdateProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var req ProfileUpdate
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	resp, err := h.svc.UpdateProfile(r.Context(), p.UserID, req)
	if err != nil {
		return notFound(err)
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// RevisionDate answers GET /api/accounts/revision-date with a bare number of milliseconds.
func (h *Handlers) RevisionDate(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	u, err := h.svc.store.UserByID(r.Context(), p.UserID)
	if err != nil {
		return notFound(err)
	}
	httpx.WriteJSON(w, http.StatusOK, storage.Millis(u.AccountRevisionDate))
	return nil
}

// APIKey answers POST /api/accounts/api-key.
func (h *Handlers) APIKey(w http.ResponseWriter, r *http.Request) error {
	return h.apiKey(w, r, false)
}

// RotateAPIKey answers POST /api/accounts/rotate-api-key.
func (h *Handlers) RotateAPIKey(w http.ResponseWriter, r *http.Request) error {
	return h.apiKey(w, r, true)
}

func (h *Handlers) apiKey(w http.ResponseWriter, r *http.Request, rotate bool) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var req struct {
		MasterPasswordHash string `json:"masterPasswordHash"`
	}
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	get := h.svc.APIKey
	if rotate {
		get = h.svc.RotateAPIKey
	}
	u, err := get(r.Context(), p.UserID, req.MasterPasswordHash)
	if err != nil {
		return notFound(err)
	}
	httpx.WriteJSON(w, http.StatusOK, apiKeyResponse{APIKey: u.APIKey, RevisionDate: u.RevisionDate, Object: "apiKey"})
	return nil
}

// PublicKey answers GET /api/users/{id}/public-key. Any logged-in user may read any public key (the
// clients need them to share organization keys); an unknown id is a 404.
func (h *Handlers) PublicKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !IsGUID(id) {
		return httpx.NotFound("User not found.")
	}
	u, err := h.svc.store.UserByID(r.Context(), id)
	if err != nil {
		return notFound(err)
	}
	if u.PublicKey == "" {
		return httpx.NotFound("User has no public key.")
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"userId": u.ID, "publicKey": u.PublicKey, "object": "userKey"})
	return nil
}

// notFound turns a missing user into a 404 (never a 401, which would log the client out).
func notFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return httpx.NotFound("User not found.")
	}
	return err
}

// kdfFields is a KDF in the newer request objects.
type kdfFields struct {
	KdfType     *int `json:"kdfType"`
	Iterations  *int `json:"iterations"`
	Memory      *int `json:"memory"`
	Parallelism *int `json:"parallelism"`
}

func (k *kdfFields) kdf(field string) (bwcrypto.KDF, error) {
	if k == nil || k.KdfType == nil || k.Iterations == nil {
		return bwcrypto.KDF{}, httpx.Invalid(field, "The KDF type and iterations are required.")
	}
	return makeKDF(*k.KdfType, *k.Iterations, k.Memory, k.Parallelism), nil
}

func makeKDF(kind, iter int, mem, par *int) bwcrypto.KDF {
	k := bwcrypto.KDF{Kind: bwcrypto.KDFKind(kind), Iterations: iter}
	if k.Kind == bwcrypto.KDFArgon2id {
		k.MemoryMiB, k.Parallelism = deref(mem), deref(par)
	}
	return k
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

type keysFields struct {
	PublicKey           string `json:"publicKey"`
	EncryptedPrivateKey string `json:"encryptedPrivateKey"`
}

// registerRequest accepts both registration shapes: the legacy top-level KDF fields, and the
// masterPasswordAuthentication/masterPasswordUnlock objects of current clients.
type registerRequest struct {
	Email                  string      `json:"email"`
	Name                   string      `json:"name"`
	EmailVerificationToken string      `json:"emailVerificationToken"`
	MasterPasswordHash     string      `json:"masterPasswordHash"`
	MasterPasswordHint     string      `json:"masterPasswordHint"`
	Key                    string      `json:"key"`              // legacy /register
	UserSymmetricKey       string      `json:"userSymmetricKey"` // register/finish
	Keys                   *keysFields `json:"keys"`             // legacy /register
	UserAsymmetricKeys     *keysFields `json:"userAsymmetricKeys"`
	Kdf                    *int        `json:"kdf"`
	KdfIterations          *int        `json:"kdfIterations"`
	KdfMemory              *int        `json:"kdfMemory"`
	KdfParallelism         *int        `json:"kdfParallelism"`

	MasterPasswordAuthentication *struct {
		Salt                             string     `json:"salt"`
		Kdf                              *kdfFields `json:"kdf"`
		MasterPasswordAuthenticationHash string     `json:"masterPasswordAuthenticationHash"`
	} `json:"masterPasswordAuthentication"`
	MasterPasswordUnlock *struct {
		Salt                    string     `json:"salt"`
		Kdf                     *kdfFields `json:"kdf"`
		MasterKeyWrappedUserKey string     `json:"masterKeyWrappedUserKey"`
	} `json:"masterPasswordUnlock"`

	// organizationUserId and orgInviteToken carry an organization invitation (Service.InviteTokens).
	OrganizationUserID string `json:"organizationUserId"`
	OrgInviteToken     string `json:"orgInviteToken"`
}

// registration checks that the two shapes agree where both are given and returns one Registration.
func (q *registerRequest) registration(finish bool) (Registration, error) {
	r := Registration{
		Email: q.Email, Name: q.Name, MasterPasswordHash: q.MasterPasswordHash, Hint: q.MasterPasswordHint,
		Key: firstNonEmpty(q.UserSymmetricKey, q.Key), OrganizationUserID: q.OrganizationUserID,
		OrgInviteToken: q.OrgInviteToken,
	}
	if finish {
		r.VerificationToken = q.EmailVerificationToken
	}
	if keys := q.UserAsymmetricKeys; keys != nil || q.Keys != nil {
		if keys == nil {
			keys = q.Keys
		}
		r.PublicKey, r.EncryptedPrivKey = keys.PublicKey, keys.EncryptedPrivateKey
	}
	var legacy *bwcrypto.KDF
	if q.Kdf != nil || q.KdfIterations != nil {
		if q.Kdf == nil || q.KdfIterations == nil {
			return r, httpx.Invalid("Kdf", "The KDF type and iterations are required.")
		}
		k := makeKDF(*q.Kdf, *q.KdfIterations, q.KdfMemory, q.KdfParallelism)
		legacy = &k
	}
	auth, unlock := q.MasterPasswordAuthentication, q.MasterPasswordUnlock
	if auth == nil && unlock == nil {
		if legacy == nil {
			return r, httpx.Invalid("Kdf", "The KDF type and iterations are required.")
		}
		r.KDF = *legacy
		return r, nil
	}
	if auth == nil || unlock == nil {
		return r, httpx.Invalid("MasterPasswordUnlock",
			"masterPasswordAuthentication and masterPasswordUnlock must be sent together.")
	}
	return r, q.mergeObjects(&r, legacy)
}

// mergeObjects fills r from the newer objects, refusing any disagreement between them, with the
// legacy fields, or with the e-mail address the salt must be.
func (q *registerRequest) mergeObjects(r *Registration, legacy *bwcrypto.KDF) error {
	auth, unlock := q.MasterPasswordAuthentication, q.MasterPasswordUnlock
	authKDF, err := auth.Kdf.kdf("MasterPasswordAuthentication.Kdf")
	if err != nil {
		return err
	}
	unlockKDF, err := unlock.Kdf.kdf("MasterPasswordUnlock.Kdf")
	if err != nil {
		return err
	}
	if authKDF != unlockKDF || (legacy != nil && *legacy != authKDF) {
		return httpx.Invalid("MasterPasswordUnlock.Kdf", "The authentication and unlock KDF settings differ.")
	}
	salt := NormalizeEmail(q.Email)
	if auth.Salt != salt || unlock.Salt != salt {
		return httpx.Invalid("MasterPasswordUnlock.Salt", "The salt must be the normalized e-mail address.")
	}
	if !agree(&r.MasterPasswordHash, auth.MasterPasswordAuthenticationHash) {
		return httpx.Invalid("MasterPasswordHash", "The two master password hashes differ.")
	}
	if !agree(&r.Key, unlock.MasterKeyWrappedUserKey) {
		return httpx.Invalid("UserSymmetricKey", "The two wrapped user keys differ.")
	}
	r.KDF = authKDF
	return nil
}

// agree sets *dst to v when *dst is empty, and reports whether they are now equal.
func agree(dst *string, v string) bool {
	if *dst == "" {
		*dst = v
	}
	return v == "" || *dst == v
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
