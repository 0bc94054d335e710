// Package proto is linkwatch's wire contract: the protobuf messages that the
// scheduler, workers and notifier exchange over NATS, the subject and stream
// names they meet on, and the grammar of what may reach a router's CLI (the
// names, targets, VRFs and sources that both the configuration and the worker
// enforce, and the single command word every one of them must also be), and
// the roles of the bus with the subjects each may use (roles.go).
package proto
