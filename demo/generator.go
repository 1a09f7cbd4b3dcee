package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// Generator makes synthetic patients for demonstrations and benchmarks:
// British names across ethnicities and birth decades, an age pyramid like
// England's, addresses with real postcode districts of the Area and
// invented inward codes, telephone numbers from Ofcom's drama ranges, GP
// practices with invented codes, and NHS numbers from the 999 test range
// that pass Modulus 11, each given once. About one patient in 200 is a
// deliberate duplicate of an earlier one (a misspelt name, day and month
// of birth swapped, or the NHS number missing), as happens when a patient
// is registered again in a hurry; Duplicates lists them.
//
// Every patient is valid as on Today (crs.Patient.Validate): a draw
// that is not, such as a birth date whose day and month swapped fall
// after Today, is drawn again or varied another way, never dropped.
//
// The same seed, Area and Today give the same patients in the same order.
// Each patient is drawn from a random stream of its own, chosen by the
// seed, the Area and its place in the order, so Today changes the dates of the
// patients but not who they are: the n-th patient has the same names and
// NHS number whatever day it is drawn on. A Generator is not safe for
// use by several goroutines at once.
type Generator struct {
	// Area is where the patients live; NewGenerator sets EastLondon.
	Area *Area
	// Today is the date the patients' ages are reckoned from; no one is
	// born or dies after it. NewGenerator sets 1 January 2026.
	Today crs.Date
	// DuplicateRate is the share of patients that duplicate an earlier
	// one; NewGenerator sets 0.005.
	DuplicateRate float64

	rng       *rand.Rand // practices and the order of NHS numbers
	seed      uint64
	src       rand.PCG   // the stream of the patient being drawn
	r         *rand.Rand // draws from src
	nhsPos    int        // how many of the test range's base numbers are used
	nhsEnd    int        // where the generator's part of them ends
	nhsStart  int
	nhsStep   int
	practices map[*Area][]Practice
	area      *Area          // the area recent belongs to
	areaKey   uint64         // mixed into the patients' streams: a hash of the area's name
	recent    []*crs.Patient // originals a duplicate may copy
	pairs     []Duplicate
	slab      []crs.Patient // records not yet given out
	count     int
}

// Practice is a GP practice of the area, with an invented code and name.
type Practice struct {
	Code, Name, District string
	GPs                  []GP
}

// GP is a general practitioner with an invented national code.
type GP struct {
	Code, Name string
}

// Duplicate is a patient registered twice: the original record and the
// second, slightly different, one, and how they differ.
type Duplicate struct {
	Original, Duplicate *crs.Patient
	How                 string
}

// redraws is how many times a patient is drawn again when a draw is not
// valid before the generator gives up and returns it, so that
// registration refuses it with its reason.
const redraws = 100

// nhsRange is how many base numbers (the nine digits before the check
// digit) the 999 test range holds: 999 000 000 to 999 999 999.
const nhsRange = 1_000_000

// NewGenerator returns a generator of patients of EastLondon, aged as on
// 1 January 2026, drawn from the given seed.
func NewGenerator(seed int64) *Generator {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x0ec5_5eed))
	g := &Generator{
		Area:          EastLondon,
		Today:         crs.NewDate(2026, time.January, 1),
		DuplicateRate: 0.005,
		rng:           rng,
		seed:          uint64(seed),
		nhsEnd:        nhsRange,
		practices:     map[*Area][]Practice{},
	}
	g.r = rand.New(&g.src)
	// NHS numbers are taken in an order that looks random but visits each
	// base number once: start + i*step modulo a million, with a step
	// prime to a million.
	g.nhsStart = rng.IntN(nhsRange)
	for {
		g.nhsStep = 100_003 + rng.IntN(800_000)
		if g.nhsStep%2 != 0 && g.nhsStep%5 != 0 {
			break
		}
	}
	return g
}

// NHSPart makes the generator give NHS numbers only from the i-th of n
// equal parts of the 999 test range, so that generators given different
// parts never give the same number: each demo trust has its part, and
// one person's number is never another's at the next trust. Call it
// before the first patient.
func (g *Generator) NHSPart(i, n int) {
	g.nhsPos, g.nhsEnd = i*nhsRange/n, (i+1)*nhsRange/n
}

