// Package vault keeps a user's folders and items (ciphers) and serves the routes the official
// clients use for them: folders, item create/read/update, filing in folders and favorites, trash,
// restore and delete, the personal import, /api/sync, and the event intake /events/collect.
//
// The server cannot read a vault. Everything a client encrypts arrives as EncStrings inside a JSON
// item; the server checks that each of them is well formed (bwcrypto.CheckEncString), keeps only
// the fields a client can read back, and stores the result as one opaque JSON document per item.
// On the way out that document is spliced unchanged into the CipherDetails response, after the
// fields the server decides itself (id, dates, permissions, folder, favorite), so a sync of
// thousands of items decodes no item at all.
//
// The flow of a change: the handler decodes and validates the request (request.go, clean.go) and
// answers 400 with every problem found, then calls one [Store] method, which makes the change and
// moves the owner's account revision date in a single transaction. Another user's item or folder is
// reported exactly like a missing one: 404, never 401 or 403, which would log an official client
// out.
//
// An organization's item belongs to the organization (no user) and sits in collections. A user
// sees it through the collections they reach as a confirmed member, directly or through groups
// (sqlstore_orgs.go, on orgs.UserAccessQuery), and may change it unless every path is read-only; a
// change moves the revision date of every member. The [Organizations] seam (internal/orgs) decides
// who may create an organization's item in which collections, provides the collections of
// /api/sync, checks the export and import of an organization (orgitems.go), and stores the events
// clients report.
//
// Files:
//   - model.go: [Cipher], [Folder], cipher types, limits and sentinel errors.
//   - clean.go: the shape of each item type and the check of every value in it, with the official
//     length limits of encrypted values and validationErrors keys in the official property paths.
//   - request.go: the request bodies ([CipherRequest], [FolderRequest], [ImportRequest], ...) and
//     their validation.
//   - response.go: CipherDetails and folder responses, with the document splice.
//   - store.go, sqlstore.go, sqlstore_folders.go, sqlstore_orgs.go: the [Store] contract and its
//     SQL implementation (tables of migration 00003, joined to the collection grants of 00004).
//   - handlers.go: [Handlers], the route table, the seams and error mapping.
//   - folders.go, ciphers.go, bulk.go, import.go, sync.go, events.go, orgitems.go, orgshare.go: the
//     handlers, by route group.
package vault
