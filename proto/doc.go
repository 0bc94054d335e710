// Package proto is linkwatch's wire contract: the protobuf messages that the
// scheduler, workers and notifier exchange over NATS, the subject and stream
// names they meet on, and the grammar of the names, targets, VRFs and sources
// that both the configuration and the worker enforce.
package proto
