package web

import (
	"net/http"
	"time"

	"github.com/opencrs/crs"
)

// stuckAfter is how old the oldest unsent message of a feed may be
// before the feeds page says the queue is stuck.
const stuckAfter = 5 * time.Minute

// feedsPage is the data of the feeds page.
type feedsPage struct {
	pageData
	Feeds  []*feedRow
	Alerts []string
	// ResendDest is the destination whose resend form was refused, for
	// the form errors (and the period as typed) to stand beside.
	ResendDest string
	// Subscriptions are the trust's FHIR Subscriptions, each with what
	// it has waiting; ShowSubscriptions says the page lists them.
	Subscriptions     []*subscriptionRow
	ShowSubscriptions bool
}

// subscriptionRow is one FHIR Subscription as shown.
type subscriptionRow struct {
	*crs.SubscriptionStatus
	OldestAge time.Duration // 0 when nothing waits
}

// feedRow is one destination's queue as shown.
type feedRow struct {
	*crs.FeedStatus
	OldestAge time.Duration // 0 when the queue is empty
	Stuck     bool
}

// feeds fills the feeds page.
func (s *Server) feeds(r *http.Request, m MessageService, page *feedsPage) error {
	fs, err := m.FeedStatuses(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	page.Title, page.Nav = "Feeds", "feeds"
	now := s.now()
	for _, f := range fs {
		row := &feedRow{FeedStatus: f}
		if !f.OldestAt.IsZero() {
			row.OldestAge = now.Sub(f.OldestAt).Truncate(time.Second)
		}
		row.Stuck = f.Suspended || row.OldestAge > stuckAfter
		switch {
		case f.Alert != "":
			page.Alerts = append(page.Alerts, f.Destination.Name+": "+f.Alert)
		case row.Stuck:
			page.Alerts = append(page.Alerts, f.Destination.Name+": the oldest unsent message has waited "+row.OldestAge.String()+".")
		}
		page.Feeds = append(page.Feeds, row)
	}
	if s.Subscriptions == nil {
		return nil
	}
	subs, err := s.Subscriptions.SubscriptionStatuses(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	page.ShowSubscriptions = true
	for _, st := range subs {
		row := &subscriptionRow{SubscriptionStatus: st}
		if !st.OldestAt.IsZero() {
			row.OldestAge = now.Sub(st.OldestAt).Truncate(time.Second)
		}
		if st.Status == "error" {
			page.Alerts = append(page.Alerts, "FHIR Subscription "+st.Criteria+" to "+st.Endpoint+" is in error: "+st.Error)
		}
		page.Subscriptions = append(page.Subscriptions, row)
	}
	return nil
}

func (s *Server) handleFeeds(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		page := &feedsPage{}
		if err := s.feeds(r, m, page); err != nil {
			return err
		}
		return s.render(w, r, "feeds", page)
	}
}
