package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteTable writes r as `linkwatch bench` prints it by default.
func (r Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(name, format string, args ...any) { fmt.Fprintf(tw, name+"\t"+format+"\n", args...) }
	row("mode", "%s", r.Mode)
	if r.Store != "" {
		row("store", "%s", r.Store)
	}
	row("devices", "%d (%d links)", r.Devices, r.Links)
	row("concurrency", "%d", r.Concurrency)
	row("probes", "%d, %d failed", r.Probes, r.Failed)
	if r.FirstFailure != "" {
		row("first failure", "%s", oneLine(r.FirstFailure))
	}
	row("probes/s", "%.1f", r.ProbesPerSecond)
	row("CPU per probe", "%s", seconds(r.CPUSecondsPerProbe))
	row("peak RSS", "%.1f MiB", float64(r.PeakRSSBytes)/(1<<20))
	what := "probe time p50 / p99"
	if r.CycleSeconds != nil {
		what = "due → stored p50 / p99"
	}
	row(what, "%s / %s", seconds(r.ProbeP50Seconds), seconds(r.ProbeP99Seconds))
	if r.CycleSeconds != nil {
		row("cycle", "%s", seconds(*r.CycleSeconds))
		row("link results/s", "%.1f", *r.ResultsPerSecond)
	}
	row("load average", "%.2f %.2f %.2f", r.LoadAverage[0], r.LoadAverage[1], r.LoadAverage[2])
	return tw.Flush()
}

// seconds shows s seconds to three significant digits or so.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// oneLine is s on one line, at most 160 characters.
func oneLine(s string) string {
	b := []rune(s)
	for i, r := range b {
		if r == '\n' || r == '\r' || r == '\t' {
			b[i] = ' '
		}
	}
	if len(b) > 160 {
		return string(b[:157]) + "..."
	}
	return string(b)
}
