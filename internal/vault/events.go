package vault

import (
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// maxEvents bounds one /events/collect batch; the clients send a few at a time.
const maxEvents = 1000

// clientEvent is one event a client reports (an item viewed, a password copied, ...).
type clientEvent struct {
	Type           int     `json:"type"`
	CipherID       *string `json:"cipherId"`
	Date           *string `json:"date"`
	OrganizationID *string `json:"organizationId"`
}

// collectEvents accepts the client's event batch (POST /events/collect). The clients require
// exactly 200.
// TODO(events): store the events of organizations that use events, with the event log (issue 4);
// until then a well-formed batch is accepted and dropped, and nothing of it is logged but its size.
func (h *Handlers) collectEvents(w http.ResponseWriter, r *http.Request) error {
	if _, err := caller(r); err != nil {
		return err
	}
	var events []clientEvent
	if err := httpx.DecodeJSON(r, &events); err != nil {
		return err
	}
	if len(events) > maxEvents {
		return httpx.BadRequest(fmt.Sprintf("At most %d events can be sent at once.", maxEvents))
	}
	h.Logger.DebugContext(r.Context(), "client events dropped",
		"request_id", httpx.RequestIDFrom(r.Context()), "count", len(events))
	writeEmpty(w)
	return nil
}
