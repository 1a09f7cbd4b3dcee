package match

import (
	"strings"

	"github.com/opencrs/crs"
)

// Thresholds of the duplicate score.
const (
	// Likely is the score from which a record is shown to the clerk as a
	// likely duplicate before registration.
	Likely = 60
	// Probable is the score from which a likely duplicate is a probable
	// one: the same family name, given name and date of birth (30, 20
	// and 30) reach it with nothing against them.
	Probable = 80
	// Certain is the score of records that share an NHS number.
	Certain = 100
)

// nameScore compares two names: 1 for the same, a little less for the same
// sound or a close spelling, 0 for unrelated names.
func nameScore(a, b string) (float64, string) {
	na, nb := Normalize(a), Normalize(b)
	switch {
	case na == "" || nb == "":
		return 0, ""
	case na == nb:
		return 1, "same"
	case Key(a) == Key(b):
		return 0.85, "sounds alike"
	}
	if s := Similarity(na, nb); s >= 0.88 {
		return s - 0.1, "spelt alike"
	}
	if len(na) >= 2 && len(nb) >= 2 && (strings.HasPrefix(na, nb) || strings.HasPrefix(nb, na)) {
		return 0.6, "starts alike"
	}
	return 0, ""
}

// Duplicate scores how likely it is that a and b are the same person,
// from 0 to 100, with the reasons a clerk would want to see. Two records
// with the same NHS number are certain; two with different valid NHS
// numbers are not duplicates however alike their details. Otherwise the
// score weighs family name, given name, date of birth, postcode and
// gender, and tolerates misspelt names and transposed day and month.
func Duplicate(a, b *crs.Patient) (int, []string) {
	if a.NHSNumber != "" && b.NHSNumber != "" {
		if a.NHSNumber == b.NHSNumber {
			return Certain, []string{"same NHS number"}
		}
		return 0, []string{"different NHS numbers"}
	}
	var score float64
	var why []string
	if s, how := nameScore(a.FamilyName, b.FamilyName); s > 0 {
		score += 30 * s
		why = append(why, "family name "+how)
	}
	if s, how := nameScore(a.GivenName, b.GivenName); s > 0 {
		score += 20 * s
		why = append(why, "given name "+how)
	} else if initial(a.GivenName) != "" && initial(a.GivenName) == initial(b.GivenName) {
		score += 6
		why = append(why, "same initial")
	}
	switch {
	case a.BirthDate.IsZero() || b.BirthDate.IsZero():
	case a.BirthDate.Equal(b.BirthDate.Time):
		score += 30
		why = append(why, "same date of birth")
	case a.BirthDate.Year() == b.BirthDate.Year() && int(a.BirthDate.Month()) == b.BirthDate.Day() && a.BirthDate.Day() == int(b.BirthDate.Month()):
		score += 20
		why = append(why, "date of birth with day and month swapped")
	case a.BirthDate.Month() == b.BirthDate.Month() && a.BirthDate.Day() == b.BirthDate.Day():
		score += 12
		why = append(why, "same birthday, different year")
	case a.BirthDate.Year() == b.BirthDate.Year() && (a.BirthDate.Month() == b.BirthDate.Month() || a.BirthDate.Day() == b.BirthDate.Day()):
		score += 10
		why = append(why, "date of birth differs by one part")
	default:
		score -= 20
	}
	pa, pb := compact(a.Address.Postcode), compact(b.Address.Postcode)
	switch {
	case pa == "" || pb == "":
	case pa == pb:
		score += 15
		why = append(why, "same postcode")
	case len(pa) > 3 && len(pb) > 3 && pa[:len(pa)-3] == pb[:len(pb)-3]:
		score += 5
		why = append(why, "same postcode district")
	}
	if a.Gender != b.Gender && known(a.Gender) && known(b.Gender) {
		score -= 15
		why = append(why, "different gender")
	} else if a.Gender == b.Gender && known(a.Gender) {
		score += 5
	}
	s := int(score + 0.5)
	if s < 0 {
		s = 0
	}
	if s > 99 {
		s = 99 // only a shared NHS number is certain
	}
	return s, why
}

func known(g string) bool { return g == "1" || g == "2" }

func initial(s string) string {
	n := Normalize(s)
	if n == "" {
		return ""
	}
	return n[:1]
}

func compact(pc string) string { return strings.ReplaceAll(strings.ToUpper(pc), " ", "") }

// Alike reports whether the name on a record answers the name typed: the
// same, starting with it, sounding like it (the same Key) or spelt like it
// (a Jaro-Winkler similarity of 0.85 or more). Search finds these and no
// others.
func Alike(typed, have string) bool { return alike(Normalize(typed), Normalize(have)) != "" }

// AlikeTo returns Alike for one typed name, normalised and keyed once, to
// test many names against it.
func AlikeTo(typed string) func(have string) bool {
	t := Normalize(typed)
	tk := Key(t)
	return func(have string) bool { return t != "" && alikeKeyed(t, tk, Normalize(have)) != "" }
}

// alike says how the normalised name h answers the normalised t: "exact",
// "starts with", "sounds like", "spelt like", or "" when it does not.
func alike(t, h string) string { return alikeKeyed(t, "", h) }

// alikeKeyed is alike with the phonetic key tk of t already worked out
// (or "" to work it out only if needed), for testing many names against
// one typed.
func alikeKeyed(t, tk, h string) string {
	switch {
	case t == "" || h == "":
		return ""
	case t == h:
		return "exact"
	case strings.HasPrefix(h, t):
		return "starts with"
	case soundsAlike(t, tk, h):
		return "sounds like"
	case Similarity(t, h) >= 0.85:
		return "spelt like"
	}
	return ""
}

