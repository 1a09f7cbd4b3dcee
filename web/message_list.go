package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// messagePageSize is how many messages a page of the log lists.
const messagePageSize = 50

// messageCountMost is as far as the log page counts the messages a
// search matches; beyond it the page says "more than".
const messageCountMost = 10000

// messagesPage is the data of the message log.
type messagesPage struct {
	pageData
	Q            messageSearch
	Statuses     []string
	Interfaces   []*crs.Interface
	Destinations []*crs.Destination
	Messages     []*crs.Message
	Searched     bool   // the search was run (no filter was refused)
	Total        int    // how many messages match, counted up to messageCountMost
	More         bool   // more than Total match
	Newer, Older string // links to the next page each way, "" if none
	First        string // the link to the newest page, "" on it
	// Reprocess offers the "Reprocess these" form: the log is filtered to
	// one inbound interface and status error. ReprocessFrom and
	// ReprocessTo are its period as shown (2026-03-02T09:15, UK time).
	Reprocess                  bool
	ReprocessFrom, ReprocessTo string
}

// messageStatuses are the statuses a message can have, inbound then
// outbound, for the search.
var messageStatuses = []string{crs.MessageApplied, crs.MessageNotApplied, crs.MessageFailed, crs.MessageRejected, crs.MessageHeld,
	crs.MessageQueued, crs.MessageSent, crs.MessageSuspended, crs.MessageSkipped}

// messageSearch is the log search as typed.
type messageSearch struct {
	Patient, ControlID, Type, Status, Channel, Direction, From, To string
}

// messageSearchOf reads the search from the query string.
func messageSearchOf(v url.Values) messageSearch {
	return messageSearch{Patient: v.Get("patient"), ControlID: v.Get("control_id"), Type: v.Get("type"), Status: v.Get("status"),
		Channel: v.Get("channel"), Direction: v.Get("direction"), From: typedDateIn(v, "from").text(), To: typedDateIn(v, "to").text()}
}

// values is the search as a query string, without the paging cursor.
func (q messageSearch) values() url.Values {
	v := url.Values{}
	for _, f := range []struct{ k, v string }{{"patient", q.Patient}, {"control_id", q.ControlID}, {"type", q.Type}, {"status", q.Status},
		{"channel", q.Channel}, {"direction", q.Direction}, {"from", q.From}, {"to", q.To}} {
		if f.v != "" {
			v.Set(f.k, f.v)
		}
	}
	return v
}

// messageType is what the type filter takes: a message type and trigger
// (ADT^A01), a trigger (A01) or a message type (ADT).
var messageType = regexp.MustCompile(`^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$`)

// query turns the search into a crs.MessageQuery, with an error for each
// filter that cannot be used. A patient is an NHS number (10 digits,
// spaces or hyphens allowed) or a hospital number; a hospital number is
// returned in mrn for the caller to find the patient of.
func (q messageSearch) query() (mq crs.MessageQuery, mrn string, err error) {
	var es crs.Errors
	mq = crs.MessageQuery{ControlID: strings.TrimSpace(q.ControlID), Type: strings.ToUpper(strings.TrimSpace(q.Type)),
		Status: q.Status, ChannelID: q.Channel, Direction: q.Direction}
	if p := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(q.Patient)); p != "" {
		if _, err := strconv.ParseUint(p, 10, 64); err == nil && len(p) == 10 {
			mq.NHSNumber = p
		} else {
			mrn = strings.ToUpper(strings.TrimSpace(q.Patient))
		}
	}
	if mq.Type != "" && !messageType.MatchString(mq.Type) {
		es = append(es, crs.FieldErrorf("type", "enter a message type and trigger such as ADT^A01, a trigger such as A01, or a type such as ADT"))
	}
	if mq.Status != "" && !slices.Contains(messageStatuses, mq.Status) {
		es = append(es, crs.FieldErrorf("status", "choose a status from the list"))
	}
	if mq.Direction != "" && mq.Direction != crs.DirectionIn && mq.Direction != crs.DirectionOut {
		es = append(es, crs.FieldErrorf("direction", "choose in, out or both"))
	}
	for _, d := range []struct {
		field, label, v string
		dst             *time.Time
		end             bool
	}{{"from", "From", q.From, &mq.From, false}, {"to", "To", q.To, &mq.To, true}} {
		day, msg := parseTypedDate(splitDate(strings.TrimSpace(d.v)), d.label)
		if msg != "" {
			es = append(es, crs.FieldErrorf(d.field, "%s", msg))
			continue
		}
		if day.IsZero() {
			continue
		}
		t := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, crs.London)
		if d.end {
			t = t.AddDate(0, 0, 1) // to the end of the day
		}
		*d.dst = t.UTC()
	}
	if !mq.From.IsZero() && !mq.To.IsZero() && !mq.From.Before(mq.To) {
		es = append(es, crs.FieldErrorf("to", "the to date must be the same as or after the from date"))
	}
	return mq, mrn, es.Err()
}

// messageSearchOrder is the order of the search's fields on the page.
var messageSearchOrder = []string{"patient", "control_id", "type", "status", "direction", "channel", "from", "to"}

