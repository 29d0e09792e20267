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
)

// Handler serves one web vault folder.
type Handler struct {
	root *os.Root
	rest http.Handler
}

// New opens dir, which must hold index.html, and returns a handler that serves it and hands
// everything else to rest.
func New(dir string, rest http.Handler) (*Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the web vault folder: %w", err)
	}
	fi, err := root.Stat("index.html")
	if err != nil || !fi.Mode().IsRegular() {
		_ = root.Close()
		return nil, fmt.Errorf("the web vault folder %s has no index.html: point it at the folder of a web "+
			"vault build (the one that holds index.html)", dir)
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
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.rest.ServeHTTP(w, r)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if hidden(name) {
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
// (the vault's router) rather than a listing.
func (h *Handler) open(name string) (*os.File, fs.FileInfo, error) {
	f, err := h.root.Open(name)
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
