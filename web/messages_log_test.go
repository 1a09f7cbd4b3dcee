package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// logInbound logs n inbound messages to the trust through the write
// path, one a minute, alternating ADT^A28 (applied) and ADT^A31 (error),
// and returns their ids, oldest first.
func logInbound(t *testing.T, e *env, tr *storetest.Trust, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		typ, status := "ADT^A28", crs.MessageApplied
		if i%2 == 1 {
			typ, status = "ADT^A31", crs.MessageFailed
		}
		m := &crs.Message{SendingFacility: tr.Org.ODSCode, ControlID: fmt.Sprintf("%s%04d", prefix, i), Type: typ, Status: status,
			NHSNumber: "9990000026", Raw: "MSH|^~\\&|PAS|" + tr.Org.ODSCode + "|||||" + typ + "|" + fmt.Sprintf("%s%04d", prefix, i) + "|P|2.4"}
		err := e.db.Write(context.Background(), tr.System, crs.ActReceiveMessages, func(tx crs.Tx) error {
			return tx.InsertInboundMessage(m, crs.MessageKey(tr.Org.ID, tr.Org.ODSCode, m.ControlID))
		})
		if err != nil {
			t.Fatalf("log message %d: %v", i, err)
		}
		ids = append(ids, m.ID)
		e.clock.Advance(time.Minute)
	}
	return ids
}

var (
	logRow    = regexp.MustCompile(`<td><a href="/messages/([0-9a-f-]+)">`)
	olderLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">Older</a>`)
	newerLink = regexp.MustCompile(`<a href="([^"]+)" rel="prev">Newer</a>`)
)

// logPage reads one page of the message log: the ids listed and the
// links to the older and newer pages.
func logPage(t *testing.T, c *client, path string) (ids []string, older, newer string, body string) {
	t.Helper()
	r := c.get(path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", path, r.status, excerpt(r.body))
	}
	for _, m := range logRow.FindAllStringSubmatch(r.body, -1) {
		ids = append(ids, m[1])
	}
	if m := olderLink.FindStringSubmatch(r.body); m != nil {
		older = html.UnescapeString(m[1])
	}
	if m := newerLink.FindStringSubmatch(r.body); m != nil {
		newer = html.UnescapeString(m[1])
	}
	return ids, older, newer, r.body
}

// TestMessageLogPagingPage pages the analyst's log through more messages
// than a page holds, older and back newer, with and without a filter,
// and checks each message is listed once, in order, and the filter is
// kept on every page.
func TestMessageLogPagingPage(t *testing.T) {
	e, _ := newMessagesEnv(t)
	ids := logInbound(t, e, e.a, "PG", 2*messagePageSize+13)
	logInbound(t, e, e.b, "PG", 7) // another trust's log is never listed
	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)

	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)
	var a28 []string
	for i, id := range newestFirst {
		if (len(ids)-1-i)%2 == 0 {
			a28 = append(a28, id)
		}
	}
	tests := []struct {
		name, path string
		want       []string
		count      string
	}{
		{"everything", "/messages", newestFirst, fmt.Sprintf("%d messages match", len(ids))},
		{"A28 only", "/messages?type=A28", a28, fmt.Sprintf("%d messages match", len(a28))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var pages []string // each page's path, oldest last
			path := tc.path
			for path != "" && len(pages) < 10 {
				ids, older, _, body := logPage(t, analyst, path)
				if len(pages) == 0 && !strings.Contains(body, tc.count) {
					t.Errorf("first page does not say %q", tc.count)
				}
				if len(ids) > messagePageSize {
					t.Errorf("page %d lists %d messages; a page holds %d", len(pages)+1, len(ids), messagePageSize)
				}
				if tc.path != "/messages" && older != "" && !strings.Contains(older, "type=A28") {
					t.Errorf("older link %q drops the filter", older)
				}
				got = append(got, ids...)
				pages = append(pages, path)
				path = older
			}
			if want := (len(tc.want) + messagePageSize - 1) / messagePageSize; len(pages) != want {
				t.Errorf("%d pages; want %d", len(pages), want)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("paging older listed %d messages, want %d, in order without gaps or repeats\n got %v\nwant %v", len(got), len(tc.want), got, tc.want)
			}
			// Newer from the last page, back to the first.
			_, _, newer, _ := logPage(t, analyst, pages[len(pages)-1])
			for i := len(pages) - 2; i >= 0; i-- {
				if newer == "" {
					t.Fatalf("page %d has no Newer link", i+2)
				}
				back, _, n, _ := logPage(t, analyst, newer)
				fwd, _, _, _ := logPage(t, analyst, pages[i])
				if !slices.Equal(back, fwd) {
					t.Errorf("page %d going newer lists %v; going older it listed %v", i+1, back, fwd)
				}
				newer = n
			}
			if newer != "" {
				t.Errorf("the newest page links to a newer one: %q", newer)
			}
		})
	}
}