func (s *Server) handleMessages(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		page := &messagesPage{}
		if err := s.messageLog(r, m, r.URL.Query(), page); err != nil {
			return err
		}
		if page.Errors.Any() {
			return s.reshow(w, r, "messages", page, nil)
		}
		return s.render(w, r, "messages", page)
	}
}

// messageLog fills the message log page with the search in v. A search
// that cannot be run leaves the page with its errors and no messages.
func (s *Server) messageLog(r *http.Request, m MessageService, v url.Values, page *messagesPage) error {
	a := actorOf(r)
	page.Q, page.Statuses = messageSearchOf(v), messageStatuses
	page.Title, page.Nav = "Message log", "messages"
	var err error
	if page.Interfaces, page.Destinations, err = m.Channels(r.Context(), a); err != nil {
		return err
	}
	q, mrn, err := page.Q.query()
	page.Errors.addErr(err, nil)
	if mrn != "" {
		p, err := s.Patients.FindPatientByIdentifier(r.Context(), a, "mrn", mrn)
		switch {
		case err == nil:
			q.PatientID = p.ID
		case crs.ErrorCode(err) == crs.ENOTFOUND:
			page.Errors.add("patient", "", "no patient has hospital number "+mrn+"; enter a hospital number or a 10-digit NHS number")
		default:
			return err
		}
	}
	if page.Q.Channel != "" && !page.knownChannel(page.Q.Channel) {
		page.Errors.add("channel", "", "choose an interface or destination from the list")
	}
	if page.searchRefused() {
		page.Errors.sortBy(messageSearchOrder)
		return nil
	}
	page.Searched = true
	if page.Total, err = m.CountMessages(r.Context(), a, q, messageCountMost+1); err != nil {
		return err
	}
	if page.Total > messageCountMost {
		page.Total, page.More = messageCountMost, true
	}
	// Keyset paging from a message's id: ask for one more than a
	// page to know whether there is another page that way.
	q.Before, q.After, q.Limit = v.Get("before"), v.Get("after"), messagePageSize+1
	if q.Before != "" {
		q.After = ""
	}
	ms, err := m.SearchMessages(r.Context(), a, q)
	if err != nil {
		return err
	}
	if q.After != "" && len(ms) <= messagePageSize {
		// Back at the newest messages: show the first page, full.
		q.After = ""
		if ms, err = m.SearchMessages(r.Context(), a, q); err != nil {
			return err
		}
	}
	more := len(ms) > messagePageSize
	if more {
		if q.After != "" {
			ms = ms[1:] // the extra is the newest
		} else {
			ms = ms[:messagePageSize]
		}
	}
	page.Messages = ms
	link := func(k, id string) string {
		u := page.Q.values()
		if k != "" {
			u.Set(k, id)
		}
		if e := u.Encode(); e != "" {
			return "/messages?" + e
		}
		return "/messages"
	}
	paged := q.Before != "" || q.After != ""
	if paged && (q.After == "" || more) {
		page.First = link("", "")
	}
	if len(ms) > 0 {
		if (q.After != "" && more) || q.Before != "" {
			page.Newer = link("after", ms[0].ID)
		}
		if (q.After == "" && more) || q.After != "" {
			page.Older = link("before", ms[len(ms)-1].ID)
		}
	} else if q.Before != "" {
		page.Newer = link("after", q.Before)
	}
	page.offerReprocess(q)
	return nil
}

// searchRefused reports whether a filter of the search was refused (the
// page may also hold the errors of its reprocess form).
func (p *messagesPage) searchRefused() bool {
	return slices.ContainsFunc(p.Errors.List, func(e fieldError) bool { return slices.Contains(messageSearchOrder, e.Field) })
}

// knownChannel reports whether id is one of the trust's interfaces or
// destinations.
func (p *messagesPage) knownChannel(id string) bool {
	return slices.ContainsFunc(p.Interfaces, func(i *crs.Interface) bool { return i.ID == id }) ||
		slices.ContainsFunc(p.Destinations, func(d *crs.Destination) bool { return d.ID == id })
}

// ChannelName names the interface or destination a message went
// through, for the log.
func (p *messagesPage) ChannelName(id string) string {
	for _, i := range p.Interfaces {
		if i.ID == id {
			return i.Name
		}
	}
	for _, d := range p.Destinations {
		if d.ID == id {
			return d.Name
		}
	}
	return ""
}

// messageStatusWords are a message's statuses in plain words, with the
// acknowledgement code the sender got where it says more.
var messageStatusWords = map[string]string{
	crs.MessageApplied: "Applied", crs.MessageNotApplied: "Stored, not applied", crs.MessageFailed: "Refused for its content (AE)",
	crs.MessageRejected: "Rejected (AR)", crs.MessageHeld: "Held for a code mapping", crs.MessageQueued: "Queued",
	crs.MessageSent: "Sent", crs.MessageSuspended: "Suspended", crs.MessageSkipped: "Skipped",
}

func init() {
	// messageStatus writes a message's status in plain words.
	funcs["messageStatus"] = func(s string) string {
		if w, ok := messageStatusWords[s]; ok {
			return w
		}
		return sentence(s)
	}
}
