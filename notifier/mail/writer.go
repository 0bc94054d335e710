package mail

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/linkwatch/linkwatch/notifier/render"
)

// Writer is the Sender used when no SMTP server is configured: it writes
// each email's headers and text part to W, one email at a time.
type Writer struct {
	W  io.Writer
	mu sync.Mutex
}

// Send writes e to W. It fails only when ctx has ended or W fails.
func (w *Writer) Send(ctx context.Context, e render.Email) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write email: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: %s\nSubject: %s\n\n", e.From, strings.Join(e.To, ", "), e.Subject)
	b.WriteString(e.Text)
	if !strings.HasSuffix(e.Text, "\n") {
		b.WriteString("\n")
	}
	b.WriteString(strings.Repeat("=", 72) + "\n")

	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := io.WriteString(w.W, b.String()); err != nil {
		return fmt.Errorf("write email: %w", err)
	}
	return nil
}
