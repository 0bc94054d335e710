// Package route decides who is told about an alert. A Table holds the
// routes of notify.routes, each matching sites and device name patterns
// (a device group) and naming its recipients, and the default route
// (notify.to) for the alerts no route takes.
//
// What is true here: Fan is the one place alerts are routed. Every
// producer of alerts calls it once, inside its commit, so the outbox holds
// one entry per alert and route, each entry says its route (Alert.Route),
// and the mailer groups and addresses by that. Routing happens at commit
// time; recipients are looked up at send time (Recipients), so a reload
// that changes a route's addresses applies to alerts already queued. An
// alert's ID on a route other than the default one carries the route's
// name (ID), so the same alert cannot be queued twice on one route, and
// alerts stored before routing existed read as the default route's.
package route
