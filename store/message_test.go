package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// logMessages logs n inbound messages to the trust, one a minute from
// the clock's time, cycling through types and statuses, and returns
// their ids, oldest first.
func logMessages(t *testing.T, db *store.DB, clock *crs.FixedClock, tr *storetest.Trust, channel string, n int) []string {
	t.Helper()
	types := []string{"ADT^A28", "ADT^A31", "ORU^R01"}
	statuses := []string{crs.MessageApplied, crs.MessageFailed, crs.MessageRejected}
	var ids []string
	for i := range n {
		m := &crs.Message{ChannelID: channel, SendingFacility: tr.Org.ODSCode, ControlID: fmt.Sprintf("%s-%s-%04d", tr.Org.ODSCode, channel, i),
			Type: types[i%3], Status: statuses[i%3], NHSNumber: fmt.Sprintf("99900000%02d", i%7), Raw: "MSH|^~\\&|"}
		err := db.Write(context.Background(), tr.System, crs.ActReceiveMessages, func(tx crs.Tx) error {
			return tx.InsertInboundMessage(m, crs.MessageKey(tr.Org.ID, tr.Org.ODSCode, m.ControlID))
		})
		if err != nil {
			t.Fatalf("log message %d: %v", i, err)
		}
		ids = append(ids, m.ID)
		clock.Advance(time.Minute)
	}
	return ids
}

// searchPages pages through the trust's log from q's cursor until a page
// is empty: older pages after a Before cursor (or none), newer ones
// after an After cursor. It returns the ids in the order paged (newest
// first when older, oldest first when newer) and how many pages held
// any.
func searchPages(t *testing.T, db *store.DB, orgID string, q crs.MessageQuery) ([]string, int) {
	t.Helper()
	newer := q.After != ""
	var got []string
	pages := 0
	for ; pages < 10; pages++ {
		ms, err := db.SearchMessages(context.Background(), orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		ids := messageIDs(ms)
		if newer {
			slices.Reverse(ids)
			q.After = ms[0].ID
		} else {
			q.Before = ms[len(ms)-1].ID
		}
		got = append(got, ids...)
	}
	return got, pages
}

// messageIDs lists the ids of messages in their order.
func messageIDs(ms []*crs.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// TestMessageLogPaging pages through a log longer than a page, older
// then newer, and checks every message comes once, in order, and that
// no page reaches into another trust's log.
func TestMessageLogPaging(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a := storetest.NewTrust(t, db, "RPA")
		b := storetest.NewTrust(t, db, "RPB")
		ids := logMessages(t, db, clock, a, "chan-a", 23)
		logMessages(t, db, clock, b, "chan-b", 5) // newer, in another trust
		newestFirst := slices.Clone(ids)
		slices.Reverse(newestFirst)

		const size = 5
		var got []string
		var pages int
		q := crs.MessageQuery{Limit: size}
		for {
			ms, err := db.SearchMessages(ctx, a.Org.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				got = append(got, m.ID)
			}
			pages++
			if len(ms) < size || pages > 10 {
				break
			}
			q.Before = ms[len(ms)-1].ID
		}
		if !slices.Equal(got, newestFirst) {
			t.Fatalf("paging older: got %d ids in %d pages\n got %v\nwant %v", len(got), pages, got, newestFirst)
		}

		// Back again from the oldest, a page newer at a time; each page is
		// still newest first.
		got, _ = searchPages(t, db, a.Org.ID, crs.MessageQuery{Limit: size, After: ids[0]})
		got = append([]string{ids[0]}, got...)
		if !slices.Equal(got, ids) {
			t.Fatalf("paging newer:\n got %v\nwant %v", got, ids)
		}

		// Paged by NHS number (messages 1, 8, 15 and 22 hold 9990000001,
		// as the other trust's message 1 does): the keyed search's pages
		// (searchMessagesSQL) join up the same way.
		var nhsIDs []string
		for i := 1; i < len(ids); i += 7 {
			nhsIDs = append(nhsIDs, ids[i])
		}
		slices.Reverse(nhsIDs)
		got, pages = searchPages(t, db, a.Org.ID, crs.MessageQuery{NHSNumber: "999 000 0001", Limit: 3})
		if !slices.Equal(got, nhsIDs) || pages != 2 {
			t.Fatalf("paging older by NHS number: %d pages\n got %v\nwant %v", pages, got, nhsIDs)
		}
		ms, err := db.SearchMessages(ctx, a.Org.ID, crs.MessageQuery{NHSNumber: "9990000001", Limit: 3, After: nhsIDs[3]})
		if err != nil {
			t.Fatal(err)
		}
		if want := nhsIDs[:3]; !slices.Equal(messageIDs(ms), want) {
			t.Fatalf("paging newer by NHS number:\n got %v\nwant %v", messageIDs(ms), want)
		}

		n, err := db.CountMessages(ctx, a.Org.ID, crs.MessageQuery{}, 1000)
		if err != nil || n != len(ids) {
			t.Errorf("count: %d, %v; want %d", n, err, len(ids))
		}
		if n, _ := db.CountMessages(ctx, a.Org.ID, crs.MessageQuery{}, 10); n != 10 {
			t.Errorf("count up to 10: %d; want 10", n)
		}
	})
}