// NHSNumber returns the next unused NHS number of the 999 test range (of
// the generator's part of it), or "" when all of its valid numbers (all
// 909,091 in the whole range) have been given.
func (g *Generator) NHSNumber() string {
	for g.nhsPos < g.nhsEnd {
		x := (g.nhsStart + g.nhsPos*g.nhsStep) % nhsRange
		g.nhsPos++
		var b [10]byte
		nine := appendPadded(append(b[:0], "999"...), x, 6)
		d, ok := nhs.CheckDigit(string(nine))
		if !ok || x == 999_999 {
			continue
		}
		return string(append(nine, byte('0'+d)))
	}
	return ""
}

// Duplicates lists the deliberate duplicates made so far.
func (g *Generator) Duplicates() []Duplicate { return g.pairs }

// Practices returns the GP practices of the generator's area.
func (g *Generator) Practices() []Practice {
	a := g.Area
	if ps, ok := g.practices[a]; ok {
		return ps
	}
	// Practices depend on the area and the seed, not on how many
	// patients came before: they have a generator of their own.
	rng := rand.New(rand.NewPCG(g.rng.Uint64()^uint64(len(a.Name)), uint64(len(a.Districts))))
	used := map[string]bool{}
	var ps []Practice
	for len(ps) < 36 {
		code := a.PracticePrefix + pad(rng.IntN(1000), 3)
		if used[code] {
			continue
		}
		used[code] = true
		d := a.Districts[rng.IntN(len(a.Districts))]
		var name string
		switch rng.IntN(3) {
		case 0:
			name = d.Locality + " " + pick(rng, practiceKinds)
		case 1:
			name = "The " + pick(rng, streetNames) + " " + pick(rng, practiceKinds)
		default:
			name = pick(rng, streetNames) + " " + pick(rng, streetKinds) + " " + pick(rng, practiceKinds)
		}
		p := Practice{Code: code, Name: name, District: d.Outward}
		for k := 2 + rng.IntN(4); k > 0; k-- {
			grp := pickGroup(rng, a)
			p.GPs = append(p.GPs, GP{Code: "G9" + pad(rng.IntN(1_000_000), 6),
				Name: "Dr " + string(givenFrom(rng, grp, rng.IntN(2) == 0, 1975)[0]) + " " + familyFrom(rng, grp)})
		}
		ps = append(ps, p)
	}
	g.practices[a] = ps
	return ps
}

// Patient returns the next synthetic patient, not yet registered: no ID
// or hospital number. It is valid as on Today.
func (g *Generator) Patient() *crs.Patient {
	if g.area != g.Area {
		g.area, g.recent = g.Area, g.recent[:0]
		h := fnv.New64a()
		h.Write([]byte(g.Area.Name))
		g.areaKey = h.Sum64()
	}
	g.count++
	g.src.Seed(g.seed^g.areaKey, uint64(g.count))
	r := g.r
	if len(g.recent) > 0 && r.Float64() < g.DuplicateRate {
		return g.duplicate()
	}
	p := g.newPatient()
	if len(g.recent) < 1000 {
		g.recent = append(g.recent, p)
	} else {
		g.recent[r.IntN(len(g.recent))] = p
	}
	return p
}

// record returns a new, empty patient record. Records are made a few
// hundred at a time: the demo and the bench keep every patient drawn, and
// one allocation for many is much of what drawing them costs.
func (g *Generator) record() *crs.Patient {
	if len(g.slab) == 0 {
		g.slab = make([]crs.Patient, 256)
	}
	p := &g.slab[0]
	g.slab = g.slab[1:]
	return p
}

// valid reports whether the patient passes the PMI's rules as on Today.
func (g *Generator) valid(p *crs.Patient) bool { return p.Validate(g.Today.Time) == nil }

// newPatient draws a new person, drawing again while the draw is not
// valid. The NHS number is chosen once, so that a draw again does not
// use up a number.
func (g *Generator) newPatient() *crs.Patient {
	num, status := g.nhsNumberFor(g.r.IntN(1000))
	var p *crs.Patient
	for try := 0; try < redraws; try++ {
		p = g.person()
		p.NHSNumber, p.NHSNumberStatus = num, status
		if g.valid(p) {
			break
		}
	}
	return p
}

