package crs

import (
	"context"
	"time"
)

// The monthly A&E return: attendances by department type and the
// four-hour and twelve-hour waits, from the attendances' recorded times.

// AEStandard is the operational standard for A&E: 95% of patients
// admitted, transferred or discharged within four hours of arrival.
const AEStandard = 0.95

// EDReportRow is one A&E attendance as the A&E return reads it.
type EDReportRow struct {
	AttendanceID      string
	PatientID         string
	ArrivedAt         time.Time
	DecisionToAdmitAt time.Time // zero if no decision to admit
	DepartedAt        time.Time // zero while in the department
	Departure         string
	// DepartmentType is the EMERGENCY CARE DEPARTMENT TYPE of the
	// department attended (01 major A&E, 02 mono-specialty, 03 urgent
	// treatment centre): the type of the trust's emergency department
	// location the attendance's area belongs to, or of its only one; 01
	// when the trust has recorded none.
	DepartmentType string
}

// AEReportSource is what the A&E return reads from the record.
type AEReportSource interface {
	// EachEDAttendance calls fn with every A&E attendance of the trust
	// that arrived in [from, to), in arrival order. Checked for the
	// reports activity and audited once. With basis.RecordedBy set, each
	// attendance is as its events recorded by then left it, and one
	// recorded later is not there.
	EachEDAttendance(ctx context.Context, a Actor, from, to time.Time, basis ReportBasis, fn func(*EDReportRow) error) error
}

// AEGroup is the A&E figures of one department type, or of the trust.
type AEGroup struct {
	Attendances   int     `json:"attendances"`
	Within4Hours  int     `json:"within_4_hours"`
	Over4Hours    int     `json:"over_4_hours"`
	ShareWithin4  float64 `json:"share_within_4_hours"`
	MeetsStandard bool    `json:"meets_95_percent_standard"`
	// Over12HoursFromArrival counts attendances that spent more than 12
	// hours in the department from arrival.
	Over12HoursFromArrival int `json:"over_12_hours_from_arrival"`
	// Over12HoursFromDTA counts patients who waited more than 12 hours
	// from the decision to admit to leaving the department.
	Over12HoursFromDTA int `json:"over_12_hours_from_decision_to_admit"`
	// StillInDepartment counts attendances not departed when the return
	// was worked out; their time so far counts.
	StillInDepartment int `json:"still_in_department"`
}

// AEReturn is the monthly A&E return of a trust.
type AEReturn struct {
	Month string `json:"month"`
	// RecordedBy is, for the return as recorded, the time it was worked
	// out as of (RFC 3339); empty for the return known now.
	RecordedBy       string              `json:"as_recorded_at,omitempty"`
	Standard         float64             `json:"standard"`
	Total            AEGroup             `json:"total"`
	ByDepartmentType map[string]*AEGroup `json:"by_department_type"`
	// Breaches lists who waited over 4 hours, over 12 hours from arrival
	// and over 12 hours from a decision to admit, so each figure leads to
	// the patients behind it; left out of the JSON.
	Breaches []AEBreach `json:"-"`
}

// AEBreach is one attendance counted in a breach figure.
type AEBreach struct {
	Figure         string // "over_4_hours", "over_12_hours_from_arrival", "over_12_hours_from_decision_to_admit"
	DepartmentType string
	AttendanceID   string
	PatientID      string
	Minutes        int
}

// AEReturnOptions choose how the A&E return is worked out.
type AEReturnOptions struct {
	// Basis says which events count: zero is everything known now; with
	// RecordedBy, the attendances as recorded by then, a patient still in
	// the department then counting with the time to then.
	Basis ReportBasis
	// Breaches lists the attendances behind each breach figure.
	Breaches bool
}
