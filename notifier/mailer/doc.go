// Package mailer drains the alert outbox: it groups the alerts of one route
// and one burst into one email (render), addressed to the route's
// recipients in force, sends it through a Sender, and settles the alerts.
// It also holds the mailer lease, so that of several notifier replicas on
// one store only one sends; its owner id lasts across restarts of one
// instance (kept in the data directory), so a restarted leader takes its
// lease back at once.
//
// What is true here: an alert leaves the outbox only after the mail server
// accepted its email; the alerts of an email are a function of the outbox
// alone once their burst has ended (nextBatch), and its Message-ID a
// function of their IDs, so an email sent again after a crash is the same
// email; an email whose alerts could not be removed afterwards
// is not sent again, its alerts are removed first. A permanent refusal
// (Permanent) parks the alerts for inspection; any other failure is
// recorded on them and retried with jittered backoff up to MaxBackoff.
// Failures that last (the mail server, the store or NATS for the lease
// away) are logged once when they start and once when they end, not at
// every attempt (backoff.Waiter), and the mail server's and the store's
// fail Ready meanwhile. The loop (Run) and the one-shot Flush
// share one delivery function. Without a lease, or while holding it, this
// mailer is the only one sending; a send is never cut short because a
// renewal failed (the alerts would go out twice).
package mailer
