package crs

import "context"

// DM01: the monthly diagnostic waiting times and activity return.

// DM01StandardWeeks is the diagnostic waiting standard: patients should
// wait less than 6 weeks from request to test (no more than 1% waiting 6
// weeks or more).
const DM01StandardWeeks = 6

// DM01Bands is the number of weekly bands of the DM01 waiting list: "0-1"
// (under 1 week) to "12-13", then "13+".
const DM01Bands = 14

// DM01ReportSource is what the DM01 return reads from the record.
type DM01ReportSource interface {
	// EachDiagnosticRequest calls fn with every diagnostic request of the
	// trust requested on or before last. Checked and audited once.
	EachDiagnosticRequest(ctx context.Context, a Actor, last Date, fn func(*DiagnosticRequest) error) error
}

// DM01Test is one test's line of the DM01 return.
type DM01Test struct {
	Test        string `json:"test"`
	Description string `json:"description"`
	// Waiting is the waiting list at the month's end: requests not
	// planned, not done and not cancelled by then.
	Waiting         int               `json:"waiting"`
	Waiting6Plus    int               `json:"waiting_6_weeks_or_more"`
	Share6Plus      float64           `json:"share_waiting_6_weeks_or_more"`
	Bands           [DM01Bands]int    `json:"-"`
	BandsByLabel    map[string]int    `json:"bands"`
	ActivityWaiting int               `json:"activity_waiting_list"`
	ActivityPlanned int               `json:"activity_planned"`
	Activity        int               `json:"activity_total"`
	WaitingIDs      []DM01WaitingItem `json:"-"`
}

// DM01WaitingItem is one request on the waiting list at the month's end.
type DM01WaitingItem struct {
	RequestID string
	PatientID string
	Days      int
}

// DM01Return is the month's DM01 return.
type DM01Return struct {
	Month     string      `json:"month"`
	PeriodEnd string      `json:"period_end"`
	Total     DM01Test    `json:"total"`
	Tests     []*DM01Test `json:"tests"`
}