// TestMessageLogFiltersPage searches the log from the page by each
// filter the analyst has, and checks bad input is shown beside its field.
func TestMessageLogFiltersPage(t *testing.T) {
	e, eng := newMessagesEnv(t)
	ctx := context.Background()
	ris := &crs.Destination{Name: "RIS", Addr: "127.0.0.1:9"}
	if err := eng.AddDestination(ctx, e.a.System, ris); err != nil {
		t.Fatal(err)
	}
	p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN") // an A28 queued for RIS
	out, err := e.db.SearchMessages(ctx, e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut})
	if err != nil || len(out) != 1 {
		t.Fatalf("queued: %d, %v", len(out), err)
	}
	e.clock.Advance(72 * time.Hour) // 2026-03-05
	in := logInbound(t, e, e.a, "FL", 4)
	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)

	tests := []struct {
		name, query string
		want        []string // ids listed, newest first
	}{
		{"NHS number", "patient=9990000018", []string{out[0].ID}},
		{"NHS number with spaces", "patient=" + url.QueryEscape("999 000 0018"), []string{out[0].ID}},
		{"hospital number", "patient=" + url.QueryEscape(strings.ToLower(p.MRN)), []string{out[0].ID}},
		{"MSH-10", "control_id=FL0002", []string{in[2]}},
		{"MSH-10 of an outbound message", "control_id=" + out[0].ControlID, []string{out[0].ID}},
		{"type and trigger", "type=ADT%5EA31", []string{in[3], in[1]}},
		{"trigger", "type=a28", []string{in[2], in[0], out[0].ID}},
		{"status", "status=error", []string{in[3], in[1]}},
		{"direction", "direction=out", []string{out[0].ID}},
		{"destination", "channel=" + ris.ID, []string{out[0].ID}},
		{"from", "from=2026-03-05", []string{in[3], in[2], in[1], in[0]}},
		{"to", "to=2026-03-04", []string{out[0].ID}},
		{"from and to, one day", "from=2026-03-02&to=2026-03-02", []string{out[0].ID}},
		{"together", "type=A28&status=applied&from=2026-03-05", []string{in[2], in[0]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, _, body := logPage(t, analyst, "/messages?"+tc.query)
			if !slices.Equal(got, tc.want) {
				t.Errorf("GET /messages?%s lists %v; want %v", tc.query, got, tc.want)
			}
			if !strings.Contains(body, matchCount(len(tc.want))) {
				t.Errorf("page does not say %q", matchCount(len(tc.want)))
			}
		})
	}

	bad := []struct {
		name, query, field string
	}{
		{"from not a date", "from=2026-02-30", "from"},
		{"to not a date", "to=next+tuesday", "to"},
		{"to before from", "from=2026-03-05&to=2026-03-01", "to"},
		{"type", "type=ADT%5E%5E", "type"},
		{"status", "status=lost", "status"},
		{"direction", "direction=sideways", "direction"},
		{"interface of no one", "channel=nope", "channel"},
		{"unknown hospital number", "patient=ZZ999", "patient"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := analyst.get("/messages?" + tc.query)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("GET /messages?%s: status %d; want 422", tc.query, r.status)
			}
			// The error stands beside its field and is linked from the
			// summary; the search typed is kept.
			if !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, `href="#`+tc.field+`"`) {
				t.Errorf("GET /messages?%s: no error beside %s\n%s", tc.query, tc.field, excerpt(r.body))
			}
			if logRow.MatchString(r.body) {
				t.Errorf("GET /messages?%s lists messages despite the error", tc.query)
			}
		})
	}
}

// matchCount is what the log page says of n messages found.
func matchCount(n int) string {
	if n == 1 {
		return "1 message matches"
	}
	return fmt.Sprintf("%d messages match", n)
}

