package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
)

// firstPartyClients are the client ids of the official apps.
var firstPartyClients = map[string]bool{
	"web": true, "browser": true, "desktop": true, "mobile": true, "cli": true, "connector": true,
}

// Authentication methods recorded in the amr claim.
const (
	amrPassword = "Application"
	amrExternal = "external" // SSO: the clients treat such sessions differently
)

// Token answers POST /identity/connect/token. It dispatches on grant_type; each grant returns the
// body to send or an oauthError.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	f, oerr := parseForm(w, r)
	if oerr == nil {
		var body any
		body, oerr = s.grant(r, f)
		if oerr == nil {
			w.Header().Set("Pragma", "no-cache")
			httpx.WriteJSON(w, http.StatusOK, body)
			return
		}
	}
	if oerr.status >= 500 {
		s.log.ErrorContext(r.Context(), "token request failed", "request_id", httpx.RequestIDFrom(r.Context()),
			"err", oerr.cause)
	}
	oerr.write(w)
}

func (s *Server) grant(r *http.Request, f form) (any, *oauthError) {
	switch gt := f.get("grant_type"); gt {
	case "password":
		return s.passwordGrant(r, f)
	case "refresh_token":
		return s.refreshGrant(r.Context(), f)
	case "client_credentials":
		return s.clientCredentialsGrant(r, f)
	case "authorization_code":
		if s.Codes == nil {
			break
		}
		return s.codeGrant(r.Context(), f)
	case "":
		return nil, invalidRequest("The grant_type parameter is required.")
	}
	return nil, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
		description: "The grant type is not supported."}
}

// internal turns a server-side failure into a 500 whose cause is only logged.
func internal(err error) *oauthError {
	return &oauthError{status: http.StatusInternalServerError, code: "server_error",
		description: "An error has occurred.", message: "An error has occurred.", cause: err}
}

// passwordGrant logs in with e-mail address and master password hash. Full buckets are refused
// before any hashing; every failure counts against the address and the account; the answer to an
// unknown address and to a wrong password is the same, after the same amount of hashing.
func (s *Server) passwordGrant(r *http.Request, f form) (any, *oauthError) {
	ctx := r.Context()
	clientID := f.get("client_id")
	if !firstPartyClients[clientID] {
		return nil, invalidClient(fmt.Errorf("unknown client"))
	}
	scopes, oerr := f.scopes("api", "offline_access")
	if oerr != nil {
		return nil, oerr
	}
	dev, oerr := f.device()
	if oerr != nil {
		return nil, oerr
	}
	email, hash := accounts.NormalizeEmail(f.get("username")), f.get("password")
	if email == "" || hash == "" {
		return nil, invalidRequest("The username and password parameters are required.")
	}
	account, address := s.accountBucket(email), s.addressBucket(r)
	if wait, err := s.blocked(ctx, account, address); err != nil {
		return nil, internal(err)
	} else if wait > 0 {
		return nil, rateLimited(wait)
	}
	u, err := s.accounts.CheckPassword(ctx, email, hash)
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		s.failed(ctx, account, address)
		s.log.InfoContext(ctx, "login refused", "grant", "password", "reason", "bad_credentials")
		return nil, badPassword(err)
	}
	if err != nil {
		return nil, internal(err)
	}
	s.succeeded(ctx, account)
	if oerr := s.checkSSORequired(ctx, u.ID); oerr != nil {
		return nil, oerr
	}
	// TODO(2fa): a user with two-factor providers gets a 400 with TwoFactorProviders2 here (see
	// twoFactorRequired) until the twoFactorToken/twoFactorProvider parameters prove the second factor.
	return s.login(ctx, session{user: u, clientID: clientID, scopes: scopes, amr: amrPassword, device: dev})
}

// checkSSORequired refuses a password login that the Require SSO policy forbids. It runs after the
// password was checked, so that the refusal tells nothing to whoever does not know the password; the
// API key (client_credentials) and single sign-on itself are not asked about.
func (s *Server) checkSSORequired(ctx context.Context, userID string) *oauthError {
	if s.Policies == nil {
		return nil
	}
	required, identifier, err := s.Policies.SSORequired(ctx, userID)
	if err != nil {
		return internal(err)
	}
	if !required {
		return nil
	}
	s.log.InfoContext(ctx, "login refused", "grant", "password", "reason", "sso_required", "user_id", userID)
	return ssoRequired(identifier)
}

