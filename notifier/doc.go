// Package notifier turns probe results into state changes and emails. It
// consumes results from NATS, applies the confirmation rule, commits each
// result to a Store in one atomic step (state, history, outbox), and drains
// the outbox through a Sender, grouping alerts into one email per burst.
package notifier
