package notifier

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/proto"
)

// Wake tells the mailers that alerts were committed: this notifier's at
// once, and, over the bus (proto.MailerWake), every other notifier's, so
// that the leader sends alerts a standby committed without waiting for its
// idle poll. Every producer of alerts calls it after a commit that queued
// some. The wake carries nothing: a lost one only delays the email to the
// leader's next idle poll.
func (n *Notifier) Wake() {
	n.mailer.Poke()
	if n.nc == nil {
		return
	}
	if err := n.nc.Publish(proto.MailerWake, nil); err != nil {
		n.log.Debug("publish mailer wake", "err", err)
	}
}

// listenWake pokes the mailer whenever a notifier publishes a wake, and
// returns a func that stops listening.
func (n *Notifier) listenWake() (func(), error) {
	sub, err := n.nc.Subscribe(proto.MailerWake, func(*nats.Msg) { n.mailer.Poke() })
	if err != nil {
		return nil, fmt.Errorf("subscribe to mailer wakes: %w", err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
