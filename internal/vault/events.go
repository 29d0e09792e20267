package vault

import (
	"fmt"
	"net/http"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
)

// maxEvents bounds one /events/collect batch; the clients send a few at a time.
const maxEvents = 1000

// collectEvents accepts the client's event batch (POST /events/collect) and hands it to the
// organizations concern, which stores the events of organization items the caller may see and
// drops the rest. The clients require exactly 200.
func (h *Handlers) collectEvents(w http.ResponseWriter, r *http.Request) error {
	userID, err := caller(r)
	if err != nil {
		return err
	}
	var events []orgs.ClientEvent
	if err := httpx.DecodeJSON(r, &events); err != nil {
		return err
	}
	if len(events) > maxEvents {
		return httpx.BadRequest(fmt.Sprintf("At most %d events can be sent at once.", maxEvents))
	}
	if h.Orgs != nil {
		if err := h.Orgs.RecordClientEvents(r, userID, events); err != nil {
			return err
		}
	}
	writeEmpty(w)
	return nil
}