// nhsNumberFor gives a patient an NHS number and its trace status from a
// draw n of 0 to 999: about 3% without one, 8% not yet traced.
func (g *Generator) nhsNumberFor(n int) (string, nhs.NumberStatus) {
	switch {
	case n < 6:
		return "", nhs.NumberNotRequired
	case n < 30:
		return "", nhs.NumberTraceRequired
	}
	num := g.NHSNumber()
	switch {
	case num == "":
		return "", nhs.NumberTraceRequired // the test range is used up
	case n < 110:
		return num, nhs.NumberNotTraced
	}
	return num, nhs.NumberVerified
}

// person draws who the patient is and where they live, without an NHS
// number.
func (g *Generator) person() *crs.Patient {
	r, a := g.r, g.Area
	p := g.record()

	// Who: ethnicity, age, sex, names.
	p.EthnicCategory = weighted(r, a.Ethnicity)
	grp := groupFor(r, p.EthnicCategory)
	band := 0
	for n, total := r.IntN(sum(ageBands)), 0; band < len(ageBands); band++ {
		if total += ageBands[band]; n < total {
			break
		}
	}
	age := band*5 + r.IntN(5)
	born := g.Today.AddDate(-age-1, 0, 1+r.IntN(365))
	if born.After(g.Today.Time) {
		born = g.Today.Time
	}
	p.BirthDate = crs.DateOf(born)
	male := r.IntN(100) < 49
	switch {
	case r.IntN(1000) == 0:
		p.Gender = "X"
	case male:
		p.Gender = "1"
	default:
		p.Gender = "2"
	}
	p.FamilyName = familyFrom(r, grp)
	p.GivenName = givenFrom(r, grp, male, born.Year())
	if r.IntN(100) < 35 {
		if mid := givenFrom(r, grp, male, born.Year()); mid != p.GivenName {
			p.OtherNames = mid
		}
	}
	realAge := p.BirthDate.AgeOn(g.Today.Time)
	switch {
	case realAge < 16:
	case r.IntN(100) < 2:
		p.Title = "Dr"
	case male:
		p.Title = "Mr"
	case realAge < 25:
		p.Title = pick(r, []string{"Miss", "Ms"})
	default:
		p.Title = pick(r, []string{"Mrs", "Mrs", "Ms", "Miss"})
	}

	// Where: address, telephone, GP.
	d := a.Districts[weightedDistrict(r, a.Districts)]
	street := pick(r, streetNames) + " " + pick(r, streetKinds)
	house := strconv.Itoa(1 + r.IntN(180))
	if r.IntN(100) < 25 {
		p.Address.Lines = []string{"Flat " + strconv.Itoa(1+r.IntN(60)) + ", " + pick(r, blockNames), house + " " + street, d.Locality, d.Town}
	} else {
		p.Address.Lines = []string{house + " " + street, d.Locality, d.Town}
	}
	if d.Locality == d.Town {
		p.Address.Lines = p.Address.Lines[:len(p.Address.Lines)-1]
	}
	p.Address.Postcode = postcode(r, d.Outward)
	if r.IntN(100) < 55 {
		p.Phone = padded(a.Landline, r.IntN(1000), 3)
	}
	if realAge >= 12 && r.IntN(100) < 80 {
		p.Mobile = padded(dramaMobile, r.IntN(1000), 3)
	}
	if realAge >= 16 && r.IntN(100) < 15 {
		p.Email = emailName(p.GivenName) + "." + emailName(p.FamilyName) + strconv.Itoa(r.IntN(100)) + "@" + pick(r, []string{"example.com", "example.org", "example.net"})
	}
	if r.IntN(100) < 30 {
		p.Contacts = []crs.Contact{{Name: givenFrom(r, grp, r.IntN(2) == 0, born.Year()) + " " + p.FamilyName,
			Relationship: pick(r, contactRelations), Phone: padded(dramaMobile, r.IntN(1000), 3)}}
	}
	practices := g.Practices()
	pr := practices[r.IntN(len(practices))]
	for k := 0; k < 3 && pr.District != d.Outward; k++ {
		pr = practices[r.IntN(len(practices))] // most patients register near home
	}
	gp := pr.GPs[r.IntN(len(pr.GPs))]
	p.GPPracticeCode, p.GPPracticeName, p.GPCode, p.GPName = pr.Code, pr.Name, gp.Code, gp.Name

	// A few have died, most of them old.
	if realAge >= 60 && r.IntN(1000) < 4+realAge/10*2 {
		died := g.Today.Add(-time.Duration(1+r.IntN(5*365*24)) * time.Hour)
		if died.After(p.BirthDate.Time) {
			p.DeathTime = &died
		}
	}
	return p
}

