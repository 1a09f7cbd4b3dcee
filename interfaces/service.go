package interfaces

import (
	"context"
	"slices"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

var _ crs.MessageService = (*Engine)(nil)

// SearchMessages lists the trust's logged messages matching q, newest
// first.
func (e *Engine) SearchMessages(ctx context.Context, a crs.Actor, q crs.MessageQuery) ([]*crs.Message, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return nil, err
	}
	ms, err := e.DB.SearchMessages(ctx, a.OrgID, q)
	if err == nil {
		e.DB.Audit(a, q.PatientID, crs.AuditSearch, "hl7 message log")
	}
	return ms, err
}

// FindMessage returns one message of the trust's log. The read is
// audited against the patient the message is about.
func (e *Engine) FindMessage(ctx context.Context, a crs.Actor, id string) (*crs.Message, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return nil, err
	}
	m, err := e.DB.GetMessage(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	e.DB.Audit(a, m.PatientID, crs.AuditView, "hl7 message")
	return m, nil
}

// MessageTree returns the message as a tree for people to read: each
// segment, then each field with its number and HL7 name, its components
// and subcomponents (see hl7.Pretty). An unreadable message gives the
// parse error instead.
func MessageTree(m *crs.Message) string {
	msg, err := hl7.Parse([]byte(m.Raw))
	if err != nil {
		return "The message cannot be read: " + err.Error()
	}
	return hl7.Pretty(msg)
}

// ResendMessages queues outbound messages again (see
// crs.MessageService).
func (e *Engine) ResendMessages(ctx context.Context, a crs.Actor, ids []string) error {
	if len(ids) == 0 {
		return crs.Errorf(crs.EINVALID, "choose the messages to resend")
	}
	return e.DB.ResendMessages(ctx, a, ids)
}

// CountMessages counts the trust's logged messages matching q, up to
// most (see crs.MessageLog.CountMessages).
func (e *Engine) CountMessages(ctx context.Context, a crs.Actor, q crs.MessageQuery, most int) (int, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return 0, err
	}
	return e.DB.CountMessages(ctx, a.OrgID, q, most)
}

// Channels lists the trust's inbound interfaces and outbound
// destinations, for the analyst to choose one to search by.
func (e *Engine) Channels(ctx context.Context, a crs.Actor) ([]*crs.Interface, []*crs.Destination, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return nil, nil, err
	}
	is, err := e.DB.FindInterfaces(ctx, a.OrgID)
	if err != nil {
		return nil, nil, err
	}
	ds, err := e.DB.FindDestinations(ctx, a.OrgID)
	return is, ds, err
}

// ResendRange queues again every outbound message to a destination
// created between from and to (a period the destination lost, say), in
// their original order, and returns how many.
func (e *Engine) ResendRange(ctx context.Context, a crs.Actor, destID string, from, to time.Time) (int, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return 0, err
	}
	if !from.Before(to) {
		return 0, crs.FieldErrorf("to", "the end of the period must be after its start")
	}
	dests, err := e.DB.FindDestinations(ctx, a.OrgID)
	if err != nil {
		return 0, err
	}
	if !slices.ContainsFunc(dests, func(d *crs.Destination) bool { return d.ID == destID }) {
		return 0, crs.Errorf(crs.ENOTFOUND, "no such destination in this trust")
	}
	// Every message of the period, a page at a time, newest first;
	// resent oldest first so the destination gets them in order.
	q := crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: destID, From: from, To: to, Limit: 1000}
	var ids []string
	for {
		ms, err := e.DB.SearchMessages(ctx, a.OrgID, q)
		if err != nil {
			return 0, err
		}
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		if len(ms) < q.Limit {
			break
		}
		q.Before = ms[len(ms)-1].ID
	}
	if len(ids) == 0 {
		return 0, nil
	}
	slices.Reverse(ids)
	return len(ids), e.DB.ResendMessages(ctx, a, ids)
}

// SkipMessage takes a waiting outbound message out of its queue unsent.
func (e *Engine) SkipMessage(ctx context.Context, a crs.Actor, id string) error {
	return e.DB.SkipMessage(ctx, a, id)
}

// FeedStatuses reports each of the trust's destinations: queue depth,
// connection, oldest unsent message, last error, and whether the queue
// is stuck behind a suspended message.
func (e *Engine) FeedStatuses(ctx context.Context, a crs.Actor) ([]*crs.FeedStatus, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return nil, err
	}
	dests, err := e.DB.FindDestinations(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	var out []*crs.FeedStatus
	for _, d := range dests {
		fs := &crs.FeedStatus{Destination: d}
		if fs.Depth, err = e.DB.QueueDepth(ctx, d.ID); err != nil {
			return nil, err
		}
		head, err := e.DB.QueueHead(ctx, d.ID)
		switch {
		case err == nil:
			fs.Oldest, fs.OldestAt = head, head.CreatedAt
			fs.LastError = head.LastError
			if head.Status == crs.MessageSuspended {
				fs.Suspended = true
				fs.Alert = "The queue is stopped: message " + head.ControlID + " (" + head.Type + ") is suspended. Resend or skip it."
			}
		case crs.ErrorCode(err) != crs.ENOTFOUND:
			return nil, err
		}
		if fs.LastSentAt, err = e.DB.LastSent(ctx, d.ID); err != nil {
			return nil, err
		}
		e.mu.Lock()
		s := e.senders[d.ID]
		e.mu.Unlock()
		if s != nil {
			var lastErr string
			fs.Connected, lastErr, _, _, _ = s.status()
			if fs.LastError == "" {
				fs.LastError = lastErr
			}
		} else if fs.Alert == "" && d.Enabled {
			fs.Alert = "No sender is running for this destination."
		}
		out = append(out, fs)
	}
	return out, nil
}

// queueDepths gives each destination's queue depth for the metrics.
func (e *Engine) queueDepths(ctx context.Context) map[feedKey]int {
	dests, err := e.DB.FindDestinations(ctx, "")
	if err != nil {
		return nil
	}
	out := map[feedKey]int{}
	for _, d := range dests {
		n, err := e.DB.QueueDepth(ctx, d.ID)
		if err != nil {
			continue
		}
		out[e.feedKey(ctx, d)] = n
	}
	return out
}

// feedKey names a destination in the metrics.
func (e *Engine) feedKey(ctx context.Context, d *crs.Destination) feedKey {
	return feedKey{Trust: e.odsOf(d.OrgID, func(orgID string) (string, error) { return e.DB.ODSCode(ctx, orgID) }), Destination: d.Name}
}

// MessageTree is the package func MessageTree, for the analyst's pages.
func (e *Engine) MessageTree(m *crs.Message) string { return MessageTree(m) }