// TestMessageLogFilters checks each filter of the analyst's search.
func TestMessageLogFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a := storetest.NewTrust(t, db, "RFA")
		start := clock.Now()
		ids := logMessages(t, db, clock, a, "chan-1", 12)  // minutes 0-11
		clock.Advance(48 * time.Hour)                      // two days on
		later := logMessages(t, db, clock, a, "chan-2", 3) // types A28, A31, R01
		b := storetest.NewTrust(t, db, "RFB")
		logMessages(t, db, clock, b, "chan-1", 3) // another trust: never found
		all := append(slices.Clone(ids), later...)
		pick := func(idx ...int) []string {
			var out []string
			for _, i := range idx {
				out = append(out, all[i])
			}
			slices.Reverse(out)
			return out
		}
		tests := []struct {
			name string
			q    crs.MessageQuery
			want []string
		}{
			{"everything", crs.MessageQuery{}, pick(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)},
			{"control id", crs.MessageQuery{ControlID: "RFA-chan-1-0004"}, pick(4)},
			{"type and trigger", crs.MessageQuery{Type: "ADT^A31"}, pick(1, 4, 7, 10, 13)},
			{"trigger", crs.MessageQuery{Type: "A31"}, pick(1, 4, 7, 10, 13)},
			{"trigger lower case", crs.MessageQuery{Type: "r01"}, pick(2, 5, 8, 11, 14)},
			{"message type", crs.MessageQuery{Type: "ORU"}, pick(2, 5, 8, 11, 14)},
			{"status", crs.MessageQuery{Status: crs.MessageFailed}, pick(1, 4, 7, 10, 13)},
			{"NHS number", crs.MessageQuery{NHSNumber: "9990000003"}, pick(3, 10)},
			{"NHS number with spaces", crs.MessageQuery{NHSNumber: "999 000 0003"}, pick(3, 10)},
			{"channel", crs.MessageQuery{ChannelID: "chan-2"}, pick(12, 13, 14)},
			{"direction", crs.MessageQuery{Direction: crs.DirectionOut}, nil},
			{"from", crs.MessageQuery{From: start.Add(24 * time.Hour)}, pick(12, 13, 14)},
			{"to", crs.MessageQuery{To: start.Add(3 * time.Minute)}, pick(0, 1, 2)},
			{"from and to", crs.MessageQuery{From: start.Add(2 * time.Minute), To: start.Add(4 * time.Minute)}, pick(2, 3)},
			{"together", crs.MessageQuery{Type: "A28", Status: crs.MessageApplied, ChannelID: "chan-1", To: start.Add(7 * time.Minute)}, pick(0, 3, 6)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ms, err := db.SearchMessages(ctx, a.Org.ID, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range ms {
					got = append(got, m.ID)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v\nwant %v", got, tc.want)
				}
				if n, err := db.CountMessages(ctx, a.Org.ID, tc.q, 1000); err != nil || n != len(tc.want) {
					t.Errorf("count %d, %v; want %d", n, err, len(tc.want))
				}
			})
		}
	})
}

// TestMessageLogOrderAndKey checks that the log lists messages newest
// first by the time they were logged, not by id, page after page, and
// that a message key is logged once: a second message with it is refused
// and the first answer is found by its control id and key.
func TestMessageLogOrderAndKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "ROK")
		start := clock.Now()
		log := func(ctrl string, at time.Time) (*crs.Message, error) {
			clock.Set(at)
			m := &crs.Message{ChannelID: "chan", SendingFacility: "ROK", ControlID: ctrl, Type: "ADT^A28", Status: crs.MessageApplied,
				ACK: "ACK of " + ctrl, Raw: "MSH|^~\\&|"}
			return m, db.Write(ctx, tr.System, crs.ActReceiveMessages, func(tx crs.Tx) error {
				return tx.InsertInboundMessage(m, crs.MessageKey(tr.Org.ID, "ROK", ctrl))
			})
		}
		// Ids are made in this order; the times logged run the other way
		// for the first three, and two share a time.
		var want []string
		for i, at := range []time.Time{start.Add(3 * time.Hour), start.Add(2 * time.Hour), start.Add(time.Hour), start.Add(time.Hour)} {
			m, err := log(fmt.Sprintf("K%d", i), at)
			if err != nil {
				t.Fatalf("log K%d: %v", i, err)
			}
			want = append(want, m.ID)
		}
		want[2], want[3] = want[3], want[2] // the same time: the later id first
		var got []string
		q := crs.MessageQuery{Limit: 1}
		for range 10 {
			ms, err := db.SearchMessages(ctx, tr.Org.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				break
			}
			got = append(got, ms[0].ID)
			q.Before = ms[0].ID
		}
		if !slices.Equal(got, want) {
			t.Errorf("newest first by time logged, a page of one at a time:\n got %v\nwant %v", got, want)
		}
		ms, err := db.SearchMessages(ctx, tr.Org.ID, crs.MessageQuery{After: want[3]})
		if err != nil || len(ms) != 3 || ms[0].ID != want[0] || ms[2].ID != want[2] {
			t.Errorf("the page newer than the oldest: %d messages, %v; want the other 3 newest first", len(ms), err)
		}

		if _, err := log("K1", start.Add(4*time.Hour)); err != crs.ErrDuplicateMessage {
			t.Errorf("a second message with key K1: %v; want %v", err, crs.ErrDuplicateMessage)
		}
		ack, found, err := db.FindInboundACK(ctx, "K1", crs.MessageKey(tr.Org.ID, "ROK", "K1"))
		if err != nil || !found || ack != "ACK of K1" {
			t.Errorf("answer of K1: %q, %v, %v; want the first answer", ack, found, err)
		}
		if _, found, err := db.FindInboundACK(ctx, "K9", crs.MessageKey(tr.Org.ID, "ROK", "K9")); err != nil || found {
			t.Errorf("answer of a message never logged: found %v, %v", found, err)
		}
		if n, err := db.CountMessages(ctx, tr.Org.ID, crs.MessageQuery{ControlID: "K1"}, 10); err != nil || n != 1 {
			t.Errorf("messages with control id K1: %d, %v; want 1", n, err)
		}
	})
}
