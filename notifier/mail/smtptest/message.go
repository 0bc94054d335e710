package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one message the server accepted.
type Message struct {
	From string   // MAIL FROM
	To   []string // RCPT TO, in order
	Data []byte   // the message as received after DATA
	// Header is the parsed message header; nil when Data is not a
	// parseable message.
	Header mail.Header
	// Text and HTML are the decoded text/plain and text/html bodies (the
	// first of each), whether the message is multipart or not.
	Text, HTML string
	// TLS reports whether the session was encrypted; User is the name it
	// authenticated as ("" without AUTH).
	TLS  bool
	User string
}

// Parse reads a message as an SMTP server received it after DATA (a
// mailbox file, say) into a Message with its Header, Text and HTML.
func Parse(data []byte) (Message, error) {
	m := Message{Data: data}
	err := m.parse()
	return m, err
}

// parse fills Header, Text and HTML from m.Data.
func (m *Message) parse() error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	m.Header = msg.Header
	return m.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

// walk decodes one MIME entity, descending into multipart ones.
func (m *Message) walk(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("parse content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		return m.walkMultipart(multipart.NewReader(body, params["boundary"]))
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("decode %s body: %w", mediaType, err)
	}
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = string(b)
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = string(b)
	}
	return nil
}

func (m *Message) walkMultipart(r *multipart.Reader) error {
	for {
		// NextPart decodes quoted-printable parts itself and hides
		// their Content-Transfer-Encoding header.
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read multipart: %w", err)
		}
		if d, _, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition")); d == "attachment" {
			continue
		}
		err = m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return err
		}
	}
}