// Ways a duplicate registration differs from the original, besides the
// missing NHS number, as Duplicate.How says them.
const (
	HowNHSNumberMissing   = "NHS number missing"
	HowFamilyNameMisspelt = "family name misspelt, NHS number missing"
	HowGivenNameMisspelt  = "given name misspelt, NHS number missing"
	HowBirthDaySwapped    = "day and month of birth swapped, NHS number missing"
)

// duplicate registers an earlier patient again, a little differently,
// and always without an NHS number: a second registration with the same
// number would be refused, and one with another number is another person.
// A day and month of birth that cannot be swapped (a day after the 12th,
// the same day and month, or a swapped date after Today) give a misspelt
// given name instead; a variation that is still not valid gives the
// original without its NHS number, which always is, so every duplicate
// drawn is planted.
func (g *Generator) duplicate() *crs.Patient {
	r := g.r
	orig := g.recent[r.IntN(len(g.recent))]
	p := g.record()
	*p = *orig
	p.Address.Lines = append([]string(nil), orig.Address.Lines...)
	p.Contacts = append([]crs.Contact(nil), orig.Contacts...)
	p.NHSNumber, p.NHSNumberStatus = "", nhs.NumberTraceRequired
	how := HowNHSNumberMissing
	day, month := orig.BirthDate.Day(), int(orig.BirthDate.Month())
	switch r.IntN(3) {
	case 0:
		p.FamilyName = misspell(r, orig.FamilyName)
		how = HowFamilyNameMisspelt
	case 1:
		p.BirthDate = crs.NewDate(orig.BirthDate.Year(), time.Month(day), month)
		how = HowBirthDaySwapped
		if day > 12 || day == month || !g.valid(p) {
			p.BirthDate = orig.BirthDate
			p.GivenName = misspell(r, orig.GivenName)
			how = HowGivenNameMisspelt
		}
	}
	if how != HowNHSNumberMissing && !g.valid(p) {
		p.FamilyName, p.GivenName, p.BirthDate = orig.FamilyName, orig.GivenName, orig.BirthDate
		how = HowNHSNumberMissing
	}
	g.pairs = append(g.pairs, Duplicate{Original: orig, Duplicate: p, How: how})
	return p
}

