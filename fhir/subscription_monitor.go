package fhir

import (
	"context"
	"sort"

	"github.com/opencrs/crs"
)

// SubscriptionMonitor reports a trust's FHIR Subscriptions and what each
// has waiting to be sent, for the interface analyst's feeds page
// (crs.SubscriptionMonitor).
type SubscriptionMonitor struct {
	Resources crs.ResourceStore
	Queue     crs.NotificationQueue
}

// SubscriptionStatuses lists the trust's Subscriptions, those in error
// first, then by criteria, each with its backlog.
func (m *SubscriptionMonitor) SubscriptionStatuses(ctx context.Context, a crs.Actor) ([]*crs.SubscriptionStatus, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return nil, err
	}
	// The Subscriptions are the trust's settings, not a patient's
	// record: read as the system's, for the analyst.
	sys := crs.SystemActor(a.OrgID)
	sys.Purpose = "interface analyst " + a.Username + ": feeds page"
	// Every one, a page at a time.
	var found []*crs.Resource
	q := crs.ResourceQuery{Type: "Subscription", Count: 500}
	for {
		page, _, err := m.Resources.SearchResources(ctx, sys, q)
		if err != nil {
			return nil, err
		}
		found = append(found, page...)
		if len(page) < q.Count {
			break
		}
		q.After = page[len(page)-1].ID
	}
	backlogs, err := m.Queue.NotificationBacklogs(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	var out []*crs.SubscriptionStatus
	for _, r := range found {
		res, err := Decode(r.Body)
		if err != nil || r.Deleted {
			continue
		}
		ch, _ := res["channel"].(map[string]any)
		st := &crs.SubscriptionStatus{ID: r.ID, Criteria: stringOf(res["criteria"]), Endpoint: stringOf(ch["endpoint"]),
			Reason: stringOf(res["reason"]), Status: stringOf(res["status"]), Error: stringOf(res["error"]), NotificationBacklog: backlogs[r.ID]}
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Status == "error") != (out[j].Status == "error") {
			return out[i].Status == "error"
		}
		return out[i].Criteria < out[j].Criteria
	})
	return out, nil
}
