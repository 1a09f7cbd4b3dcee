package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSortedPatientsByGiven: a search of the PMI's patients sorted by
// given name that no index leads (a range of birth dates, a gender)
// reads the patients in the order of their folded given names, each
// patient by the given or middle name that comes first in the sort's
// order (the least from the first, the greatest from the last): the same
// pages as sorting every match (names that fold alike, accents, hyphens
// and apostrophes, a given name of two words, middle names before and
// after the given name, several keys, descending, at offsets and by next
// links, counted when asked), and a first page reads about what it
// shows, not the trust.
func TestSortedPatientsByGiven(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		ctx := context.Background()
		gen := demo.NewGenerator(11)
		givens := []string{"Ann", "ann", "Zoë", "Zoe", "Éva", "Eva", "Mary Ann", "Jean-Luc", "O'Neil", "Oliver", "de Souza"}
		middles := []string{"", "", "Zed", "Aaron Bea", "élise", "Ann", "Mary-Kate"}
		ps := make([]*crs.Patient, 3000)
		for i := range ps {
			ps[i] = gen.Patient()
			ps[i].GivenName = givens[i%len(givens)]
			if i%10 != 0 {
				// Many names of a few patients each; every tenth shares its
				// root's name with some twenty others.
				ps[i].GivenName += fmt.Sprintf("%c%c", 'a'+i/7%26, 'a'+i/182%26)
			}
			for j, m := range strings.Fields(middles[i/3%len(middles)]) {
				// Middle names as varied as given names, so that no one name
				// comes first for hundreds of patients.
				ps[i].OtherNames += fmt.Sprintf(" %s%c%c", m, 'a'+(i/5+j)%26, 'a'+i/130%26)
			}
			ps[i].BirthDate = crs.NewDate(1930+i%60, time.Month(1+i%12), 1+i%28)
		}
		if _, err := db.LoadPatients(ctx, f.trustA.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		var all []namedPatient
		for _, p := range ps {
			x := namedPatient{id: p.ID, born: p.BirthDate.Format("2006-01-02"), female: p.Gender == "2"}
			x.first, x.last = fhir.Fold(p.GivenName), fhir.Fold(p.GivenName)
			for _, n := range strings.Fields(p.OtherNames) {
				x.first, x.last = min(x.first, fhir.Fold(n)), max(x.last, fhir.Fold(n))
			}
			all = append(all, x)
		}
		checkSortedByName(t, f, "given", all)
	})
}
