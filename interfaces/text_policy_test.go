package interfaces

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestInboundTextPolicy sends patients whose text breaks the text policy
// the web forms and FHIR API keep to: each message is refused AE with an
// ERR naming the field and what is wrong, and nothing is registered.
func TestInboundTextPolicy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		pid := func(n int, family string) string { return pidSeg(testNHS(n), "", "RXX", family, "ANNE", "19800101") }
		for _, tc := range []struct {
			name, msg string
			field     int
			says      string
		}{
			{"a direction override in the family name", adtMsg("A28", "T1", "RXX", pid(40, "SMITH\u202eEXE")), 5, "reorders"},
			{"a family name too long", adtMsg("A28", "T2", "RXX", pid(41, strings.Repeat("A", 101))), 5, "longer than 100"},
			{"a phone number with letters", adtMsg("A28", "T3", "RXX", strings.Replace(pid(42, "SMITH"), "020 7946 0000", "RING AFTER 6", 1)), 13, "not a phone number"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ack, raw := f.send(t, tc.msg)
				if ack.Code != hl7.AE || len(ack.Errors) == 0 {
					t.Fatalf("got %s, want AE with ERR: %s", ack.Code, raw)
				}
				e := ack.Errors[0]
				if (tc.field != 0 && (e.Segment != "PID" || e.Field != tc.field)) || !strings.Contains(e.Text, tc.says) {
					t.Errorf("ERR %s-%d %q, want PID-%d saying %q", e.Segment, e.Field, e.Text, tc.field, tc.says)
				}
			})
		}
	})
}

// TestInboundLocalGPCodes sends patients whose GP and practice codes are
// a sender's own, not in the national formats the web forms and FHIR API
// insist on: the codes are not key fields, so each message is applied
// (AA) with a W warning naming PD1-3 or PD1-4, the practice and GP are
// recorded by name with no code, and a data-quality entry keeps the code
// as received. National codes are recorded as sent.
func TestInboundLocalGPCodes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		for _, tc := range []struct {
			name, pd1            string
			n                    int
			gp, practice         string
			warnings             []int // the PD1 fields warned of
			gpName, practiceName string
			dq                   []string // the data-quality entries, field=code as received
		}{
			{"local GP and practice codes", "PD1|||LINDAS TEST ORGANIZATION^^SIISCLIENT818|88^SMITH^JOHN^^^DR", 50, "", "", []int{3, 4}, "DR JOHN SMITH", "LINDAS TEST ORGANIZATION", []string{"PD1-3=SIISCLIENT818", "PD1-4=88"}},
			{"a local practice code only", "PD1|||HIGH STREET SURGERY^^HSS1|G1234567^JONES^ANN^^^DR", 51, "G1234567", "", []int{3}, "DR ANN JONES", "HIGH STREET SURGERY", []string{"PD1-3=HSS1"}},
			{"national codes", "PD1|||HIGH STREET SURGERY^^A81001|G1234567^JONES^ANN^^^DR", 52, "G1234567", "A81001", nil, "DR ANN JONES", "HIGH STREET SURGERY", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctrl := fmt.Sprintf("GP%d", tc.n)
				ack, raw := f.send(t, adtMsg("A28", ctrl, "RXX", pidSeg(testNHS(tc.n), "", "RXX", "SMITH", "ANNE", "19800101"), tc.pd1))
				var warned []int
				for _, e := range ack.Errors {
					if e.Segment == "PD1" {
						if e.Severity != hl7.SeverityWarning || !strings.Contains(e.Text, "kept on the data-quality entry") {
							t.Errorf("PD1 ERR %+v, want a W keeping the code on the data-quality entry", e)
						}
						warned = append(warned, e.Field)
					}
				}
				if ack.Code != hl7.AA || fmt.Sprint(warned) != fmt.Sprint(tc.warnings) {
					t.Fatalf("got %s warning of PD1 fields %v, want AA warning of %v\n%s", ack.Code, warned, tc.warnings, raw)
				}
				p := findByNHS(t, db, f.trust, testNHS(tc.n))
				if p.GPCode != tc.gp || p.GPPracticeCode != tc.practice || p.GPName != tc.gpName || p.GPPracticeName != tc.practiceName {
					t.Errorf("GP %q %q, practice %q %q; want %q %q, %q %q", p.GPCode, p.GPName, p.GPPracticeCode, p.GPPracticeName, tc.gp, tc.gpName, tc.practice, tc.practiceName)
				}
				rows, err := db.Reader().QueryContext(ctx, `SELECT field, code FROM data_quality_issues WHERE org_id = $1 AND message_id = $2 AND patient_id = $3 ORDER BY field`,
					org, messageByControlID(t, db, org, ctrl).ID, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var got []string
				for rows.Next() {
					var field, code string
					if err := rows.Scan(&field, &code); err != nil {
						t.Fatal(err)
					}
					got = append(got, field+"="+code)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.dq) {
					t.Errorf("data-quality entries %v, want %v (the codes as received)", got, tc.dq)
				}
			})
		}
	})
}