// clientCredentialsGrant logs in with a user's API key: client_id "user.<id>", client_secret, scope
// api. Every failure is the bare invalid_client the CLI recognises.
func (s *Server) clientCredentialsGrant(r *http.Request, f form) (any, *oauthError) {
	ctx := r.Context()
	clientID := f.get("client_id")
	userID, ok := strings.CutPrefix(clientID, "user.")
	if !ok || !accounts.IsGUID(userID) {
		return nil, invalidClient(fmt.Errorf("client id is not user.<guid>"))
	}
	if sc := strings.Fields(f.get("scope")); len(sc) != 1 || sc[0] != "api" {
		return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
			description: "An API key grants the api scope only."}
	}
	dev, oerr := f.device()
	if oerr != nil {
		return nil, oerr
	}
	client, address := s.clientBucket(userID), s.addressBucket(r)
	if wait, err := s.blocked(ctx, client, address); err != nil {
		return nil, internal(err)
	} else if wait > 0 {
		return nil, rateLimited(wait)
	}
	u, err := s.accounts.CheckAPIKey(ctx, userID, f.get("client_secret"))
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		s.failed(ctx, client, address)
		s.log.InfoContext(ctx, "login refused", "grant", "client_credentials", "reason", "bad_credentials")
		return nil, invalidClient(err)
	}
	if err != nil {
		return nil, internal(err)
	}
	s.succeeded(ctx, client)
	return s.login(ctx, session{user: u, clientID: clientID, scopes: []string{"api"}, amr: amrPassword, device: dev})
}

// codeGrant redeems an SSO authorization code through the CodeExchanger (issue 5).
func (s *Server) codeGrant(ctx context.Context, f form) (any, *oauthError) {
	clientID := f.get("client_id")
	if !firstPartyClients[clientID] {
		return nil, invalidClient(fmt.Errorf("unknown client"))
	}
	scopes, oerr := f.scopes("api", "offline_access")
	if oerr != nil {
		return nil, oerr
	}
	dev, oerr := f.device()
	if oerr != nil {
		return nil, oerr
	}
	g, err := s.Codes.Exchange(ctx, CodeRequest{Code: f.get("code"), CodeVerifier: f.get("code_verifier"),
		RedirectURI: f.get("redirect_uri"), ClientID: clientID})
	if err != nil {
		return nil, invalidGrant("The authorization code is invalid or has expired.", err)
	}
	return s.login(ctx, session{user: g.User, clientID: clientID, scopes: scopes, amr: amrExternal,
		device: dev, orgID: g.OrgID})
}

// session is a successful login, about to get its tokens.
type session struct {
	user     *accounts.User
	clientID string
	scopes   []string
	amr      string
	device   deviceFields
	orgID    string
}

// login records the device and issues the tokens: an access token, and a refresh token when the
// client asked for offline_access.
func (s *Server) login(ctx context.Context, se session) (any, *oauthError) {
	var deviceID string
	if se.device.Identifier != "" {
		d, err := s.accounts.RecordDevice(ctx, se.user.ID, se.device.Identifier, se.device.Type, se.device.Name)
		if err != nil {
			return nil, internal(err)
		}
		deviceID = d.ID
	}
	access, err := s.accessToken(se.user, se.clientID, se.scopes, se.amr, se.device.Identifier, se.orgID)
	if err != nil {
		return nil, internal(err)
	}
	resp := loginResponse(se.user)
	resp.AccessToken, resp.ExpiresIn, resp.TokenType = access, int(s.accessTTL/time.Second), "Bearer"
	resp.Scope = strings.Join(se.scopes, " ")
	if contains(se.scopes, "offline_access") {
		token, rt, err := s.newRefreshToken(se.user, se.clientID, resp.Scope, se.amr, deviceID, "")
		if err == nil {
			err = s.store.CreateRefreshToken(ctx, rt)
		}
		if err != nil {
			return nil, internal(err)
		}
		resp.RefreshToken = token
	}
	s.log.InfoContext(ctx, "login", "user_id", se.user.ID, "client_id", clientLabel(se.clientID), "amr", se.amr)
	return resp, nil
}

// accessToken signs an access token for u.
func (s *Server) accessToken(u *accounts.User, clientID string, scopes []string, amr, device, orgID string) (string, error) {
	now := s.clock.Now()
	return s.sign(Claims{
		Claims: jwt.Claims{
			Issuer: s.issuer, Subject: u.ID, ID: s.randomID(),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(s.accessTTL)),
		},
		Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified, Premium: u.Premium,
		ClientID: clientID, AMR: []string{amr}, SStamp: u.SecurityStamp, Device: device, Scope: scopes,
		OrgID: orgID,
	})
}

