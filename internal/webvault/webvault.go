package webvault

import (
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// Handler serves one web vault folder.
type Handler struct {
	root *os.Root
	rest http.Handler
}

// Required are the files a web vault folder must hold. Besides the vault's index, castellan leaves
// the two connector pages to the vault when it serves one (its own pages at those paths step
// aside): redirect-connector.html is where the mailed verification link lands, sso-connector.html
// where the vault's single sign-on ends. A folder without them is refused at start rather than
// falling back to castellan's pages there: castellan's connector finishes a sign-on its own way,
// not the way the vault's sign-on page that started it expects, and a half-built folder is better
// found at start than by the first person whose link breaks.
var Required = []string{"index.html", "redirect-connector.html", "sso-connector.html"}

// Check reports what makes dir unfit to serve as a web vault, as a reason to show after the
// setting's name: it must be a folder holding the [Required] files as regular files, not reached
// through a symbolic link that leaves the folder (castellan serves nothing from outside it).
func Check(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cannot open the folder %s: %w", dir, err)
	}
	defer root.Close()
	return check(root, dir)
}

func check(root *os.Root, dir string) error {
	for _, name := range Required {
		fi, err := root.Stat(name)
		switch {
		case err == nil && fi.Mode().IsRegular():
			continue
		case err == nil:
			return fmt.Errorf("%s in %s is not a regular file: point it at the folder of a web vault build",
				name, dir)
		}
		if lfi, lerr := root.Lstat(name); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s in %s is a symbolic link that leaves the folder (or leads nowhere); "+
				"castellan serves nothing from outside it: copy the build into one folder", name, dir)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no %s in %s: point it at the folder of a web vault build (the one that "+
				"holds index.html, redirect-connector.html and sso-connector.html)", name, dir)
		}
		return fmt.Errorf("%s in %s: %w", name, dir, err)
	}
	return nil
}

// New opens dir, which must pass [Check], and returns a handler that serves it and hands
// everything else to rest.
func New(dir string, rest http.Handler) (*Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("CASTELLAN_WEB_VAULT_DIR: cannot open the folder %s: %w", dir, err)
	}
	if err := check(root, dir); err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("CASTELLAN_WEB_VAULT_DIR: %w", err)
	}
	return &Handler{root: root, rest: rest}, nil
}

// Close releases the folder.
func (h *Handler) Close() error { return h.root.Close() }

// contentTypes are the types of the files a web vault build holds.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
	".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon", ".woff": "font/woff",
	".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf", ".txt": "text/plain; charset=utf-8",
	".xml": "application/xml", ".webmanifest": "application/manifest+json",
}

// ContentType returns the type castellan sends for a file name.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// ServeHTTP serves a file of the vault, index.html for the vault's own routes, or hands the
// request on.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if hidden(name) {
		h.rest.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A file of the vault takes only reads; other paths are castellan's (its 404).
		if fi, err := h.root.Stat(name); err == nil && fi.Mode().IsRegular() {
			w.Header().Set("Allow", "GET, HEAD")
			httpx.WriteError(w, r, nil, &httpx.Error{Status: http.StatusMethodNotAllowed,
				Message: "The web vault's files accept GET and HEAD only."})
			return
		}
		h.rest.ServeHTTP(w, r)
		return
	}
	f, fi, err := h.open(name)
	if errors.Is(err, fs.ErrNotExist) && path.Ext(name) == "" {
		name = "index.html"
		f, fi, err = h.open(name)
	}
	if err != nil {
		h.rest.ServeHTTP(w, r)
		return
	}
	defer f.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", ContentType(name))
	// The vault frames its own connector pages (WebAuthn, Duo): same origin only.
	hdr.Set("X-Frame-Options", "SAMEORIGIN")
	if path.Ext(name) == ".html" {
		hdr.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// open opens a regular file of the vault; a folder counts as missing, so that it gets the index
// (the vault's router) rather than a listing, and so does anything else that is not a regular file
// (a FIFO, a device, a socket): opening a FIFO waits for a writer, which would hang the request and
// the server's shutdown. The name is checked before it is opened, and opened without waiting
// (O_NONBLOCK, which changes nothing for a regular file) in case it changes in between.
func (h *Handler) open(name string) (*os.File, fs.FileInfo, error) {
	if fi, err := h.root.Stat(name); err != nil {
		return nil, nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, nil, fs.ErrNotExist
	}
	f, err := h.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// hidden reports whether any part of the name starts with a dot (.git, .env, .well-known...).
func hidden(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}
