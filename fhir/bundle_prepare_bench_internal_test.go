package fhir

import "testing"

// BenchmarkPrepareCreates prepares a Synthea patient's transaction
// Bundle as its request does before the command: each create given its
// id, its references resolved, its body written and its index rows
// found. A prepared Bundle is changed, so each round reads it again,
// untimed.
func BenchmarkPrepareCreates(b *testing.B) {
	body := gunzip(b, syntheaBundles(b)[0])
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		entries := bundleEntries(b, body)
		b.StartTimer()
		prepareCreates(entries)
		if entries[1].prepared == nil {
			b.Fatal("the Bundle's second entry was not prepared")
		}
	}
}

// bundleEntries reads a transaction Bundle's entries as its request does.
func bundleEntries(tb testing.TB, body []byte) []*txEntry {
	tb.Helper()
	res, err := decodeSent(body)
	if err != nil {
		tb.Fatal(err)
	}
	var entries []*txEntry
	for i, e := range res["entry"].([]any) {
		te, err := readEntry(i, e.(map[string]any))
		if err != nil {
			tb.Fatal(err)
		}
		entries = append(entries, te)
	}
	return entries
}
