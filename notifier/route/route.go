package route

import (
	"path"
	"slices"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// Route sends the alerts of some sites, and optionally of some devices
// of them, to its own recipients.
type Route struct {
	// Name is the route's token (proto.ValidName), stored with each
	// alert it takes.
	Name string
	// Sites the route takes alerts of; empty means any site.
	Sites []string
	// Devices are path.Match patterns on device names (a device group);
	// empty means any device. A route with devices does not take
	// site-level alerts (no device): they are for the site's own team.
	Devices []string
	// To are the route's recipients.
	To []string
	// Continue sends a matching alert on to later routes, and to the
	// default route when no later route stops it.
	Continue bool
}

// Table is the routing table: routes tried in order, and the default
// recipients. A nil *Table routes every alert to the default route.
type Table struct {
	Routes []Route
	// To are the default route's recipients: of the alerts no route takes.
	To []string
}

// Where is the site and device an alert is about: its change's for a
// link alert, else its own Site and Device. A site-level alert (a blind
// site) has device "".
func Where(a state.Alert) (site, device string) {
	if a.Change != nil {
		return a.Change.Site, a.Change.Device
	}
	return a.Site, a.Device
}

// Matches reports whether r takes an alert about device at site. A
// site-level alert (device "") is taken only by routes without device
// patterns: a device group's route listed first must not take a site's
// alert away from the site's own team.
func (r Route) Matches(site, device string) bool {
	if len(r.Sites) > 0 && !slices.Contains(r.Sites, site) {
		return false
	}
	if len(r.Devices) == 0 {
		return true
	}
	if device == "" {
		return false
	}
	return slices.ContainsFunc(r.Devices, func(p string) bool {
		ok, _ := path.Match(p, device)
		return ok
	})
}

// Take names the routes a takes, in table order, "" standing for the
// default route: the first route that matches, and the ones after it
// while the matching routes say continue; the default route when none
// matches or the last match continues.
func (t *Table) Take(a state.Alert) []string {
	if t == nil {
		return []string{""}
	}
	site, device := Where(a)
	var names []string
	for _, r := range t.Routes {
		if !r.Matches(site, device) {
			continue
		}
		names = append(names, r.Name)
		if !r.Continue {
			return names
		}
	}
	return append(names, "")
}

// Fan returns alerts as the outbox holds them: one copy of each alert per
// route it takes (Take), each with its Route set and, off the default
// route, the route in its ID. Every producer of alerts calls it before
// committing them, once: the alerts it is given are not routed yet.
func (t *Table) Fan(alerts []state.Alert) []state.Alert {
	if len(alerts) == 0 {
		return alerts
	}
	out := make([]state.Alert, 0, len(alerts))
	for _, a := range alerts {
		for _, name := range t.Take(a) {
			c := a
			c.Route, c.ID = name, ID(a.ID, name)
			out = append(out, c)
		}
	}
	return out
}

// ID is the outbox ID of the alert id on route: id itself on the default
// route, so that alerts stored before routing existed keep their IDs.
func ID(id, route string) string {
	if route == "" {
		return id
	}
	return id + "|route=" + route
}

// Recipients are the addresses of the named route ("" for the default
// one). ok is false when the route has none in this table: a name the
// table lacks (a route a reload removed), or the default route of a table
// without default recipients (alerts queued before a reload). Fallback's
// addresses are returned then; they may be none.
func (t *Table) Recipients(route string) (to []string, ok bool) {
	if t == nil {
		return nil, route == ""
	}
	if route == "" && len(t.To) > 0 {
		return t.To, true
	}
	for _, r := range t.Routes {
		if route != "" && r.Name == route {
			return r.To, true
		}
	}
	return t.Fallback(), false
}

// Fallback are the addresses of the alerts whose route has no recipients
// in this table: the default recipients, or, when there are none, those
// of a last route that takes every alert (CatchAll), which then stands
// for the default route. None when neither exists.
func (t *Table) Fallback() []string {
	if t == nil {
		return nil
	}
	if len(t.To) > 0 || len(t.Routes) == 0 {
		return t.To
	}
	if last := t.Routes[len(t.Routes)-1]; last.CatchAll() {
		return last.To
	}
	return nil
}

// CatchAll reports whether r takes every alert and stops it: no sites, no
// devices, no continue. A table ending with one needs no default
// recipients: no alert reaches the default route.
func (r Route) CatchAll() bool {
	return len(r.Sites) == 0 && len(r.Devices) == 0 && !r.Continue
}

// ValidPattern checks a device pattern: path.Match syntax.
func ValidPattern(p string) error {
	_, err := path.Match(p, "")
	return err
}