// newRefreshToken makes a refresh token (32 random bytes, base64url) and the row that stores its
// hash. familyID "" starts a new family.
func (s *Server) newRefreshToken(u *accounts.User, clientID, scope, amr, deviceID, familyID string) (string, RefreshToken, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", RefreshToken{}, fmt.Errorf("make refresh token: %w", err)
	}
	if familyID == "" {
		familyID = s.randomID()
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.clock.Now()
	return token, RefreshToken{
		Hash: hashToken(token), FamilyID: familyID, UserID: u.ID, DeviceID: deviceID, ClientID: clientID,
		Scope: scope, AMR: amr, SecurityStamp: u.SecurityStamp, CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL),
	}, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Server) randomID() string { return uuid.Must(uuid.NewRandomFromReader(s.rand)).String() }

// clientLabel keeps user ids out of the client_id log field: the API key's client id names a user.
func clientLabel(clientID string) string {
	if strings.HasPrefix(clientID, "user.") {
		return "user_api_key"
	}
	return clientID
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// refreshGrant exchanges a refresh token for a new access token and a new refresh token of the same
// family. A token that was already exchanged is a replay: the whole family is revoked, so whoever
// holds the newer token (the thief or the owner) must log in again.
func (s *Server) refreshGrant(ctx context.Context, f form) (any, *oauthError) {
	presented := f.get("refresh_token")
	if presented == "" || len(presented) > 512 {
		return nil, invalidRequest("The refresh_token parameter is required.")
	}
	old, err := s.store.RefreshToken(ctx, hashToken(presented))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalidGrant("The refresh token is invalid.", err)
	}
	if err != nil {
		return nil, internal(err)
	}
	if oerr := s.checkRefresh(ctx, old, f.get("client_id")); oerr != nil {
		return nil, oerr
	}
	u, oerr := s.refreshUser(ctx, old)
	if oerr != nil {
		return nil, oerr
	}
	token, next, err := s.newRefreshToken(u, old.ClientID, old.Scope, old.AMR, old.DeviceID, old.FamilyID)
	if err != nil {
		return nil, internal(err)
	}
	if err := s.store.RotateRefreshToken(ctx, old.Hash, next, s.clock.Now()); errors.Is(err, ErrTokenUsed) {
		return nil, s.replay(ctx, old) // lost a race against another exchange of the same token
	} else if err != nil {
		return nil, internal(err)
	}
	device := ""
	if old.DeviceID != "" {
		if d, err := s.accounts.Store().DeviceByID(ctx, old.DeviceID); err == nil {
			device = d.Identifier
		}
	}
	access, err := s.accessToken(u, old.ClientID, strings.Fields(old.Scope), old.AMR, device, "")
	if err != nil {
		return nil, internal(err)
	}
	return refreshResponse{AccessToken: access, ExpiresIn: int(s.accessTTL / time.Second), TokenType: "Bearer",
		RefreshToken: token, Scope: old.Scope}, nil
}

// checkRefresh refuses a revoked, expired, replayed or foreign refresh token.
func (s *Server) checkRefresh(ctx context.Context, old *RefreshToken, clientID string) *oauthError {
	switch {
	case old.Revoked:
		return invalidGrant("The refresh token is invalid.", errors.New("revoked"))
	case !old.RotatedAt.IsZero():
		return s.replay(ctx, old)
	case !s.clock.Now().Before(old.ExpiresAt):
		return invalidGrant("The refresh token has expired.", errors.New("expired"))
	case clientID != "" && clientID != old.ClientID:
		return invalidGrant("The refresh token was issued to another client.", errors.New("client mismatch"))
	}
	return nil
}

// refreshUser returns the token's user if their security stamp is still the one the family began
// under; otherwise the family is revoked.
func (s *Server) refreshUser(ctx context.Context, old *RefreshToken) (*accounts.User, *oauthError) {
	u, err := s.accounts.User(ctx, old.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalidGrant("The refresh token is invalid.", err)
	}
	if err != nil {
		return nil, internal(err)
	}
	if u.SecurityStamp != old.SecurityStamp {
		if err := s.store.RevokeFamily(ctx, old.FamilyID); err != nil {
			return nil, internal(err)
		}
		return nil, invalidGrant("The session has ended. Log in again.", errors.New("security stamp changed"))
	}
	return u, nil
}

// replay revokes the family of a refresh token presented after it was exchanged.
func (s *Server) replay(ctx context.Context, old *RefreshToken) *oauthError {
	if err := s.store.RevokeFamily(ctx, old.FamilyID); err != nil {
		return internal(err)
	}
	s.log.WarnContext(ctx, "refresh token reused; family revoked", "user_id", old.UserID, "family_id", old.FamilyID)
	return invalidGrant("The refresh token is invalid.", ErrTokenUsed)
}
