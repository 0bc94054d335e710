// Package worker probes devices: it opens one SSH session per device
// (scrapligo v1 over a pure-Go transport), directly or through an SSH jump
// host (JumpHost), runs the device's own ping to each
// of its targets one after another, parses the output with package ping, and
// reports one DeviceResult per device. Device-level failures are results
// with a FailureKind, never crashes. The NATS side of the worker (consuming
// jobs, publishing results) builds on Probe.
package worker
