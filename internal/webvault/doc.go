// Package webvault serves an official Bitwarden web vault build (the static files of
// bitwarden/clients' apps/web, as its release archives ship them) from a folder, at castellan's
// origin, so that the clients' links into "the web vault" (invitations, e-mail verification, the
// admin console) open a working vault.
//
// Only GET and HEAD are served: another method on a file of the vault is a 405; everything else,
// and every path castellan itself routes, goes to the handler castellan gives for the rest. Files
// are read through an os.Root, so neither ".." nor a symbolic link leaves the folder; names with a
// part that starts with "." are not served; only regular files are (never a FIFO or a device); a
// folder is never listed. The folder must hold index.html and the two connector pages ([Check]). A path without an extension that names no file gets index.html, for
// the vault's router; a missing file with an extension is a 404. Content types come from a fixed
// table (the vault's WebAssembly needs application/wasm), not from the host's MIME database.
//
// Files: webvault.go ([Handler], [Check], [ContentType]).
package webvault
