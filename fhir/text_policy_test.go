package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTextPolicy creates resources whose strings break the text policy
// the web forms and HL7 interfaces keep to: each is refused 400 with an
// OperationOutcome whose expression names the element.
func TestTextPolicy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		for _, tc := range []struct{ name, body, expr, says string }{
			{"a NUL in a family name", `{"resourceType":"Patient","name":[{"family":"Smith\u0000","given":["Ann"]}]}`, "Patient.name[0].family", "NUL"},
			{"an escape sequence in a given name", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Ann","\u001b[2J"]}]}`, "Patient.name[0].given[1]", "control character"},
			{"a direction override in a note", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"note":[{"text":"normal\u202e"}]}`, "Observation.note[0].text", "reorders"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				typ := strings.SplitN(strings.TrimPrefix(tc.body, `{"resourceType":"`), `"`, 2)[0]
				r := f.a.do("POST", "/fhir/"+typ, tc.body)
				if r.status != 400 {
					t.Fatalf("create: %d %s, want 400", r.status, r.body)
				}
				out := string(r.body)
				if !strings.Contains(out, `"expression":["`+tc.expr+`"]`) || !strings.Contains(out, tc.says) {
					t.Errorf("OperationOutcome %s, want expression %s saying %q", out, tc.expr, tc.says)
				}
			})
		}
	})
}
