// Package httpx holds the HTTP plumbing every castellan handler shares: the one place that turns
// errors into responses in the shape the official Bitwarden clients read, JSON decoding with limits,
// and the middleware chain (request IDs, access logging without secrets, panic recovery, body limits).
//
// Files:
//   - errors.go: [Error], the typed error with a public message kept apart from its private cause,
//     and [WriteError], which renders the Bitwarden error body.
//   - json.go: [WriteJSON] and [DecodeJSON].
//   - fields.go: what validation messages share: [TextLen] (lengths as the official server counts
//     them), [FieldName] (validationErrors keys are the official C# property paths, "Login.Uris[0].Uri")
//     and the official message for an encrypted value over its limit.
//   - middleware.go: [Chain], [RequestID], [AccessLog], [Recover], [LimitBody].
//   - handler.go: [Handler], an http.Handler that returns an error.
package httpx
