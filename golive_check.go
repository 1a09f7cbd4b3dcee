package crs

import (
	"context"
	"time"
)

// GoLiveCriterion is one measure of a cutover's go / no-go decision: its
// figure must not exceed its threshold. A criterion without a threshold
// is shown for information and never makes the decision no-go.
type GoLiveCriterion struct {
	Name        string   `json:"name"`        // e.g. "reconcile_unaccounted", as --threshold names it
	Description string   `json:"description"` // what it measures, for the programme board
	Figure      float64  `json:"figure"`
	Threshold   *float64 `json:"threshold"` // the most allowed; null: for information
	Pass        bool     `json:"pass"`
	Detail      string   `json:"detail"` // the command or page with the records behind the figure
}

// GoLiveCheck is one run of the go / no-go check of a trust's cutover
// from its legacy PAS, as kept for the programme board: when it ran, who
// ran it, on which extract, and every criterion with its verdict.
type GoLiveCheck struct {
	ID        string
	OrgID     string
	CheckedAt time.Time
	CheckedBy string // the person who ran the check, as they named themselves
	Extract   string // the folder of the legacy extract checked
	Go        bool
	Failed    []string // the criteria over their threshold
	Criteria  []GoLiveCriterion
}

// GoLiveCheckService keeps the runs of the go / no-go check.
type GoLiveCheckService interface {
	// RecordGoLiveCheck keeps a run of the check; it sets ID and
	// CheckedAt.
	RecordGoLiveCheck(ctx context.Context, a Actor, c *GoLiveCheck) error
	// GoLiveChecks lists the trust's runs, latest first, at most limit.
	GoLiveChecks(ctx context.Context, a Actor, limit int) ([]*GoLiveCheck, error)
	// GoLiveCheck reads one run with its criteria.
	GoLiveCheck(ctx context.Context, a Actor, id string) (*GoLiveCheck, error)
}

// EventGoLiveChecked is the event of a run of the go / no-go check kept.
const EventGoLiveChecked = "golive.checked"
