// Package mailer drains the alert outbox: it groups the alerts of a burst
// into one email (render), sends it through a Sender, and settles the
// alerts. It also holds the mailer lease, so that of several notifier
// replicas on one store only one sends.
//
// What is true here: an alert leaves the outbox only after the mail server
// accepted its email; an email whose alerts could not be removed afterwards
// is not sent again, its alerts are removed first. A permanent refusal
// (Permanent) parks the alerts for inspection; any other failure is
// recorded on them and retried with jittered backoff up to MaxBackoff,
// logged when the error changes. The loop (Run) and the one-shot Flush
// share one delivery function. Without a lease, or while holding it, this
// mailer is the only one sending; a send is never cut short because a
// renewal failed (the alerts would go out twice).
package mailer
