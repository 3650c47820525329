package harness

import (
	"slices"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// Omission says what Compact left out of a trace: a span of journal
// entries, or a number of events, key updates, tokens or connections.
// The counts are exact, so a reader of a compacted trace still knows
// how long a loop ran.
type Omission struct {
	// What is "journal", "events", "keyUpdates", "tokens" or "network".
	What string `json:"what"`
	// Message is the index of the message the left-out items belong to,
	// -1 when they belong to none (or, for tokens and connections, to the
	// whole run).
	Message int `json:"message"`
	// From and To bound the sequence numbers of left-out journal entries
	// (From <= seq <= To); zero for the other kinds.
	From int64 `json:"from,omitempty"`
	To   int64 `json:"to,omitempty"`
	// Count is how many items were left out.
	Count int `json:"count"`
	// ByKind counts left-out journal entries by kind.
	ByKind map[mockprovider.Kind]int `json:"byKind,omitempty"`
}

// DefaultCompactKeep is how many items Compact keeps at each end of a
// long run of them: enough to show how a loop started and how it ended.
const DefaultCompactKeep = 50

// Compact bounds the trace for a run record: wherever a message has more
// than 2*keep journal entries (or events, key updates), it keeps the
// first keep and the last keep and records what it left out in Omitted;
// the same for the run's tokens and connections. Entries whose sequence
// numbers are in cite (the evidence of a verdict) are always kept, with
// the exchange before and after each. It reports whether anything was
// left out. The judging must be done before: a rule judging a compacted
// trace sees only what was kept.
func (t *Trace) Compact(keep int, cite []int64) bool {
	if keep <= 0 {
		keep = DefaultCompactKeep
	}
	cited := map[int64]bool{}
	for _, s := range cite {
		cited[s-1], cited[s], cited[s+1] = true, true, true
	}
	before := len(t.Omitted)

	// The journal, one message's range at a time (and what lies outside
	// every message, as one more group).
	group := t.MessageAt
	size := map[int]int{}
	for i := range t.Journal {
		size[group(t.Journal[i].Seq)]++
	}
	pos := map[int]int{}
	kept := t.Journal[:0:0]
	var open *Omission
	for i := range t.Journal {
		e := &t.Journal[i]
		g := group(e.Seq)
		n := size[g]
		p := pos[g]
		pos[g]++
		if n <= 2*keep || p < keep || p >= n-keep || cited[e.Seq] {
			open = nil
			kept = append(kept, *e)
			continue
		}
		if open == nil || open.Message != g {
			t.Omitted = append(t.Omitted, Omission{What: "journal", Message: g, From: e.Seq, ByKind: map[mockprovider.Kind]int{}})
			open = &t.Omitted[len(t.Omitted)-1]
		}
		open.To = e.Seq
		open.Count++
		open.ByKind[e.Kind]++
	}
	t.Journal = kept

	for i := range t.Messages {
		m := &t.Messages[i]
		if n := len(m.Events); n > 2*keep {
			m.Events = slices.Concat(m.Events[:keep], m.Events[n-keep:])
			t.Omitted = append(t.Omitted, Omission{What: "events", Message: m.Index, Count: n - 2*keep})
		}
	}
	t.KeyUpdates = compactByMessage(t, t.KeyUpdates, keep, "keyUpdates", func(k KeyUpdate) int { return k.Message })

	// Tokens: those a kept exchange presented or issued stay, whatever
	// their position, so every label in the kept journal resolves.
	if n := len(t.Tokens); n > 2*keep {
		used := map[string]bool{}
		for i := range t.Journal {
			e := &t.Journal[i]
			if e.Presented != nil {
				used[e.Presented.Label] = true
			}
			for _, l := range e.Issued {
				used[l] = true
			}
		}
		out := t.Tokens[:0:0]
		for i, tok := range t.Tokens {
			if i < keep || i >= n-keep || used[tok.Label] {
				out = append(out, tok)
			}
		}
		if left := n - len(out); left > 0 {
			t.Omitted = append(t.Omitted, Omission{What: "tokens", Message: -1, Count: left})
		}
		t.Tokens = out
	}
	if n := len(t.Network); n > 2*keep {
		t.Network = slices.Concat(t.Network[:keep], t.Network[n-keep:])
		t.Omitted = append(t.Omitted, Omission{What: "network", Message: -1, Count: n - 2*keep})
	}
	return len(t.Omitted) > before
}

// compactByMessage keeps the first and last keep items of each message.
func compactByMessage[T any](t *Trace, items []T, keep int, what string, msg func(T) int) []T {
	size := map[int]int{}
	for _, it := range items {
		size[msg(it)]++
	}
	pos := map[int]int{}
	left := map[int]int{}
	var order []int
	out := items[:0:0]
	for _, it := range items {
		g := msg(it)
		n, p := size[g], pos[g]
		pos[g]++
		if n <= 2*keep || p < keep || p >= n-keep {
			out = append(out, it)
			continue
		}
		if left[g] == 0 {
			order = append(order, g)
		}
		left[g]++
	}
	for _, g := range order {
		t.Omitted = append(t.Omitted, Omission{What: what, Message: g, Count: left[g]})
	}
	return out
}
