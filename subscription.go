package crs

import (
	"context"
	"time"
)

// Notification is one FHIR Subscription notification waiting to be sent:
// a version of a resource the Subscription's criteria matched when it
// was written, queued in the same transaction as the write.
type Notification struct {
	ID             string
	OrgID          string
	SubscriptionID string
	ResourceType   string
	ResourceID     string
	Version        int
	Attempts       int       // sends tried
	NextAttemptAt  time.Time // when the next try is due (zero: at once)
	LastError      string    // why the last try failed
	CreatedAt      time.Time
}

// NotificationQueue is the queue of FHIR Subscription notifications, for
// the sender that delivers them. Its bookkeeping is not a change to any
// record: it is written directly, synced before each call returns.
type NotificationQueue interface {
	// DueNotifications lists, across trusts, the first waiting
	// notification of each subscription whose try is due at now, oldest
	// first, at most n: a subscription's notifications go one at a time,
	// in the order they were queued.
	DueNotifications(ctx context.Context, now time.Time, n int) ([]*Notification, error)
	// ClaimNotification takes a due notification for one sender until
	// lease, so that two processes sending one database's queue never
	// both send it: false when another sender took it, or it changed,
	// since it was listed. One whose sender stopped is due again once its
	// lease ends.
	ClaimNotification(ctx context.Context, n *Notification, lease time.Time) (bool, error)
	// NotificationSent takes a delivered notification off the queue.
	NotificationSent(ctx context.Context, id string) error
	// NotificationFailed records a failed try and when to try again.
	NotificationFailed(ctx context.Context, id string, next time.Time, lastError string) error
	// DropNotifications takes every waiting notification of a
	// subscription off the queue (it was turned off, ended or deleted),
	// answering how many.
	DropNotifications(ctx context.Context, orgID, subscriptionID string) (int, error)
	// PendingNotifications counts a subscription's waiting notifications.
	PendingNotifications(ctx context.Context, orgID, subscriptionID string) (int, error)
	// AllSubscriptions lists every trust's Subscription resources, not
	// deleted: the sender's look for those whose end has come.
	AllSubscriptions(ctx context.Context) ([]TrustSubscription, error)
	// NotificationBacklogs reports, for each of the trust's
	// subscriptions with notifications waiting, how many, since when and
	// why the first waits.
	NotificationBacklogs(ctx context.Context, orgID string) (map[string]NotificationBacklog, error)
}

// TrustSubscription is a Subscription resource and the trust it is of.
type TrustSubscription struct {
	OrgID string
	*Resource
}

// NotificationBacklog is what waits of one subscription's notifications.
type NotificationBacklog struct {
	Waiting   int
	OldestAt  time.Time // when the first waiting was queued
	LastError string    // why the first waiting failed, if it was tried
}

// SubscriptionStatus is how one FHIR Subscription of a trust stands, for
// the interface analyst's feeds page.
type SubscriptionStatus struct {
	ID       string
	Criteria string
	Endpoint string
	Reason   string
	Status   string // requested, active, error or off
	Error    string // why it was set to error
	NotificationBacklog
}

// SubscriptionMonitor reports a trust's FHIR Subscriptions and what each
// has waiting to be sent. It checks the actor may manage interfaces.
type SubscriptionMonitor interface {
	SubscriptionStatuses(ctx context.Context, a Actor) ([]*SubscriptionStatus, error)
}