// TestResendRangePage resends a period of a destination's messages from
// the feeds page: the messages sent (here skipped) in the period are
// queued again at the tail, in order; those outside it are not; a period
// that cannot be read is shown beside the destination's form.
func TestResendRangePage(t *testing.T) {
	e, eng := newMessagesEnv(t)
	ctx := context.Background()
	ris := &crs.Destination{Name: "RIS", Addr: "127.0.0.1:9"}
	lab := &crs.Destination{Name: "LAB", Addr: "127.0.0.1:9"}
	for _, d := range []*crs.Destination{ris, lab} {
		if err := eng.AddDestination(ctx, e.a.System, d); err != nil {
			t.Fatal(err)
		}
	}
	// Registrations at 09:00, 10:00, 11:00 and 12:00 London time on 2 March
	// 2026 (GMT), each queued for both destinations.
	nhsNos := []string{"9990000018", "9990000026", "9990000034", "9990000042"}
	for i, n := range nhsNos {
		e.register(e.a, "PATIENT", fmt.Sprintf("No%d", i), crs.NewDate(1960, 1, 1), n, "E1 6AN")
		e.clock.Advance(time.Hour)
	}
	sent, err := e.db.SearchMessages(ctx, e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: ris.ID})
	if err != nil || len(sent) != len(nhsNos) {
		t.Fatalf("queued for RIS: %d, %v", len(sent), err)
	}
	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)
	for _, m := range sent { // as if RIS took them and then lost them
		if err := eng.SkipMessage(ctx, e.a.Actor(crs.RoleInterfaceAnalyst), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	analyst.get("/feeds")
	r := analyst.post("/feeds/"+ris.ID+"/resend", url.Values{"from": {"2026-03-02T10:00"}, "to": {"2026-03-02T11:30"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("resend range: status %d\n%s", r.status, excerpt(r.body))
	}
	if r := analyst.get("/feeds"); !strings.Contains(r.body, "2 messages queued to be sent again.") {
		t.Errorf("feeds page after resend does not say 2 messages were queued\n%s", excerpt(r.body))
	}
	queued, err := e.db.SearchMessages(ctx, e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: ris.ID, Status: crs.MessageQueued})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range queued {
		got = append(got, m.NHSNumber)
	}
	if want := []string{"9990000034", "9990000026"}; !slices.Equal(got, want) { // newest first: 10:00's then 11:00's, in order
		t.Errorf("queued again for RIS: %v; want %v", got, want)
	}
	if n, _ := e.db.QueueDepth(ctx, lab.ID); n != len(nhsNos) {
		t.Errorf("LAB queue %d; want %d, untouched", n, len(nhsNos))
	}

	bad := []struct {
		name     string
		form     url.Values
		field    string
		wantText string
	}{
		{"start not a time", url.Values{"from": {"yesterday"}, "to": {"2026-03-02T11:30"}}, "from", "From must be a real date"},
		{"start with no time", url.Values{"from-day": {"2"}, "from-month": {"3"}, "from-year": {"2026"}, "to": {"2026-03-02T11:30"}}, "from", "From must include a time"},
		{"no end", url.Values{"from": {"2026-03-02T10:00"}}, "to", "Enter the end of the period"},
		{"end before start", url.Values{"from": {"2026-03-02T10:00"}, "to": {"2026-03-02T09:00"}}, "to", "after its start"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := analyst.post("/feeds/"+ris.ID+"/resend", tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("status %d; want 422", r.status)
			}
			if !strings.Contains(r.body, `id="`+tc.field+`-`+ris.ID+`-error"`) || !strings.Contains(r.body, tc.wantText) {
				t.Errorf("no error %q beside %s of RIS's form\n%s", tc.wantText, tc.field, excerpt(r.body))
			}
			if strings.Contains(r.body, `id="`+tc.field+`-`+lab.ID+`-error"`) {
				t.Errorf("the error is shown beside LAB's form too")
			}
		})
	}
	if n, _ := e.db.CountMessages(ctx, e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: ris.ID}, 100); n != len(nhsNos)+2 {
		t.Errorf("RIS messages after refused resends: %d; want %d", n, len(nhsNos)+2)
	}
	// Another trust's destination cannot be resent.
	if r := analyst.post("/feeds/"+"nope"+"/resend", url.Values{"from": {"2026-03-02T10:00"}, "to": {"2026-03-02T11:30"}}); r.status != http.StatusNotFound {
		t.Errorf("resend to an unknown destination: status %d; want 404", r.status)
	}
}
