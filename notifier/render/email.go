package render

// Email is one rendered message to the NOC, ready for a sender.
type Email struct {
	From    string
	To      []string
	Subject string
	Text    string // text/plain part
	HTML    string // text/html part
}