// misspell makes the kind of slip a clerk makes: a doubled letter made
// single, two letters swapped, or a vowel changed.
func misspell(r *rand.Rand, s string) string {
	b := []byte(s)
	for i := 1; i < len(b); i++ {
		if b[i] == b[i-1] && isLetter(b[i]) {
			return s[:i] + s[i+1:]
		}
	}
	if len(b) >= 4 {
		i := 1 + r.IntN(len(b)-2)
		if isLetter(b[i]) && isLetter(b[i+1]) && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
	}
	for i := len(b) - 1; i > 0; i-- {
		if v := strings.IndexByte("aeiou", b[i]); v >= 0 {
			b[i] = "eiyae"[v] // a>e, e>i, i>y, o>a, u>e
			return string(b)
		}
	}
	return s + "e"
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// groupFor chooses the names a patient of the ethnic category is likely
// to have. Names follow families, not categories, so the mixed and other
// categories borrow from several groups.
func groupFor(r *rand.Rand, cat string) *nameGroup {
	switch cat {
	case "B":
		return &irishNames
	case "C":
		return &otherWhiteNames
	case "D":
		return pickGroupOf(r, nil, &caribbeanNames)
	case "E":
		return pickGroupOf(r, nil, &africanNames)
	case "F":
		return pickGroupOf(r, nil, &indianNames, &pakistaniNames)
	case "G":
		return pickGroupOf(r, nil, &otherNames, &caribbeanNames)
	case "H":
		return &indianNames
	case "J":
		return &pakistaniNames
	case "K":
		return &bangladeshiNames
	case "L":
		return pickGroupOf(r, &indianNames, &otherNames)
	case "M":
		return &caribbeanNames
	case "N", "P":
		return &africanNames
	case "R":
		return &chineseNames
	case "S":
		return &otherNames
	case "Z", "99":
		return pickGroupOf(r, nil, nil, &bangladeshiNames, &otherWhiteNames)
	}
	return nil // British
}

// pickGroupOf chooses one of the groups; nil means British names.
func pickGroupOf(r *rand.Rand, gs ...*nameGroup) *nameGroup { return gs[r.IntN(len(gs))] }

// pickGroup chooses a name group in the proportions of the area.
func pickGroup(r *rand.Rand, a *Area) *nameGroup { return groupFor(r, weighted(r, a.Ethnicity)) }

// familyFrom picks a family name of the group; British names are drawn
// with the most common most often, and one in six from the long tail of
// place names.
func familyFrom(r *rand.Rand, g *nameGroup) string {
	if g != nil {
		return pick(r, g.family)
	}
	if r.IntN(6) == 0 {
		return pick(r, placeFamilyStarts) + pick(r, placeFamilyEnds)
	}
	// Zipf-like: the k-th name about 1/(k+8) as often as the first.
	n := len(britishFamily)
	x := r.Float64()
	k := int(float64(n+8)*math.Pow(float64(9)/float64(n+8), 1-x)) - 9
	return britishFamily[min(max(k, 0), n-1)]
}

// givenFrom picks a given name of the group for someone born in year.
func givenFrom(r *rand.Rand, g *nameGroup, male bool, year int) string {
	if g != nil {
		if male {
			return pick(r, g.male)
		}
		return pick(r, g.female)
	}
	i := min(max((year-1920)/10, 0), len(britishGiven)-1)
	// A name is as often from the decade before or after.
	if j := i + r.IntN(3) - 1; j >= 0 && j < len(britishGiven) {
		i = j
	}
	if male {
		return pick(r, britishGiven[i].male)
	}
	return pick(r, britishGiven[i].female)
}

// inwardLetters are the letters used in the inward code of a postcode.
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

// postcode returns a postcode of the outward code with a valid-format
// inward code: a digit and two letters.
func postcode(r *rand.Rand, outward string) string {
	var b [12]byte
	return string(append(append(b[:0], outward...), ' ', byte('0'+r.IntN(10)),
		inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))]))
}

// dramaMobile begins the mobile numbers Ofcom keeps for drama.
const dramaMobile = "07700 900"

// emailName folds a name to the letters an e-mail address would use.
func emailName(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' {
			b = append(b, byte(c))
		}
	}
	return string(b)
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func weighted(r *rand.Rand, ws []Weighted) string {
	total := 0
	for _, w := range ws {
		total += w.Weight
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n -= w.Weight; n < 0 {
			return w.Code
		}
	}
	return ws[len(ws)-1].Code
}

func weightedDistrict(r *rand.Rand, ds []District) int {
	total := 0
	for _, d := range ds {
		total += d.Weight
	}
	n := r.IntN(total)
	for i, d := range ds {
		if n -= d.Weight; n < 0 {
			return i
		}
	}
	return len(ds) - 1
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// pad writes n in at least width digits.
func pad(n, width int) string { return padded("", n, width) }

// padded writes prefix and then n in at least width digits.
func padded(prefix string, n, width int) string {
	var b [32]byte
	return string(appendPadded(append(b[:0], prefix...), n, width))
}

// appendPadded appends n, not negative, in at least width digits.
func appendPadded(b []byte, n, width int) []byte {
	var d [20]byte
	i := len(d)
	for first := true; first || n > 0 || len(d)-i < width; first = false {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[i:]...)
}
