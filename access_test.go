package crs_test

import (
	"testing"
	"time"

	"github.com/opencrs/crs"
)

func TestGroupVisits(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rec := func(user string, role crs.Role, min int) *crs.AuditRecord {
		return &crs.AuditRecord{UserID: user, Username: user, Role: role, At: t0.Add(time.Duration(min) * time.Minute), Action: crs.AuditView}
	}
	tests := []struct {
		name string
		recs []*crs.AuditRecord
		want []int // records per visit, oldest visit first
	}{
		{"none", nil, nil},
		{"one user, pauses within 30 minutes", []*crs.AuditRecord{rec("a", crs.RoleDoctor, 0), rec("a", crs.RoleDoctor, 29), rec("a", crs.RoleDoctor, 58)}, []int{3}},
		{"a pause over 30 minutes starts a visit", []*crs.AuditRecord{rec("a", crs.RoleDoctor, 0), rec("a", crs.RoleDoctor, 31)}, []int{1, 1}},
		{"two users at once are two visits", []*crs.AuditRecord{rec("a", crs.RoleDoctor, 0), rec("b", crs.RoleNurse, 1), rec("a", crs.RoleDoctor, 2)}, []int{2, 1}},
		{"one user in two roles is two visits", []*crs.AuditRecord{rec("a", crs.RoleNurse, 0), rec("a", crs.RoleClerk, 1)}, []int{1, 1}},
		{"newest first in, oldest first out", []*crs.AuditRecord{rec("a", crs.RoleDoctor, 90), rec("a", crs.RoleDoctor, 5), rec("a", crs.RoleDoctor, 0)}, []int{2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := crs.GroupVisits(tc.recs, map[string]string{"a": "Ann"})
			if len(got) != len(tc.want) {
				t.Fatalf("got %d visits, want %d", len(got), len(tc.want))
			}
			for i, v := range got {
				if len(v.Records) != tc.want[i] {
					t.Errorf("visit %d has %d records, want %d", i, len(v.Records), tc.want[i])
				}
				if !v.From.Equal(v.Records[0].At) || !v.To.Equal(v.Records[len(v.Records)-1].At) || v.To.Before(v.From) {
					t.Errorf("visit %d runs %s to %s", i, v.From, v.To)
				}
				if i > 0 && v.From.Before(got[i-1].From) {
					t.Errorf("visit %d starts before visit %d", i, i-1)
				}
			}
		})
	}
}
