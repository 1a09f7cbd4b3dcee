package fhir

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestNarrowedRead checks what of a trust-wide search each table's read
// is narrowed by: the statuses of the records that serve the statuses
// searched for, none read where none can, and the range of starts a
// date on the start keeps, widened at its edges; what no column answers
// (a period's end, a status with a system, another parameter) narrows
// nothing.
func TestNarrowedRead(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	status := func(codes ...string) []crs.ResourceCondition {
		var g []crs.ResourceCondition
		for _, c := range codes {
			g = append(g, crs.ResourceCondition{Param: "status", Kind: "token", Op: crs.MatchEq, Code: c})
		}
		return g
	}
	date := func(op string) []crs.ResourceCondition {
		return []crs.ResourceCondition{{Param: "date", Kind: "date", Op: op, Lo: at, Hi: at.Add(time.Second)}}
	}
	system := "http://hl7.org/fhir/encounter-status"
	type read struct {
		skip       bool
		status     []string
		from, till time.Time
	}
	enc, appt := coreTables["Encounter"], coreTables["Appointment"]
	for _, tc := range []struct {
		name  string
		table coreTable
		all   [][]crs.ResourceCondition
		want  read
	}{
		{"spells finished", enc[1], [][]crs.ResourceCondition{status("finished")}, read{status: []string{crs.SpellDischarged}}},
		{"attendances finished or in progress", enc[0], [][]crs.ResourceCondition{status("finished", "in-progress")}, read{status: []string{crs.EDDeparted, crs.EDInDepartment}}},
		{"attendances entered in error", enc[0], [][]crs.ResourceCondition{status("entered-in-error")}, read{skip: true}},
		{"outpatients of any status", enc[2], nil, read{status: []string{crs.AppointmentCheckedIn, crs.AppointmentAttended}}},
		{"outpatients finished", enc[2], [][]crs.ResourceCondition{status("finished")}, read{status: []string{crs.AppointmentAttended}}},
		{"outpatients finished, then arrived", enc[2], [][]crs.ResourceCondition{status("finished"), status("arrived")}, read{skip: true}},
		{"a status with its system", enc[1], [][]crs.ResourceCondition{{{Param: "status", Kind: "token", Code: "finished", System: &system}}}, read{}},
		{"a status beside a class", enc[1], [][]crs.ResourceCondition{{status("finished")[0], {Param: "class", Kind: "token", Code: "IMP"}}}, read{}},
		{"appointments from", appt[0], [][]crs.ResourceCondition{date(crs.MatchGe)}, read{from: at.Add(-3 * time.Second)}},
		{"appointments after", appt[0], [][]crs.ResourceCondition{date(crs.MatchGt)}, read{from: at.Add(-2 * time.Second)}},
		{"appointments before", appt[0], [][]crs.ResourceCondition{date(crs.MatchLt)}, read{till: at.Add(2 * time.Second)}},
		{"appointments at", appt[0], [][]crs.ResourceCondition{date(crs.MatchEq)}, read{from: at.Add(-2 * time.Second), till: at.Add(3 * time.Second)}},
		{"appointments at or before, or after", appt[0], [][]crs.ResourceCondition{append(date(crs.MatchLe), date(crs.MatchSa)...)}, read{}},
		{"appointments starting after and ending before", appt[0], [][]crs.ResourceCondition{date(crs.MatchSa), date(crs.MatchEb)},
			read{from: at.Add(-time.Second), till: at.Add(2 * time.Second)}},
		{"appointments before and long after", appt[0], [][]crs.ResourceCondition{date(crs.MatchLt),
			{{Param: "date", Kind: "date", Op: crs.MatchGe, Lo: at.AddDate(0, 0, 1), Hi: at.AddDate(0, 0, 2)}}}, read{skip: true}},
		{"spells admitted before", enc[1], [][]crs.ResourceCondition{date(crs.MatchLt)}, read{till: at.Add(2 * time.Second)}},
		{"spells running on", enc[1], [][]crs.ResourceCondition{date(crs.MatchGe)}, read{}},
		{"outpatients by date", enc[2], [][]crs.ResourceCondition{date(crs.MatchLt)}, read{status: []string{crs.AppointmentCheckedIn, crs.AppointmentAttended}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq, ok := tc.table.narrowed(&crs.ResourceQuery{All: tc.all})
			got := read{skip: !ok}
			if ok {
				got.status, got.from, got.till = rq.Status, rq.From, rq.Before
				slices.Sort(got.status)
			}
			slices.Sort(tc.want.status)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("read %+v, want %+v", got, tc.want)
			}
		})
	}
}
