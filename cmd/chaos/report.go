package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Window around a flip in which its email entry's time may fall: the
// entry states the check time of the result, truncated to the second, of
// a ping answered after the flip and before the link's next flip.
const (
	slackBefore = 2 * time.Second
	slackAfter  = 2 * time.Second
)

// tally is what the emails say about the flips.
type tally struct {
	Flips, Expected, Delivered, Lost, Duplicated int
	// Unexpected are link changes that match no flip; FirstSeen counts
	// "(first seen) → …" entries (duplicates included), DeviceEntries the
	// device entries (unreachable, reachable again, flapping), SiteEntries
	// a site's (no results, results again), Other any other kind.
	Unexpected            []entry
	FirstSeen             int
	DuplicateFirstSeen    int
	DeviceEntries         int
	SiteEntries           int
	Other                 int
	Emails                int
	DuplicateMessageIDs   int
	LostFlips             []flip
	DuplicatedEntries     []entry
	Delays                []time.Duration // flip → first email with its entry
	MedianDelay, MaxDelay time.Duration
}

// received is an entry with the times it was received, first one first.
type received struct {
	entry
	times []time.Time
}

// count matches the flips against the emails. An email whose Message-ID
// was received before is a copy, merged as a mail client would
// (DuplicateMessageIDs). An entry is the same entry when device, target,
// from, to and its time are; one received more than once in emails of
// different Message-IDs is a duplicate delivery, which nothing can merge. The flips of a link are matched in order
// with its entries in order of their time: a flip's entry is the first
// unused one with its from and to whose time falls in the flip's window
// (from the flip to the link's next flip, with slack).
func count(flips []flip, emails []email) tally {
	t := tally{Flips: len(flips), Expected: len(flips), Emails: len(emails)}
	byKey := map[entry]*received{}
	ids := map[string]bool{}
	for _, e := range emails {
		if e.messageID != "" {
			if ids[e.messageID] {
				// A copy of an email received before (sent again after
				// a crash between the server's acceptance and the
				// outbox's removal): a mail client merges it by its
				// Message-ID, and so does the count.
				t.DuplicateMessageIDs++
				continue
			}
			ids[e.messageID] = true
		}
		t.DeviceEntries += len(e.devices)
		t.SiteEntries += len(e.sites)
		t.Other += len(e.other)
		for _, en := range e.links {
			r := byKey[en]
			if r == nil {
				r = &received{entry: en}
				byKey[en] = r
			}
			r.times = append(r.times, e.received)
		}
	}
	perLink := map[string][]*received{}
	for _, r := range byKey {
		slices.SortFunc(r.times, time.Time.Compare)
		if r.from == firstSeen {
			t.FirstSeen += len(r.times)
			t.DuplicateFirstSeen += len(r.times) - 1
			continue
		}
		t.Delivered++
		if len(r.times) > 1 {
			t.Duplicated += len(r.times) - 1
			t.DuplicatedEntries = append(t.DuplicatedEntries, r.entry)
		}
		perLink[r.link()] = append(perLink[r.link()], r)
	}
	flipsOf := map[string][]flip{}
	for _, f := range flips {
		flipsOf[f.link()] = append(flipsOf[f.link()], f)
	}
	for l, fs := range flipsOf {
		t.matchLink(fs, perLink[l])
		delete(perLink, l)
	}
	for _, rs := range perLink {
		for _, r := range rs {
			t.Unexpected = append(t.Unexpected, r.entry)
		}
	}
	t.Lost = len(t.LostFlips)
	sortEntries(t.Unexpected)
	sortEntries(t.DuplicatedEntries)
	if n := len(t.Delays); n > 0 {
		d := slices.Clone(t.Delays)
		slices.Sort(d)
		t.MedianDelay, t.MaxDelay = d[n/2], d[n-1]
	}
	return t
}

// matchLink matches one link's flips (in order) with its entries.
func (t *tally) matchLink(fs []flip, rs []*received) {
	slices.SortFunc(rs, func(a, b *received) int { return a.at.Compare(b.at) })
	used := make([]bool, len(rs))
	for i, f := range fs {
		until := time.Time{}
		if i+1 < len(fs) {
			until = fs[i+1].at.Add(slackAfter)
		}
		found := false
		for j, r := range rs {
			if used[j] || r.from != f.from || r.to != f.to || r.at.Before(f.at.Add(-slackBefore)) ||
				!until.IsZero() && !r.at.Before(until) {
				continue
			}
			used[j], found = true, true
			t.Delays = append(t.Delays, r.times[0].Sub(f.at))
			break
		}
		if !found {
			t.LostFlips = append(t.LostFlips, f)
		}
	}
	for j, r := range rs {
		if !used[j] {
			t.Unexpected = append(t.Unexpected, r.entry)
		}
	}
}

func sortEntries(es []entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].link() != es[j].link() {
			return es[i].link() < es[j].link()
		}
		return es[i].at.Before(es[j].at)
	})
}

// line is the one summary line of a run.
func (t tally) line(kills int) string {
	return fmt.Sprintf("flips=%d kills=%d expected=%d delivered=%d lost=%d duplicated=%d max_delay=%.1fs",
		t.Flips, kills, t.Expected, t.Delivered, t.Lost, t.Duplicated, t.MaxDelay.Seconds())
}

// details are the lines that explain the summary: delays, what else the
// emails said, and every lost, duplicated or unexpected change.
func (t tally) details() string {
	var b strings.Builder
	fmt.Fprintf(&b, "delay flip→email: median=%.1fs max=%.1fs (over %d delivered flips)\n",
		t.MedianDelay.Seconds(), t.MaxDelay.Seconds(), len(t.Delays))
	fmt.Fprintf(&b, "emails=%d first_seen_entries=%d (duplicated %d) device_entries=%d site_entries=%d other_entries=%d unexpected_changes=%d duplicate_message_ids=%d\n",
		t.Emails, t.FirstSeen, t.DuplicateFirstSeen, t.DeviceEntries, t.SiteEntries, t.Other, len(t.Unexpected), t.DuplicateMessageIDs)
	for _, f := range t.LostFlips {
		fmt.Fprintf(&b, "lost: %s %s %s → %s flipped at %s\n", f.device, f.target, f.from, f.to, f.at.UTC().Format("15:04:05.000"))
	}
	for _, e := range t.DuplicatedEntries {
		fmt.Fprintf(&b, "duplicated: %s\n", e)
	}
	for _, e := range t.Unexpected {
		fmt.Fprintf(&b, "unexpected: %s\n", e)
	}
	return b.String()
}