// soundsAlike reports whether t (of key tk, "" if not yet known) and h
// share a phonetic key.
func soundsAlike(t, tk, h string) bool {
	if tk == "" {
		tk = Key(t)
	}
	return tk == Key(h)
}

// Rank scores how well a patient answers a search, from 0 to 100, with the
// reasons. Exact identifiers rank highest; then exact names; then names
// that start with what was typed, sound like it or are spelt like it,
// the closer the spelling (Closeness) the higher, so that "smyth"
// puts the Smiths above the Snaiths; a matching date of birth, postcode or
// gender lifts a result, a different one drops it.
func Rank(q crs.PatientQuery, p *crs.Patient) (int, []string) { return NewRanker(q).Rank(p) }

// Ranker ranks the patients a search found against it: the names typed
// are normalised and keyed once, and each name on the records is weighed
// against them once however many patients bear it (a search reads
// hundreds of patients of a handful of family names).
type Ranker struct {
	q             crs.PatientQuery
	family, given typedName
	postcode      string // compacted
}

// typedName is a name typed in a search, with how each name on a record
// answers it.
type typedName struct {
	typed, norm, key string
	label            string                 // "family name", the start of each reason
	seen             map[string]*nameAnswer // by the name as the record holds it
}

// nameAnswer is how a record's name answers a typed one.
type nameAnswer struct {
	norm      string  // the record's name normalised
	how       string  // alike's answer
	closeness float64 // Closeness
	reason    string  // why it ranks as it does: "family name sounds like smyth"
}

// NewRanker returns the ranker of a search.
func NewRanker(q crs.PatientQuery) *Ranker {
	r := &Ranker{q: q, postcode: compact(q.Postcode)}
	r.family.init(q.FamilyName, "family name")
	r.given.init(q.GivenName, "given name")
	return r
}

func (t *typedName) init(typed, label string) {
	t.typed, t.norm, t.label = typed, Normalize(typed), label
	if t.norm != "" {
		t.key = Key(t.norm)
	}
	t.seen = map[string]*nameAnswer{}
}

// answer weighs the record's name have against the typed name.
func (t *typedName) answer(have string) *nameAnswer {
	if a := t.seen[have]; a != nil {
		return a
	}
	a := &nameAnswer{norm: Normalize(have)}
	if t.norm != "" && a.norm != "" {
		a.how = alikeKeyed(t.norm, t.key, a.norm)
		a.closeness = closeness(t.norm, a.norm)
		switch a.how {
		case "":
		case "exact":
			a.reason = t.label + " exact"
		default:
			a.reason = t.label + " " + a.how + " " + t.typed
		}
	}
	t.seen[have] = a
	return a
}

// The weights of the names in a search's score.
const (
	familyWeight = 45
	givenWeight  = 25
)

// typedScore is what a record's name (have) adds to the score of a search
// that typed t: the name's weight when it is the one typed, at most 0.9
// of it for a name alike, by how close its spelling is, and 0.3 of it
// taken away for a name not alike; nothing when no name was typed.
func typedScore(t *typedName, have string, weight float64) (float64, *nameAnswer) {
	if t.typed == "" {
		return 0, nil
	}
	a := t.answer(have)
	switch a.how {
	case "":
		return -weight * 0.3, a
	case "exact":
		return weight, a
	}
	return weight * (0.5 + 0.4*a.closeness), a
}

// NameScore is the part of Rank's score (before it is rounded) that a
// record's family and given names give it: every record of the same
// names, as Normalize writes them, scores the same, and the rest of its
// score lies within Spread of it.
func (r *Ranker) NameScore(family, given string) float64 {
	f, _ := typedScore(&r.family, family, familyWeight)
	g, _ := typedScore(&r.given, given, givenWeight)
	return f + g
}

// Spread is how far the rest of Rank's score (date of birth, postcode,
// gender, a merged record) can take a record above and below its
// NameScore.
func (r *Ranker) Spread() (above, below float64) {
	below = 5 // a merged record
	if !r.q.BirthDate.IsZero() {
		above, below = above+20, below+20
	}
	if r.q.Postcode != "" {
		above, below = above+10, below+5
	}
	if r.q.Gender != "" {
		above, below = above+2, below+10
	}
	return above, below
}

// Rank scores how well p answers the search, as Rank does.
func (r *Ranker) Rank(p *crs.Patient) (int, []string) {
	q := r.q
	if q.NHSNumber != "" && q.NHSNumber == p.NHSNumber {
		return 100, []string{"NHS number"}
	}
	if q.MRN != "" && strings.EqualFold(q.MRN, p.MRN) {
		return 100, []string{"hospital number"}
	}
	var score float64
	var why []string
	for _, n := range []struct {
		t      *typedName
		have   string
		weight float64
	}{{&r.family, p.FamilyName, familyWeight}, {&r.given, p.GivenName, givenWeight}} {
		s, a := typedScore(n.t, n.have, n.weight)
		score += s
		if a != nil && a.how != "" {
			why = append(why, a.reason)
		}
	}
	if !q.BirthDate.IsZero() {
		if q.BirthDate.Equal(p.BirthDate.Time) {
			score += 20
			why = append(why, "date of birth")
		} else {
			score -= 20
		}
	}
	if q.Postcode != "" {
		qp, pp := r.postcode, compact(p.Address.Postcode)
		if qp == pp {
			score += 10
			why = append(why, "postcode")
		} else if strings.HasPrefix(pp, qp) {
			score += 5
			why = append(why, "postcode area")
		} else {
			score -= 5
		}
	}
	if q.Gender != "" {
		if q.Gender == p.Gender {
			score += 2
		} else {
			score -= 10
		}
	}
	if p.Merged() {
		score -= 5 // show the live record first
	}
	s := int(score + 0.5)
	return max(0, min(99, s)), why
}
