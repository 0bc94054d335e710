// Package state is what the notifier knows about the network, and the one
// rule that changes it. It defines the stored records (Device with its
// Links), the history (Change), the outbox (Alert), what one result commits
// (Update), and the Store interface that keeps them; and Decide, the pure
// state machine that turns the stored record of a device and a new probe
// result into the next Update.
//
// What is true here: Decide has no clock, I/O or randomness of its own, so
// every Store runs exactly the same logic inside its own transaction, and
// running it again after a conflict is harmless. A result no newer than the
// last one applied commits nothing (ErrNoUpdate), so redelivery and
// reordering never roll state back. Alert IDs are deterministic, so one
// result cannot queue one alert twice. The JSON form of these types is the
// stored data format of every Store: change a tag and old data no longer
// reads.
package state
