// Package api is the notifier's status/history service and its client: a
// NATS request/reply service (nats.go/micro) on linkwatch.api.status and
// linkwatch.api.history, so that the CLI can read link state and history
// from any store, including the embedded one, which admits only the
// process that opened it.
//
// What is true here: the service only reads the store. Requests and
// replies are JSON of the types below; a history request names a valid
// device, or is answered with an error. A request whose reply subject is
// a system subject ($JS.API…, $KV…) is dropped unanswered, so an answer can
// never become an operation on the server in the notifier's name.
package api
