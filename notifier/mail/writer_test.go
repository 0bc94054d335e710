package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/render"
)

var separator = strings.Repeat("=", 72) + "\n"

func TestWriterFormat(t *testing.T) {
	cases := []struct {
		name string
		text string
	}{
		{"text ends with newline", "line 1\nline 2\n"},
		{"text without final newline", "line 1\nline 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			e := render.Email{From: "lw@example.net", To: []string{"a@example.net", "b@example.net"},
				Subject: "[linkwatch] 1 link DOWN at dc1", Text: tc.text, HTML: "<p>not printed</p>"}
			if err := (&Writer{W: &b}).Send(t.Context(), e); err != nil {
				t.Fatalf("send: %v", err)
			}
			want := "From: lw@example.net\nTo: a@example.net, b@example.net\nSubject: [linkwatch] 1 link DOWN at dc1\n\n" +
				"line 1\nline 2\n" + separator
			if b.String() != want {
				t.Errorf("wrote:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}

// TestWriterConcurrent checks that emails sent at once come out whole,
// never interleaved.
func TestWriterConcurrent(t *testing.T) {
	var b bytes.Buffer
	w := &Writer{W: &b}
	const n = 32
	var wg sync.WaitGroup
	want := make([]string, n)
	for i := range n {
		e := render.Email{From: "lw@example.net", To: []string{"noc@example.net"},
			Subject: fmt.Sprintf("email %d", i), Text: strings.Repeat(fmt.Sprintf("body of %d\n", i), 50)}
		want[i] = fmt.Sprintf("From: lw@example.net\nTo: noc@example.net\nSubject: %s\n\n%s", e.Subject, e.Text)
		wg.Go(func() {
			if err := w.Send(t.Context(), e); err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), separator), separator)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("emails came out mixed up:\n%s", b.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterErrors(t *testing.T) {
	e := render.Email{Subject: "s", Text: "t"}
	if err := (&Writer{W: failingWriter{}}).Send(t.Context(), e); err == nil || err.Error() != "write email: disk full" {
		t.Errorf("send to a failing writer: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var b bytes.Buffer
	if err := (&Writer{W: &b}).Send(ctx, e); !errors.Is(err, context.Canceled) || b.Len() != 0 {
		t.Errorf("send with a cancelled context: %v, wrote %q", err, b.String())
	}
}
