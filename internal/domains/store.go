package domains

import (
	"context"
	"errors"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// State is where a domain stands in its life.
type State string

// The states of a domain.
const (
	// Pending: added, never verified. Automatic attempts run on the schedule; the domain is removed
	// when the expiry comes without a successful check.
	Pending State = "pending"
	// Verified: the organization has claimed the domain and the last check found the record.
	Verified State = "verified"
	// Failing: still verified (still claimed), but checks have failed since FailingSince.
	Failing State = "failing"
	// Lapsed: it was verified, then failed past the grace period, so the claim was dropped. Nothing
	// runs on it automatically; an administrator may verify it again or delete it.
	Lapsed State = "lapsed"
)

// Claimed reports whether a domain in this state counts as verified by its organization.
func (s State) Claimed() bool { return s == Verified || s == Failing }

// Domain is one domain an organization has added. Zero times stand for "never" or "not planned".
type Domain struct {
	ID             string
	OrganizationID string
	Name           string // normalised: lower case, punycode, no trailing dot
	TXT            string // the verification value, "bw=..."
	CreatedAt      time.Time
	VerifiedAt     time.Time // when the current claim began; zero unless Verified or Failing
	LastCheckedAt  time.Time // last check by the background job or a successful manual check
	NextRunAt      time.Time // next automatic check; zero when none is planned
	FailingSince   time.Time // first failed check of a verified domain; zero unless Failing
	JobRunCount    int       // automatic attempts made before the domain was first verified
	State          State
	// Revision increases with every write; stores use it to refuse a write based on a stale read.
	Revision int64
}

// Store keeps domains. All methods are safe for concurrent use; implementations report a missing
// row with storage.ErrNotFound.
type Store interface {
	// Create inserts d (a Pending domain with Revision 0). It fails with ErrDuplicate when the
	// organization already has the name, and with ErrClaimedElsewhere when another organization has
	// verified it.
	Create(ctx context.Context, d Domain) error
	// Get returns the organization's domain id.
	Get(ctx context.Context, orgID, id string) (Domain, error)
	// List returns the organization's domains, by name.
	List(ctx context.Context, orgID string) ([]Domain, error)
	// FindClaimed returns the domain that holds the claim on name (Verified or Failing), if any.
	FindClaimed(ctx context.Context, name string) (Domain, error)
	// Due returns up to limit domains whose next automatic check is at or before now, earliest
	// first.
	Due(ctx context.Context, now time.Time, limit int) ([]Domain, error)
	// Update writes the mutable fields of d (verified, checked, next run, failing, run count,
	// state) if the stored revision is still d.Revision, and returns d with its new revision. It
	// fails with ErrStale when the row changed since it was read, storage.ErrNotFound when it is
	// gone, and ErrClaimedElsewhere when d claims a name another organization holds.
	Update(ctx context.Context, d Domain) (Domain, error)
	// Delete removes the organization's domain id.
	Delete(ctx context.Context, orgID, id string) error
	// DeleteAt removes domain id if its stored revision is still revision (ErrStale otherwise).
	DeleteAt(ctx context.Context, id string, revision int64) error
}

// conflictError is a refusal the HTTP layer answers with 409; errors.Is also matches it with
// storage.ErrConflict, so generic error mapping gets it right too.
type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }

// Is makes errors.Is(err, storage.ErrConflict) true.
func (e *conflictError) Is(target error) bool { return target == storage.ErrConflict }

// Errors of the domain store and service. The three conflicts also match storage.ErrConflict.
var (
	// ErrDuplicate: the organization has already added this domain.
	ErrDuplicate error = &conflictError{"the organization has already added this domain"}
	// ErrClaimedElsewhere: another organization has verified (claimed) this domain.
	ErrClaimedElsewhere error = &conflictError{"the domain is claimed by another organization"}
	// ErrAlreadyVerified: the domain is verified and its checks succeed, so there is nothing to
	// verify.
	ErrAlreadyVerified error = &conflictError{"the domain is already verified"}
	// ErrStale: the row changed between read and write.
	ErrStale = errors.New("the domain changed since it was read")
)
