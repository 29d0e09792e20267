package domains

import (
	"context"
	"errors"
	"strings"

	"github.com/castellan-vault/castellan/internal/storage"
)

// This file holds what other concerns ask of claims: whether an organization claims an address
// (organizations refuse to remove or let go of such members), and which organization claims the
// domain of an address (identifier-less sign-in, registration blocking).

// ErrInvalidEmail is the error for an address without a usable domain part.
var ErrInvalidEmail = errors.New("invalid email address")

// EmailDomain returns the normalised domain of an email address: the part after the last "@",
// through [Normalize]. It fails with ErrInvalidEmail when there is no local part or the domain is
// not a valid name.
func EmailDomain(email string) (string, error) {
	i := strings.LastIndexByte(email, '@')
	if i <= 0 || i == len(email)-1 {
		return "", ErrInvalidEmail
	}
	d, err := Normalize(email[i+1:])
	if err != nil {
		return "", errors.Join(ErrInvalidEmail, err)
	}
	return d, nil
}

// ClaimOf returns the domain through which an organization claims the domain of email (Verified
// or Failing); found is false when no organization claims it. It fails with ErrInvalidEmail for a
// malformed address.
func (s *Service) ClaimOf(ctx context.Context, email string) (d Domain, found bool, err error) {
	name, err := EmailDomain(email)
	if err != nil {
		return Domain{}, false, err
	}
	d, err = s.store.FindClaimed(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return Domain{}, false, nil
	}
	return d, err == nil, err
}

// ClaimedEmails returns those of emails whose domain the organization claims (its domain there is
// Verified or Failing). It reads the organization's domains once, whatever the number of addresses.
func (s *Service) ClaimedEmails(ctx context.Context, orgID string, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(emails) == 0 {
		return out, nil
	}
	list, err := s.store.List(ctx, orgID)
	if err != nil {
		return nil, err
	}
	claimed := map[string]bool{}
	for _, d := range list {
		if d.State.Claimed() {
			claimed[d.Name] = true
		}
	}
	if len(claimed) == 0 {
		return out, nil
	}
	for _, e := range emails {
		if name, err := EmailDomain(e); err == nil && claimed[name] {
			out[e] = true
		}
	}
	return out, nil
}
