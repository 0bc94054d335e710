package waittest

import (
	"bytes"
	"sync"
)

// Buffer collects what something running writes (a process's output, a
// service's log) for a test to read while it runs, as For polls it. Any
// number of goroutines may write to it at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
