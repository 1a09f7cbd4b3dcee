package fhir

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// notificationTimeout bounds one POST of a notification.
const notificationTimeout = 10 * time.Second

// notificationLease is how long a sender holds a notification it took
// (ClaimNotification): longer than a POST may take; one whose sender
// stopped is tried again after it.
const notificationLease = time.Minute

// notifyClient sends notifications. It follows no redirect: an endpoint
// answering 3xx has not taken the notification, and what a notification
// carries goes nowhere but the endpoint the Subscription names.
var notifyClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// RunNotifications delivers the queued Subscription notifications until
// ctx ends, looking for those due every interval.
func (s *Server) RunNotifications(ctx context.Context, every time.Duration) {
	if s.Notifications == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.DeliverNotifications(ctx); err != nil && ctx.Err() == nil && s.Logger != nil {
			s.Logger.Error("fhir subscription notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// notificationSenders is how many notifications are sent at once, each
// of another subscription (a subscription's go one at a time, in order).
const notificationSenders = 8

// DeliverNotifications tries each notification due now once (the first
// waiting of each subscription, then its next once that is sent),
// answering how many were delivered. Subscriptions are sent to side by
// side, notificationSenders at a time, so that an endpoint slow to
// answer (notificationTimeout at most a try) holds back its own
// subscription's notifications only.
func (s *Server) DeliverNotifications(ctx context.Context) (int, error) {
	if s.Notifications == nil {
		return 0, nil
	}
	if err := s.endSubscriptions(ctx); err != nil {
		return 0, err
	}
	type result struct {
		n   *crs.Notification
		ok  bool
		err error
	}
	done := make(chan result)
	tried := map[string]bool{} // the notifications this call has tried
	busy := map[string]bool{}  // the subscriptions with a try under way
	sent, running := 0, 0
	var failed error
	for {
		if failed == nil && ctx.Err() == nil {
			due, err := s.Notifications.DueNotifications(ctx, s.Store.Now(), 100)
			failed = err
			for _, n := range due {
				sub := n.OrgID + "|" + n.SubscriptionID
				if tried[n.ID] || busy[sub] || running == notificationSenders {
					continue
				}
				tried[n.ID], busy[sub] = true, true
				running++
				go func() {
					ok, err := s.try(ctx, n)
					done <- result{n, ok, err}
				}()
			}
		}
		if running == 0 {
			return sent, failed
		}
		r := <-done
		running--
		delete(busy, r.n.OrgID+"|"+r.n.SubscriptionID)
		if r.ok {
			sent++
		}
		if failed == nil {
			failed = r.err
		}
	}
}

// endSubscriptions turns off each active Subscription whose end has
// come, as R4 has the server do, dropping what it had queued, whether or
// not anything waits for it.
func (s *Server) endSubscriptions(ctx context.Context) error {
	subs, err := s.Notifications.AllSubscriptions(ctx)
	if err != nil {
		return err
	}
	now := s.Store.Now()
	for _, ts := range subs {
		if sub := cachedSubscriber(ts.Resource); sub == nil || !sub.ended(now) {
			continue
		}
		actor := crs.SystemActor(ts.OrgID)
		actor.Purpose = "FHIR Subscription ended"
		if err := s.setSubscriptionStatus(ctx, actor, ts.ID, "off", ""); err != nil {
			return err
		}
		if _, err := s.Notifications.DropNotifications(ctx, ts.OrgID, ts.ID); err != nil {
			return err
		}
	}
	return nil
}

// try delivers one notification, answering whether the endpoint took
// it. What failed before its POST (a read, a conversion) is tried again
// as a failed POST is, not at once; an error is the queue's own, or the
// context's end.
func (s *Server) try(ctx context.Context, n *crs.Notification) (bool, error) {
	ok, err := s.deliver(ctx, n)
	if err == nil || ctx.Err() != nil {
		return ok, err
	}
	if s.Logger != nil {
		s.Logger.Error("fhir subscription notification", "ods", n.OrgID, "subscription", n.SubscriptionID, "err", err)
	}
	return false, s.Notifications.NotificationFailed(ctx, n.ID, s.Store.Now().Add(retryWait(n.Attempts)), err.Error())
}

// deliver tries to send one notification: ok when the endpoint took it;
// one whose Subscription is no longer active is dropped, and a failed
// try is recorded with its next.
func (s *Server) deliver(ctx context.Context, n *crs.Notification) (ok bool, err error) {
	if claimed, err := s.Notifications.ClaimNotification(ctx, n, s.Store.Now().Add(notificationLease)); err != nil || !claimed {
		return false, err // another process's sender has it
	}
	actor := crs.SystemActor(n.OrgID)
	actor.Purpose = "FHIR Subscription notification"
	drop := func() (bool, error) {
		_, err := s.Notifications.DropNotifications(ctx, n.OrgID, n.SubscriptionID)
		return false, err
	}
	stored, err := s.Resources.ReadResource(ctx, actor, "Subscription", n.SubscriptionID, 0)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return drop()
	}
	if err != nil {
		return false, err
	}
	sub, err := Decode(stored.Body)
	if err == nil && !stored.Deleted && sub["status"] == "error" {
		// Kept until the Subscription is set active again (or off, or
		// deleted): looked at again after the longest wait.
		return false, s.Notifications.NotificationFailed(ctx, n.ID, s.Store.Now().Add(maxNotificationWait), "the Subscription is in error: set it active again (status requested) to send what waits")
	}
	if err != nil || stored.Deleted || sub["status"] != "active" {
		return drop()
	}
	if end := subscriptionEnd(sub); !end.IsZero() && !s.Store.Now().Before(end) {
		// Its end has come: R4 has the server turn it off.
		if err := s.setSubscriptionStatus(ctx, actor, n.SubscriptionID, "off", ""); err != nil {
			return false, err
		}
		return drop()
	}
	ch, _ := sub["channel"].(map[string]any)
	endpoint, _ := ch["endpoint"].(string)
	payload := payloadOf(ch)
	// The reads of what is sent are audited naming where it goes.
	actor.Purpose = "FHIR Subscription/" + n.SubscriptionID + " notification to " + endpoint
	var record *crs.Resource // a record of the PMI or the PAS, as it stands
	if s.pmi(n.ResourceType) || s.coreType(n.ResourceType) != nil {
		criteria, _ := sub["criteria"].(string)
		if record, err = s.matchingRecord(ctx, actor, criteria, n.ResourceType, n.ResourceID); err != nil {
			return false, err
		}
		if record == nil { // the record does not match now: nothing to tell
			return false, s.Notifications.NotificationSent(ctx, n.ID)
		}
	}
	var body []byte
	if format := payloadFormats[payload]; format != "" && record != nil {
		if body = record.Body; format == "xml" {
			if body, err = jsonToXML(body); err != nil {
				return false, err
			}
		}
	} else if format != "" {
		res, err := s.Resources.ReadResource(ctx, actor, n.ResourceType, n.ResourceID, n.Version)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			// The version is gone (its patient's records erased): nothing
			// is left to tell.
			return false, s.Notifications.NotificationSent(ctx, n.ID)
		}
		if err != nil {
			return false, err
		}
		body = res.Body
		if format == "xml" {
			if body, err = jsonToXML(body); err != nil {
				return false, err
			}
		}
	}
	sendErr := s.post(ctx, endpoint, payload, ch, body)
	if sendErr == nil {
		return true, s.Notifications.NotificationSent(ctx, n.ID)
	}
	if n.Attempts+1 >= maxNotificationAttempts {
		why := fmt.Sprintf("notifications to %s failed %d times, the last: %v", endpoint, n.Attempts+1, sendErr)
		if err := s.setSubscriptionStatus(ctx, actor, n.SubscriptionID, "error", why); err != nil {
			return false, err
		}
		if s.Logger != nil {
			s.Logger.Warn("fhir subscription set to error", "ods", n.OrgID, "subscription", n.SubscriptionID, "why", why)
		}
		return false, s.Notifications.NotificationFailed(ctx, n.ID, s.Store.Now().Add(maxNotificationWait), sendErr.Error())
	}
	return false, s.Notifications.NotificationFailed(ctx, n.ID, s.Store.Now().Add(retryWait(n.Attempts)), sendErr.Error())
}

// retryWait is the wait after a notification's try when it had been
// tried attempts times before: notificationRetry doubled each time, to
// at most maxNotificationWait.
func retryWait(attempts int) time.Duration {
	wait := notificationRetry << min(attempts, 30)
	if wait <= 0 || wait > maxNotificationWait {
		wait = maxNotificationWait
	}
	return wait
}

// post sends one notification to the endpoint: an empty POST, or body as
// payload says, with the channel's headers; a status other than 2xx is a
// failure naming it.
func (s *Server) post(ctx context.Context, endpoint, payload string, ch map[string]any, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, notificationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if payload != "" {
		req.Header.Set("Content-Type", payload+"; charset=utf-8")
	}
	for _, h := range array(ch["header"]) {
		if name, value, ok := strings.Cut(stringOf(h), ":"); ok {
			req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	resp, err := notifyClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", endpoint, resp.Status)
	}
	return nil
}

// setSubscriptionStatus sets an active Subscription to error (why says
// why) or off, through the write path.
func (s *Server) setSubscriptionStatus(ctx context.Context, actor crs.Actor, id, status, why string) error {
	return s.Store.Write(ctx, actor, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, err := tx.GetResource("Subscription", id)
		if err != nil || cur.Deleted {
			return err
		}
		res, err := Decode(cur.Body)
		if err != nil {
			return err
		}
		if res["status"] != "active" {
			return nil
		}
		res["status"] = status
		if why != "" {
			res["error"] = why
		}
		_, err = putVersion(tx, res, "Subscription", id, cur.Version+1)
		return err
	})
}

// matchingRecord is a record of the patient index or the PAS, as it
// stands, when a Subscription's criteria match it; nil when they do not,
// or it is gone (a patient deleted, an appointment not yet an
// encounter).
func (s *Server) matchingRecord(ctx context.Context, actor crs.Actor, criteria, typ, id string) (*crs.Resource, error) {
	p := &Principal{Actor: actor, Scopes: Scopes{{Type: "*", Read: true}}}
	q, err := subscriptionQuery(criteria, s.Store.Now())
	if err != nil || !narrowToID(q, id) {
		return nil, nil // taken when it parsed, a later release may read it otherwise; or _id names others
	}
	res, err := s.readAny(ctx, p, typ, id, 0)
	if notHeld(err) {
		return nil, nil
	}
	if err != nil || res.Deleted {
		return nil, err
	}
	r, err := Decode(res.Body)
	if err != nil {
		return nil, err
	}
	if !matchesQuery(r, &q.query, nil) || !q.keepServed(r) {
		return nil, nil
	}
	return res, nil
}
