package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// MessageService is what the interface analyst's pages use: the message
// log and the outbound feeds of crs.MessageService, resending a period
// of a feed, and the message as a tree of named fields. The integration
// engine (interfaces.Engine) is one.
type MessageService interface {
	crs.MessageService
	// ResendRange queues again every message to a destination created
	// between from and to, in their order, and returns how many.
	ResendRange(ctx context.Context, a crs.Actor, destID string, from, to time.Time) (int, error)
	// MessageTree writes the message for people to read: each segment
	// and field with its number and HL7 name.
	MessageTree(m *crs.Message) string
}

// messagePageSize is how many messages a page of the log lists.
const messagePageSize = 50

// messageRoutes lists the interface analyst's pages, served by m: the
// message log, one message, resend and skip, and the feeds.
func (s *Server) messageRoutes(mux *http.ServeMux, m MessageService) {
	if m == nil {
		return
	}
	mux.Handle("GET /messages", s.authed(s.handleMessages(m)))
	mux.Handle("GET /messages/{id}", s.authed(s.handleMessage(m)))
	mux.Handle("POST /messages/{id}/resend", s.authed(s.handleResendMessage(m)))
	mux.Handle("POST /messages/{id}/skip", s.authed(s.handleSkipMessage(m)))
	mux.Handle("POST /feeds/{id}/resend", s.authed(s.handleResendRange(m)))
	mux.Handle("GET /feeds", s.authed(s.handleFeeds(m)))
}

// messagesPage is the data of the message log.
type messagesPage struct {
	pageData
	Q        messageSearch
	Messages []*crs.Message
	Page     int
	Prev     string // links to the previous and next pages, "" if none
	Next     string
}

// messageSearch is the log search as typed.
type messageSearch struct {
	Patient, ControlID, Type, Status, Channel, Direction, From, To string
}

// query turns the search into a crs.MessageQuery: a patient is an NHS
// number (10 digits, spaces allowed) or a hospital number.
func (q messageSearch) query() (crs.MessageQuery, error) {
	mq := crs.MessageQuery{ControlID: strings.TrimSpace(q.ControlID), Type: strings.TrimSpace(q.Type), Status: q.Status,
		ChannelID: q.Channel, Direction: q.Direction}
	if p := strings.ReplaceAll(strings.TrimSpace(q.Patient), " ", ""); p != "" {
		if _, err := strconv.Atoi(p); err == nil && len(p) == 10 {
			mq.NHSNumber = p
		} else {
			mq.PatientID = "mrn:" + strings.ToUpper(p) // resolved by handleMessages
		}
	}
	for _, d := range []struct {
		v   string
		dst *time.Time
		end bool
	}{{q.From, &mq.From, false}, {q.To, &mq.To, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.v, crs.London)
		if err != nil {
			return mq, crs.FieldErrorf("from", "enter dates as YYYY-MM-DD")
		}
		if d.end {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t.UTC()
	}
	return mq, nil
}

func (s *Server) handleMessages(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := r.URL.Query()
		page := &messagesPage{Q: messageSearch{Patient: v.Get("patient"), ControlID: v.Get("control_id"), Type: v.Get("type"), Status: v.Get("status"),
			Channel: v.Get("channel"), Direction: v.Get("direction"), From: v.Get("from"), To: v.Get("to")}}
		page.Title, page.Nav = "Message log", "messages"
		page.Page, _ = strconv.Atoi(v.Get("page"))
		if page.Page < 1 {
			page.Page = 1
		}
		q, err := page.Q.query()
		if err != nil {
			page.Errors.addErr(err, nil)
			return s.renderStatus(w, r, http.StatusUnprocessableEntity, "messages", page)
		}
		if mrn, ok := strings.CutPrefix(q.PatientID, "mrn:"); ok {
			p, err := s.Patients.FindPatientByIdentifier(r.Context(), actorOf(r), "mrn", mrn)
			if err != nil {
				return err
			}
			q.PatientID = p.ID
		}
		// The store has no offset: ask for every page up to this one and
		// one more message, to know whether there is a next page.
		q.Limit = page.Page*messagePageSize + 1
		ms, err := m.SearchMessages(r.Context(), actorOf(r), q)
		if err != nil {
			return err
		}
		start := min((page.Page-1)*messagePageSize, len(ms))
		end := min(start+messagePageSize, len(ms))
		page.Messages = ms[start:end]
		link := func(n int) string {
			u := url.Values{}
			for k, vs := range v {
				u[k] = vs
			}
			u.Set("page", strconv.Itoa(n))
			return "/messages?" + u.Encode()
		}
		if page.Page > 1 {
			page.Prev = link(page.Page - 1)
		}
		if len(ms) > end {
			page.Next = link(page.Page + 1)
		}
		return s.render(w, r, "messages", page)
	}
}

// messagePage is the data of one message's page.
type messagePage struct {
	pageData
	Message *crs.Message
	Tree    string
}

func (s *Server) handleMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		msg, err := m.FindMessage(r.Context(), actorOf(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		page := &messagePage{Message: msg, Tree: m.MessageTree(msg)}
		page.Title, page.Nav = "Message "+msg.ControlID, "messages"
		return s.render(w, r, "message", page)
	}
}

func (s *Server) handleResendMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if err := m.ResendMessages(r.Context(), actorOf(r), []string{id}); err != nil {
			return err
		}
		return s.redirect(w, r, "/messages/"+id, "The message is queued to be sent again.")
	}
}

func (s *Server) handleSkipMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			return crs.FieldErrorf("reason", "Say why the message is skipped.")
		}
		a := actorOf(r)
		a.Purpose = "skip: " + reason
		if err := m.SkipMessage(r.Context(), a, id); err != nil {
			return err
		}
		return s.redirect(w, r, "/feeds", "The message was skipped: "+reason)
	}
}

func (s *Server) handleResendRange(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		parse := func(f string) (time.Time, error) {
			t, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue(f), crs.London)
			if err != nil {
				return t, crs.FieldErrorf(f, "Enter the %s time as date and time.", f)
			}
			return t.UTC(), nil
		}
		from, err := parse("from")
		if err != nil {
			return err
		}
		to, err := parse("to")
		if err != nil {
			return err
		}
		n, err := m.ResendRange(r.Context(), actorOf(r), r.PathValue("id"), from, to)
		if err != nil {
			return err
		}
		return s.redirect(w, r, "/feeds", strconv.Itoa(n)+" messages queued to be sent again.")
	}
}
