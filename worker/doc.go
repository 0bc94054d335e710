// Package worker probes devices: it opens one SSH session per device
// (scrapligo v1's channel over a pure-Go transport, its commands sent
// without polling: sendCommand), directly or through an SSH jump
// host (JumpHost), runs the device's own ping to each
// of its targets one after another, parses the output with package ping, and
// reports one DeviceResult per device. Device-level failures are results
// with a FailureKind, never crashes. The NATS side of the worker (consuming
// jobs, publishing results) builds on Probe.
//
// A device may instead keep one session open across probes (Persistent;
// Sessions keeps them, and `linkwatch bench --mode persistent` uses it
// alone). The Service holds such a session under the device's session
// lease, marked persistent and renewed while it is open, and one of the
// site's capped slots; a job for the device that reaches another worker of
// the site is forwarded to the holder and probed over its session
// (persistent.go).
package worker
