package web

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestProcedureWords checks that pages write an intended procedure in
// words from the trust's OPCS-4 list once it is loaded, and the code in
// small print (after the name the clinician gave) until then.
func TestProcedureWords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		st := e.setUp(e.a)
		c := e.login(e.a, crs.RoleClerk)
		ids := e.walkJourney(t, c, st)
		pages := []string{"/waiting-list?status=" + crs.ListViewAdmitted, "/waiting-list/" + ids.entry, "/patients/" + ids.patient, "/spells/" + ids.spell}
		for _, path := range pages {
			r := c.get(path)
			wantBody(t, path+" without the list", r, `Hernia repair <small class="code">T201</small>`)
		}
		if _, err := e.server.Coding.LoadCodeList(context.Background(), e.a.Actor(crs.RoleAdmin), nhs.OPCS4, []nhs.Code{
			{Code: "T201", Description: "Primary repair of inguinal hernia using insert of prosthetic material"},
			{Code: "W401", Description: "Total prosthetic replacement of knee joint using cement"},
		}); err != nil {
			t.Fatal(err)
		}
		for _, path := range pages {
			r := c.get(path)
			wantBody(t, path+" with the list", r, `<span class="procedure">T201 Primary repair of inguinal hernia using insert of prosthetic material</span>`)
			if strings.Contains(r.body, `<small class="code">T201</small>`) {
				t.Errorf("%s: the code is still shown alone once the list has it", path)
			}
		}
	})
}
