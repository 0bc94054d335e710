package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// writeStatusJSON writes rows as writeJSONLines does, byte for byte, but
// without reflection: at 100,000 links encoding/json's per-row cost was a
// large part of status. A row with a string that JSON escapes (quotes,
// backslashes, control characters, <>&, anything not ASCII) or a number
// that is not finite is encoded by encoding/json.
func writeStatusJSON(w io.Writer, rows []statusRow) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	for i := range rows {
		var ok bool
		if b, ok = appendStatusRow(b[:0], &rows[i]); !ok {
			enc, err := json.Marshal(&rows[i])
			if err != nil {
				_ = bw.Flush()
				return fmt.Errorf("write status: %w", err)
			}
			b = append(append(b[:0], enc...), '\n')
		}
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// appendStatusRow appends r's JSON line, in statusRow's field order with
// its omitempty, and reports whether it could (plain strings, finite
// numbers).
func appendStatusRow(b []byte, r *statusRow) ([]byte, bool) {
	ok := true
	str := func(key, s string, omitEmpty bool) {
		if omitEmpty && s == "" {
			return
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				ok = false
				return
			}
		}
		b = append(append(append(append(b, key...), '"'), s...), '"')
	}
	b = append(b, '{')
	str(`"device":`, r.Device, false)
	str(`,"site":`, r.Site, false)
	str(`,"target":`, r.Target, false)
	str(`,"vrf":`, r.VRF, true)
	str(`,"state":`, r.State, false)
	str(`,"since":`, r.Since, false)
	str(`,"last_checked":`, r.LastChecked, false)
	b = strconv.AppendInt(append(b, `,"sent":`...), int64(r.Sent), 10)
	b = strconv.AppendInt(append(b, `,"received":`...), int64(r.Received), 10)
	b, ok = appendJSONFloat(append(b, `,"loss_percent":`...), r.LossPercent, ok)
	if r.RTTAvgMs != nil {
		b, ok = appendJSONFloat(append(b, `,"rtt_avg_ms":`...), *r.RTTAvgMs, ok)
	}
	str(`,"error":`, r.Error, true)
	str(`,"device_failure":`, r.DeviceFailure, true)
	str(`,"last_state":`, r.LastState, true)
	str(`,"last_result":`, r.LastResult, true)
	str(`,"note":`, r.Note, true)
	return append(b, '}', '\n'), ok
}

// appendJSONFloat appends f as encoding/json writes a float64: %f, or %e
// with a one-digit negative exponent unpadded for the very small and very
// large; ok false for NaN and infinities, which it does not encode.
func appendJSONFloat(b []byte, f float64, ok bool) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b, ok
}
