package identity

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxFormBytes bounds a token request; a real one is well under 4 KiB.
const maxFormBytes = 64 << 10

// form is a token request's parameters, keyed by name lower-cased without underscores, because the
// clients spell them both ways (deviceIdentifier, device_identifier).
type form map[string]string

func (f form) get(name string) string { return f[strings.ReplaceAll(strings.ToLower(name), "_", "")] }

// parseForm reads an application/x-www-form-urlencoded body. Parameters in the query string are
// ignored (credentials do not belong in URLs), and a repeated parameter is refused (RFC 6749 §3.2).
func parseForm(w http.ResponseWriter, r *http.Request) (form, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("The request must be application/x-www-form-urlencoded.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		e := invalidRequest("The request body is too large.")
		e.status = http.StatusRequestEntityTooLarge
		return nil, e
	}
	if err != nil {
		return nil, invalidRequest("The request body could not be read.")
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("The request body is not valid form data.")
	}
	f := form{}
	for k, vs := range vals {
		key := strings.ReplaceAll(strings.ToLower(k), "_", "")
		if _, dup := f[key]; dup || len(vs) != 1 {
			return nil, invalidRequest("The parameter " + k + " is repeated.")
		}
		f[key] = vs[0]
	}
	return f, nil
}

// deviceFields are the device parameters of a login.
type deviceFields struct {
	Type       int
	Identifier string
	Name       string
}

// device reads the device parameters; all three are optional, but if an identifier is sent it must
// be sane.
func (f form) device() (deviceFields, *oauthError) {
	d := deviceFields{Identifier: f.get("deviceIdentifier"), Name: f.get("deviceName")}
	if t := f.get("deviceType"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > 1000 {
			return d, invalidRequest("The deviceType parameter is not a device type.")
		}
		d.Type = n
	}
	if len(d.Identifier) > 255 || len(d.Name) > 255 {
		return d, invalidRequest("The device parameters are too long.")
	}
	if d.Name == "" {
		d.Name = "unknown"
	}
	return d, nil
}

// scopes splits the scope parameter and checks it against what castellan grants.
func (f form) scopes(allowed ...string) ([]string, *oauthError) {
	list := strings.Fields(f.get("scope"))
	if len(list) == 0 {
		return []string{"api"}, nil
	}
	for _, sc := range list {
		ok := false
		for _, a := range allowed {
			ok = ok || sc == a
		}
		if !ok {
			return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
				description: "The scope " + sc + " is not available.", message: "The scope " + sc + " is not available."}
		}
	}
	return list, nil
}
