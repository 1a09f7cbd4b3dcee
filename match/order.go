package match

import (
	"cmp"
	"slices"

	"github.com/opencrs/crs"
)

// Distance returns the Damerau-Levenshtein distance of two normalised
// strings (optimal string alignment): how many letters must be added,
// dropped, changed or swapped with their neighbour to turn one into the
// other. "JONSE" is one from "JONES".
func Distance(a, b string) int {
	la, lb := len(a), len(b)
	// Three rows of the dynamic programme: two back, one back, this one,
	// on the stack for the names of people.
	var buf [3 * 48]int
	var rows []int
	if 3*(lb+1) <= len(buf) {
		rows = buf[:3*(lb+1)]
	} else {
		rows = make([]int, 3*(lb+1))
	}
	prev2, prev, cur := rows[:lb+1], rows[lb+1:2*(lb+1)], rows[2*(lb+1):]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// Closeness says how close a name on a record is to the name typed, from
// 0 (nothing alike) to 1 (the same): the mean of their Jaro-Winkler
// similarity, which favours a shared beginning, and their
// Damerau-Levenshtein similarity (one less the distance over the longer
// length), which counts the letters a clerk got wrong. Either alone misleads:
// Jaro-Winkler puts "Stevens" nearer to "evens" than "Evans" is.
func Closeness(typed, have string) float64 {
	return closeness(Normalize(typed), Normalize(have))
}

// closeness is Closeness of two normalised names.
func closeness(t, h string) float64 {
	if t == "" || h == "" {
		return 0
	}
	return (Similarity(t, h) + 1 - float64(Distance(t, h))/float64(max(len(t), len(h)))) / 2
}

// Sort puts the results of a search best first: by score; at the same
// score, the family name closest to the one typed, then the closest given
// name; then by family name and given name (normalised, as the store
// indexes them), date of birth and record id, so that the same search
// always lists the same patients in the same order.
func Sort(q crs.PatientQuery, ms []crs.PatientMatch) { NewRanker(q).Sort(ms) }

// Sort puts the results of the ranker's search best first, as Sort does.
func (r *Ranker) Sort(ms []crs.PatientMatch) {
	type keyed struct {
		m                     crs.PatientMatch
		family, given         float64
		familyNorm, givenNorm string
	}
	ks := make([]keyed, len(ms))
	for i, m := range ms {
		f, g := r.family.answer(m.Patient.FamilyName), r.given.answer(m.Patient.GivenName)
		ks[i] = keyed{m: m, family: f.closeness, given: g.closeness, familyNorm: f.norm, givenNorm: g.norm}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := cmp.Compare(b.m.Score, a.m.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.family, a.family); c != 0 {
			return c
		}
		if c := cmp.Compare(b.given, a.given); c != 0 {
			return c
		}
		pa, pb := a.m.Patient, b.m.Patient
		return cmp.Or(cmp.Compare(a.familyNorm, b.familyNorm), cmp.Compare(a.givenNorm, b.givenNorm),
			pa.BirthDate.Compare(pb.BirthDate.Time), cmp.Compare(pa.ID, pb.ID))
	})
	for i, k := range ks {
		ms[i] = k.m
	}
}
