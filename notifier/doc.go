// Package notifier is the notifier service: it wires the packages that turn
// probe results into state changes and emails. It consumes results from
// NATS, admits only results it can believe (for a device of the Inventory
// and its links, from its own site's subject, published by a worker, not
// from the future), commits each in one atomic step on a state.Store
// (state.Decide: the device's state, the history and the outbox, each
// alert once per route it takes: package route), wakes the mailer of every
// notifier (Wake: its own, and the others' over proto.MailerWake; package
// mailer renders with package render and sends through a mailer.Sender)
// and serves the status/history/silence API (package api); LinkMetrics
// exports every link of the inventory as status shows it, read at scrape
// time through the same code (api.Scan). Silences
// (state.Silence, kept in the store) and the configured maintenance
// windows (state.Window) hold alerts back through Rules.Silenced; when one
// ends, the devices it covered are reconciled (state.Reconcile), and every
// device is when the notifier starts.
//
// What is true here: a result is acked only after its commit; a result
// that cannot be decoded or is not believed is dropped and counted, and
// changes nothing; a commit that fails is redelivered.
package notifier
