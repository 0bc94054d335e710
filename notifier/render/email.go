package render

import (
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// Email is one rendered message to the NOC, ready for a sender.
type Email struct {
	From    string
	To      []string
	Subject string
	Text    string // text/plain part
	HTML    string // text/html part
	// MessageID is the Message-ID without its angle brackets, derived from
	// the alerts the email carries (MessageID): the same alerts give the
	// same id, so a copy sent again after a crash can be recognised.
	MessageID string
	// Headers are extra header fields (HeaderAlerts, HeaderRoute).
	Headers map[string]string
}

// Extra header fields of an alert email.
const (
	// HeaderAlerts counts the alerts an email carries.
	HeaderAlerts = "X-Linkwatch-Alerts"
	// HeaderRoute names the route of the email's alerts ("default" for
	// notify.to).
	HeaderRoute = "X-Linkwatch-Route"
)

// MessageID is the Message-ID (without angle brackets) of an email
// carrying alerts: a hash of their sorted IDs, at the domain of from
// ("linkwatch.invalid" when from has none). It depends on nothing else,
// neither time nor process, so a retry of the same alerts repeats it.
func MessageID(alerts []state.Alert, from string) string {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return "linkwatch." + hex.EncodeToString(sum[:16]) + "@" + domainOf(from)
}

// domainOf is the domain of the address from, or linkwatch.invalid.
func domainOf(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			return a.Address[i+1:]
		}
	}
	return "linkwatch.invalid"
}

// headers are the extra header fields of an email carrying alerts, all
// of one route.
func headers(alerts []state.Alert) map[string]string {
	route := "default"
	if len(alerts) > 0 && alerts[0].Route != "" {
		route = alerts[0].Route
	}
	return map[string]string{HeaderAlerts: strconv.Itoa(len(alerts)), HeaderRoute: route}
}
