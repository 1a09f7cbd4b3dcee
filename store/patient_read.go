package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/nhs"
)

// FindPatient returns a patient of the actor's trust. The read is
// audited.
func (s *PatientService) FindPatient(ctx context.Context, a crs.Actor, id string) (*crs.Patient, error) {
	var p *crs.Patient
	err := s.db.View(ctx, a, crs.ActViewDemographics, id, "demographics", func(q Querier) error {
		var err error
		p, err = scanPatient(q.QueryRowContext(ctx, `SELECT `+patientColumns+` FROM patients WHERE `+patientByID, id, a.OrgID))
		return err
	})
	return p, err
}

// FindPatientByIdentifier returns the live patient holding an NHS number
// or hospital number: a merged record is followed to the record it was
// merged into. The read is audited.
func (s *PatientService) FindPatientByIdentifier(ctx context.Context, a crs.Actor, kind, value string) (*crs.Patient, error) {
	switch kind {
	case "nhs":
		n, err := nhs.ParseNumber(value)
		if err != nil {
			return nil, crs.FieldErrorf("nhs_number", "NHS number %s %s", value, err)
		}
		value = n
	case "mrn":
		value = strings.ToUpper(strings.TrimSpace(value))
	default:
		return nil, crs.Errorf(crs.EINVALID, "identifier kind %q is not nhs or mrn", kind)
	}
	if err := a.Authorize(crs.ActViewDemographics); err != nil {
		s.db.refused(a, crs.ActViewDemographics)
		return nil, err
	}
	// The holder now (the live record, else the one merged first), else
	// the record that held the number before: the inbound look-up's query.
	q := s.db.read
	p, err := scanPatient(q.QueryRowContext(ctx, findByIdentifierSQL[s.db.dialect.name][kind], a.OrgID, value, kind))
	for hops := 0; err == nil && p.Merged() && hops < 10; hops++ {
		p, err = scanPatient(q.QueryRowContext(ctx, `SELECT `+patientColumns+` FROM patients WHERE `+patientByID, p.MergedInto, a.OrgID))
	}
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.ENOTFOUND, "no patient with %s %s", map[string]string{"nhs": "NHS number", "mrn": "hospital number"}[kind], value)
	}
	if err != nil {
		return nil, err
	}
	s.db.Audit(a, p.ID, crs.AuditView, "demographics (found by "+kind+")")
	return p, nil
}

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// listedPatientColumns are the columns of a patient a search reads: what
// the result list shows and match.Rank weighs, not the contacts, GP and
// address lines only the record page shows.
const listedPatientColumns = `id, org_id, mrn, nhs_number, nhs_status, title, given_name, other_names, family_name,
	birth_date, gender, postcode, death_time, merged_into, inactive`

// scanListedPatient reads a row of listedPatientColumns.
func scanListedPatient(r scanner) (*crs.Patient, error) {
	var p crs.Patient
	var status, birth, death string
	if err := r.Scan(&p.ID, &p.OrgID, &p.MRN, &p.NHSNumber, &status, &p.Title, &p.GivenName, &p.OtherNames, &p.FamilyName,
		&birth, &p.Gender, &p.Address.Postcode, &death, &p.MergedInto, &p.Inactive); err != nil {
		return nil, notFound(err, "no such patient")
	}
	p.NHSNumberStatus = nhs.NumberStatus(status)
	p.BirthDate = parseDate(birth)
	if death != "" {
		t := parseTime(death)
		p.DeathTime = &t
	}
	return &p, nil
}

// DefaultCandidateLimit is how many patients a search by name alone reads
// to rank when more match, unless PatientService.CandidateLimit says.
const DefaultCandidateLimit = 500

// SearchPatients finds patients of the actor's trust, best first. An NHS
// number or hospital number finds that patient; names find patients by
// exact name, by names that start with what was typed and by names that
// sound alike, narrowed by date of birth, postcode and gender. All matches
// are counted; the page q.Offset, q.Limit of them is returned.
func (s *PatientService) SearchPatients(ctx context.Context, a crs.Actor, q crs.PatientQuery) (*crs.PatientResults, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		s.db.refused(a, crs.ActSearchPatients)
		return nil, err
	}
	q.ParseText()
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, crs.MaxPatientResults)
	q.Offset = max(0, q.Offset)
	if q.NHSNumber != "" {
		n, err := nhs.ParseNumber(q.NHSNumber)
		if err != nil {
			return nil, crs.FieldErrorf("nhs_number", "NHS number %s %s", q.NHSNumber, err)
		}
		q.NHSNumber = n
	}
	var cands []*crs.Patient
	// addN reads candidates and says how many it read.
	addN := func(sqlText string, args ...any) (int, error) {
		ps, err := queryRows(ctx, s.db.read, scanListedPatient, sqlText, args...)
		cands = append(cands, ps...)
		return len(ps), err
	}
	add := func(sqlText string, args ...any) error {
		_, err := addN(sqlText, args...)
		return err
	}
	sel := `SELECT ` + listedPatientColumns + ` FROM patients WHERE org_id = $1 AND `
	total := -1 // -1: every candidate read is a match
	var err error
	switch {
	case q.NHSNumber != "":
		err = add(sel+`nhs_number = $2`, a.OrgID, q.NHSNumber)
	case q.MRN != "":
		q.MRN = strings.ToUpper(q.MRN)
		err = add(sel+`mrn = $2`, a.OrgID, q.MRN)
	case q.NamePart != "":
		err = searchNamePart(q, sel, a.OrgID, add)
	case q.FamilyName != "":
		fam := match.Normalize(q.FamilyName)
		if fam == "" {
			break
		}
		if !q.BirthDate.IsZero() {
			// Few patients share a birthday (a hundred in a trust of two
			// million): read them all and keep the names alike.
			err = add(sel+`birth_date = $2`, a.OrgID, formatDate(q.BirthDate))
			kept := cands[:0]
			for _, p := range cands {
				if match.Alike(fam, p.FamilyName) || strings.HasPrefix(familyPart(p.FamilyName), fam) {
					kept = append(kept, p)
				}
			}
			cands = kept
		} else {
			need := s.CandidateLimit
			if need <= 0 {
				need = DefaultCandidateLimit
			}
			if onlyFamily(q) || match.Normalize(q.GivenName) != "" {
				// Every patient of one family name ranks the same but for
				// the tie-breaks, which the read's order follows: the page
				// asked for is the first patients of the closest names.
				// With a given name, the names' scores say which patients
				// can rank on the page (readBestNames).
				need = 0
			}
			total, err = s.searchNames(ctx, a.OrgID, q, max(need, q.Offset+q.Limit), addN)
		}
	case !q.BirthDate.IsZero():
		err = add(sel+`birth_date = $2`, a.OrgID, formatDate(q.BirthDate))
	default:
		return nil, crs.FieldErrorf("q", "type an NHS number, a hospital number, or a family name (with a date of birth or postcode to narrow it)")
	}
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(cands))
	out := make([]crs.PatientMatch, 0, len(cands))
	rank := match.NewRanker(q)
	for _, p := range cands {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		score, why := rank.Rank(p)
		out = append(out, crs.PatientMatch{Patient: p, Score: score, Reasons: why})
	}
	rank.Sort(out)
	if total < 0 {
		total = len(out)
	}
	res := &crs.PatientResults{Total: total, Offset: q.Offset}
	if q.Offset < len(out) {
		res.Matches = out[q.Offset:min(len(out), q.Offset+q.Limit)]
	}
	s.db.Audit(a, "", crs.AuditSearch, searchDetail(q, total))
	ids := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		ids[i] = m.Patient.ID
	}
	s.db.recordListed(a, ids, "search result")
	return res, nil
}

// searchNames finds the candidates of a search by name without a date of
// birth: patients whose family name sounds like the one typed or is spelt
// like it (match.Alike; spelt alike is looked for among the names that
// begin with the same letter, once four letters are typed), and those
// whose family (or the last part of a family name of several) and given
// names start with what was typed. It counts them
// by family name first, then reads the names closest to the one typed
// until it holds need patients, so that a common name does not crowd the
// closest spellings out. It returns how many patients match in all.
func (s *PatientService) searchNames(ctx context.Context, orgID string, q crs.PatientQuery, need int, add func(string, ...any) (int, error)) (int, error) {
	fam, given := match.Normalize(q.FamilyName), match.Normalize(q.GivenName)
	type name struct {
		norm  string
		n     int
		whole bool // alike whatever the given name, so every patient of it counts
	}
	names := map[string]*name{}
	alike := match.AlikeTo(fam)
	count := func(whole bool, sqlText string, args ...any) error {
		rows, err := s.db.read.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var nm name
			if err := rows.Scan(&nm.norm, &nm.n); err != nil {
				return err
			}
			if whole && !alike(nm.norm) {
				continue
			}
			nm.whole = whole
			// A name found both ways counts with every given name.
			if old := names[nm.norm]; old == nil || whole {
				names[nm.norm] = &nm
			}
		}
		return rows.Err()
	}
	err := count(false, `SELECT family_norm, COUNT(*) FROM patients WHERE org_id = $1 AND family_norm >= $2 AND family_norm < $3
		AND given_norm >= $4 AND given_norm < $5 GROUP BY family_norm`, orgID, fam, fam+"\uffff", given, given+"\uffff")
	if err == nil && fam != "" {
		// A family name of several parts whose last starts with the
		// name typed (Quinones: Carreno Quinones), through
		// patients_family_part.
		err = count(false, `SELECT family_norm, COUNT(*) FROM patients WHERE org_id = $1 AND family_part_norm <> ''
			AND family_part_norm >= $2 AND family_part_norm < $3 AND given_norm >= $4 AND given_norm < $5 GROUP BY family_norm`,
			orgID, fam, fam+"\uffff", given, given+"\uffff")
	}
	if err == nil {
		err = count(true, `SELECT family_norm, COUNT(*) FROM patients WHERE org_id = $1 AND family_key = $2 GROUP BY family_norm`, orgID, match.Key(fam))
	}
	// Names spelt alike are looked for once four letters are typed: the
	// first letters of a name still being typed find it by prefix and
	// sound, and a shorter scan answers each key press.
	first := string([]rune(fam)[:1])
	if err == nil && len([]rune(fam)) >= 4 {
		err = count(true, `SELECT family_norm, COUNT(*) FROM patients WHERE org_id = $1 AND family_norm >= $2 AND family_norm < $3
			GROUP BY family_norm`, orgID, first, first+"\uffff")
	}
	if err != nil {
		return 0, err
	}
	order := make([]*name, 0, len(names))
	total := 0
	for _, nm := range names {
		order = append(order, nm)
		total += nm.n
	}
	closeness := map[string]float64{}
	for _, nm := range order {
		closeness[nm.norm] = match.Closeness(fam, nm.norm)
	}
	sort.Slice(order, func(i, j int) bool {
		ci, cj := closeness[order[i].norm], closeness[order[j].norm]
		if ci != cj {
			return ci > cj
		}
		return order[i].norm < order[j].norm
	})
	if given != "" {
		var whole, starts []string
		for _, nm := range order {
			if nm.whole {
				whole = append(whole, nm.norm)
			} else {
				starts = append(starts, nm.norm)
			}
		}
		return total, readBestNames(ctx, s.db.read, orgID, q, whole, starts, need, add)
	}
	// With a family name alone, every patient of one name ranks the same
	// but for the tie-breaks, given name first: of a name too common to
	// read whole, the first by given name are enough.
	onlyFamily := onlyFamily(q)
	var whole, starts []any
	read := 0
	for _, nm := range order {
		if read >= need {
			break
		}
		if onlyFamily && read+nm.n > need {
			// The live records first: a merged one ranks below them.
			for _, merged := range []string{"=", "<>"} {
				n, err := add(`SELECT `+listedPatientColumns+` FROM patients WHERE org_id = $1 AND family_norm = $2 AND merged_into `+merged+` ''
					ORDER BY given_norm, birth_date, id LIMIT $3`, orgID, nm.norm, need-read)
				if err != nil {
					return 0, err
				}
				if read += n; read >= need {
					break
				}
			}
			break
		}
		read += nm.n
		if nm.whole {
			whole = append(whole, nm.norm)
		} else {
			starts = append(starts, nm.norm)
		}
	}
	sel := `SELECT ` + listedPatientColumns + ` FROM patients WHERE org_id = $1 AND family_norm IN `
	for len(whole) > 0 {
		chunk := whole[:min(len(whole), 500)]
		whole = whole[len(chunk):]
		if _, err := add(sel+inList(2, len(chunk)), append([]any{orgID}, chunk...)...); err != nil {
			return 0, err
		}
	}
	for len(starts) > 0 {
		chunk := starts[:min(len(starts), 500)]
		starts = starts[len(chunk):]
		args := append([]any{orgID, given, given + "\uffff"}, chunk...)
		if _, err := add(sel+inList(4, len(chunk))+` AND given_norm >= $2 AND given_norm < $3`, args...); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// nameParts are the columns a search by a part of a name reads, each
// with the part of a FHIR HumanName it is (crs.PatientQuery.NameOf) and
// whether it holds the name as written (lower-cased by its index,
// patients_other_names or patients_title, migration 0116) rather than
// normalised: the family name, the first given name, the middle names
// (given names too) and the title (a name's prefix, found by name
// alone), and the last part of a family name of several
// (family_part_norm, kept for those alone: a name that contains the
// part typed is found by family_norm already).
var nameParts = []struct {
	col, of         string
	written, starts bool
}{
	{"family_norm", "family", false, false},
	{"family_part_norm", "family", false, true},
	{"given_norm", "given", false, false},
	{"other_names", "given", true, false},
	{"title", "prefix", true, false},
}

// searchNamePart reads the candidates of a search by a part of a name
// (crs.PatientQuery.NamePart): the patients whose family name (or its
// last part), first given name, first middle name or title starts with
// it, by patients_family_norm, patients_family_part,
// patients_given_norm, patients_other_names and patients_title, or, to find the names that contain it, by a scan of
// the trust's patients. Each read holds at most one more than the page
// asked for, so that a search finding more than the page says so: its
// total is past the page's end.
func searchNamePart(q crs.PatientQuery, sel, orgID string, add func(string, ...any) error) error {
	norm := match.Normalize(q.NamePart)
	if norm == "" {
		return nil
	}
	n := q.Offset + q.Limit + 1
	for _, np := range nameParts {
		if q.NameOf != "" && np.of != q.NameOf || np.starts && q.NameContains {
			continue
		}
		col, part, where := np.col, norm, ""
		if np.starts {
			where = np.col + ` <> '' AND `
		}
		if np.written {
			// As written, lower-cased as its partial index holds it.
			col, part, where = "lower("+np.col+")", strings.ToLower(strings.TrimSpace(q.NamePart)), np.col+` <> '' AND `
		}
		var err error
		if q.NameContains {
			// A normalised name holds letters alone, none of LIKE's own;
			// one as written is matched with them escaped.
			err = add(sel+where+col+` LIKE $2 ESCAPE '\' ORDER BY id LIMIT $3`, orgID, "%"+likeEscape(part)+"%", n)
		} else {
			err = add(sel+where+col+` >= $2 AND `+col+` < $3 ORDER BY `+col+`, id LIMIT $4`, orgID, part, part+"\uffff", n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readBestNames reads, of the patients of the family names whole (with
// any given name) and starts (with a given name that starts with the one
// typed), those that can rank among the first need of a search by family
// and given name. A patient's names fix their score but for Spread
// (match.Ranker.NameScore), so it counts the patients of each family and
// given name from the index of names, then reads the pairs best first
// until it holds need patients and the pairs left score too little, even
// with the whole of Spread, to rank beside them; a common family name is
// no longer read whole for the few of its patients with the given name
// typed.
func readBestNames(ctx context.Context, q Querier, orgID string, pq crs.PatientQuery, whole, starts []string, need int, add func(string, ...any) (int, error)) error {
	given := match.Normalize(pq.GivenName)
	rank := match.NewRanker(pq)
	type pair struct {
		family, given string
		n             int
		score         float64
	}
	var pairs []pair
	count := func(sqlText string, args ...any) error {
		return eachRow(ctx, q, func(r scanner) error {
			var p pair
			if err := r.Scan(&p.family, &p.given, &p.n); err != nil {
				return err
			}
			p.score = rank.NameScore(p.family, p.given)
			pairs = append(pairs, p)
			return nil
		}, sqlText, args...)
	}
	sel := `SELECT family_norm, given_norm, COUNT(*) FROM patients WHERE org_id = $1 AND family_norm IN `
	for len(whole) > 0 {
		chunk := whole[:min(len(whole), 500)]
		whole = whole[len(chunk):]
		args := []any{orgID}
		for _, f := range chunk {
			args = append(args, f)
		}
		if err := count(sel+inList(2, len(chunk))+` GROUP BY family_norm, given_norm`, args...); err != nil {
			return err
		}
	}
	for len(starts) > 0 {
		chunk := starts[:min(len(starts), 500)]
		starts = starts[len(chunk):]
		args := []any{orgID, given, given + "\uffff"}
		for _, f := range chunk {
			args = append(args, f)
		}
		if err := count(sel+inList(4, len(chunk))+` AND given_norm >= $2 AND given_norm < $3 GROUP BY family_norm, given_norm`, args...); err != nil {
			return err
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		a, b := pairs[i], pairs[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.family != b.family {
			return a.family < b.family
		}
		return a.given < b.given
	})
	// Once need patients are held, floor is the least score any of them
	// can have; a pair whose best is a whole point below it (so below
	// after rounding, away from the 0 and 99 the score is held within)
	// cannot rank among them, nor can any pair after it.
	above, below := rank.Spread()
	floor, held := 0.0, 0
	var families []string
	givens := map[string][]any{}
	for _, p := range pairs {
		if top := p.score + above; held >= need && floor >= 1.5 && top < 98.5 && top+1 <= floor {
			break
		}
		if _, ok := givens[p.family]; !ok {
			families = append(families, p.family)
		}
		givens[p.family] = append(givens[p.family], p.given)
		if held < need && held+p.n >= need {
			floor = p.score - below
		}
		held += p.n
	}
	for _, f := range families {
		gs := givens[f]
		for len(gs) > 0 {
			chunk := gs[:min(len(gs), 500)]
			gs = gs[len(chunk):]
			if _, err := add(`SELECT `+listedPatientColumns+` FROM patients WHERE org_id = $1 AND family_norm = $2 AND given_norm IN `+inList(3, len(chunk)),
				append([]any{orgID, f}, chunk...)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// onlyFamily reports whether a search by name gives the family name
// alone, so that its ranking is by family name and the tie-breaks.
func onlyFamily(q crs.PatientQuery) bool {
	return q.GivenName == "" && q.BirthDate.IsZero() && q.Postcode == "" && q.Gender == ""
}

// inList writes n numbered placeholders from $first: ($2, $3, $4).
func inList(first, n int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + itoa(first+i))
	}
	b.WriteByte(')')
	return b.String()
}

// searchDetail describes a search for the audit trail by which fields it
// used, never their values: the trail says a search happened, and each
// record opened from it is audited on its own.
func searchDetail(q crs.PatientQuery, n int) string {
	var f []string
	for _, x := range []struct {
		set  bool
		name string
	}{{q.NHSNumber != "", "NHS number"}, {q.MRN != "", "hospital number"}, {q.FamilyName != "", "family name"}, {q.NamePart != "", "part of a name"},
		{q.GivenName != "", "given name"}, {!q.BirthDate.IsZero(), "date of birth"}, {q.Postcode != "", "postcode"}, {q.Gender != "", "gender"}} {
		if x.set {
			f = append(f, x.name)
		}
	}
	return "search by " + strings.Join(f, ", ") + ": " + itoa(n) + " results"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// FindDuplicates scores the trust's live patients against p and returns
// those at or above match.Likely, best first. It reads those with the same
// NHS number, the same date of birth, or the same sounding family name and
// postcode.
func (s *PatientService) FindDuplicates(ctx context.Context, a crs.Actor, p *crs.Patient) ([]crs.PatientMatch, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		return nil, err
	}
	out, err := findDuplicates(ctx, s.db.read, a.OrgID, p)
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		s.db.Audit(a, m.Patient.ID, crs.AuditView, "shown as a possible duplicate")
	}
	return out, nil
}

// PatientHistory lists the events of the patient's record, newest first,
// ending with the bulk load's event for a patient the PMI load registered.
func (s *PatientService) PatientHistory(ctx context.Context, a crs.Actor, id string) ([]*crs.Event, error) {
	var out []*crs.Event
	err := s.db.View(ctx, a, crs.ActViewDemographics, id, "history", func(q Querier) error {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE `+patientByID, id, a.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			// A record deleted keeps its history, the deletion last.
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE org_id = $1 AND patient_id = $2 AND type = '`+crs.EventPatientDeleted+`'`, a.OrgID, id).Scan(&n); err != nil {
				return err
			}
		}
		if n == 0 {
			return crs.Errorf(crs.ENOTFOUND, "no such patient")
		}
		var err error
		if out, err = FindEvents(ctx, q, a.OrgID, "patient_id = $2", id); err != nil {
			return err
		}
		// A patient registered by a bulk load starts from the load's
		// event, which names the batch rather than one patient.
		loaded, err := FindEvents(ctx, q, a.OrgID, `id IN (SELECT au.event_id FROM patients p
			JOIN audit au ON au.org_id = p.org_id AND au.id = p.load_audit_id WHERE p.org_id = $1 AND p.id = $2 AND p.load_audit_id <> '')`, id)
		out = append(out, loaded...)
		return err
	})
	return out, err
}

// patientVersionEvents are the events that carry a version of a patient's
// record: the condition of the partial index events_patient_versions
// (migration 0115), written as the index states it so that both engines
// see it serves the query.
const patientVersionEvents = `type IN ('patient.registered', 'patient.updated', 'patient.died', 'patient.merged', 'patient.unmerged', 'patient.deleted')`

// PatientChanges lists the events that carry a version of the trust's
// patients' records, newest first: recorded at or after since, with an
// id before before ("" for the newest), at most count. The list is
// audited as a view of the trust's patient history.
func (s *PatientService) PatientChanges(ctx context.Context, a crs.Actor, since time.Time, before string, count int) ([]*crs.Event, error) {
	return s.PatientChangesAt(ctx, a, since, crs.Period{}, crs.HistoryPlace{Before: before}, count)
}

// PatientChangesAt is PatientChanges keeping the events whose version
// was current at some time in at: a version is current from its event
// until the patient's next event that carries one.
func (s *PatientService) PatientChangesAt(ctx context.Context, a crs.Actor, since time.Time, at crs.Period, place crs.HistoryPlace, count int) ([]*crs.Event, error) {
	var out []*crs.Event
	err := s.db.View(ctx, a, crs.ActViewDemographics, "", "patient history", func(q Querier) error {
		where, args := patientVersionEvents, []any{a.OrgID} // $1, the trust
		arg := paramAdder(&args)
		if place.Before != "" {
			where += " AND id < " + arg(place.Before)
		}
		if place.After != "" {
			where += " AND id > " + arg(place.After)
		}
		if !since.IsZero() {
			where += " AND recorded_at >= " + arg(formatTime(since))
		}
		if !at.End.IsZero() {
			where += " AND recorded_at < " + arg(formatTime(at.End))
		}
		if !at.Start.IsZero() {
			where += ` AND NOT EXISTS (SELECT 1 FROM events n WHERE n.org_id = events.org_id AND n.patient_id = events.patient_id
				AND n.` + patientVersionEvents + ` AND n.id > events.id AND n.recorded_at <= ` + arg(formatTime(at.Start)) + `)`
		}
		var err error
		query := eventsSQL(where, count)
		if place.After != "" {
			// The page newer than one seen: the events nearest after it.
			query = eventsOldestSQL(where, count)
		}
		if out, err = queryRows(ctx, q, scanEvent, query, args...); err != nil {
			return err
		}
		loaded, err := loadedUnchanged(ctx, q, a.OrgID, since, at, place, count)
		if err != nil {
			return err
		}
		out = append(out, loaded...)
		// Newest first, the count nearest the place.
		slices.SortFunc(out, func(x, y *crs.Event) int { return strings.Compare(y.ID, x.ID) })
		if count > 0 && len(out) > count {
			if place.After != "" {
				out = out[len(out)-count:]
			} else {
				out = out[:count]
			}
		}
		return nil
	})
	return out, err
}

// loadedUnchanged lists, newest first and as PatientChangesAt's events,
// the first versions of the patients a bulk load of the patient index
// registered (its one event stands for its whole batch, and carries no
// record) that no change has followed: each the record as it stands,
// a registration at the load, keyed by the patient's id, which is
// time-ordered as events' ids are. A loaded patient changed since
// shows from its first change, as its own history does.
func loadedUnchanged(ctx context.Context, q Querier, orgID string, since time.Time, at crs.Period, place crs.HistoryPlace, count int) ([]*crs.Event, error) {
	query, args := loadedUnchangedSQL(orgID, since, at, place, count)
	pats, err := queryRows(ctx, q, scanPatient, query, args...)
	if err != nil {
		return nil, err
	}
	out := make([]*crs.Event, len(pats))
	for i, p := range pats {
		data, err := json.Marshal(patientEventData{Patient: p})
		if err != nil {
			return nil, err
		}
		out[i] = &crs.Event{ID: p.ID, OrgID: p.OrgID, Type: crs.EventPatientRegistered, PatientID: p.ID, SubjectID: p.ID,
			RecordedAt: p.CreatedAt, EffectiveAt: p.CreatedAt, Summary: "Registered by a load of the patient index with hospital number " + p.MRN, Data: data}
	}
	return out, nil
}

// loadedUnchangedSQL is loadedUnchanged's query and its arguments.
func loadedUnchangedSQL(orgID string, since time.Time, at crs.Period, place crs.HistoryPlace, count int) (string, []any) {
	// The condition of the partial index patients_loaded (migration
	// 0152), written as the index states it so that both engines see it
	// serves the query.
	where, args := `org_id = $1 AND load_audit_id <> '' AND version = 1`, []any{orgID}
	arg := paramAdder(&args)
	if place.Before != "" {
		where += " AND id < " + arg(place.Before)
	}
	dir := "DESC"
	if place.After != "" {
		where += " AND id > " + arg(place.After)
		dir = "ASC"
	}
	if !since.IsZero() {
		where += " AND created_at >= " + arg(formatTime(since))
	}
	if !at.End.IsZero() {
		where += " AND created_at < " + arg(formatTime(at.End))
	}
	query := `SELECT ` + patientColumns + ` FROM patients WHERE ` + where + ` ORDER BY id ` + dir
	if count > 0 {
		query += " LIMIT " + itoa(count)
	}
	return query, args
}

// FindEvents reads events of an organisation matching where (which may use
// $2 onwards), newest first.
func FindEvents(ctx context.Context, q Querier, orgID, where string, args ...any) ([]*crs.Event, error) {
	return findEvents(ctx, q, orgID, where, 0, args...)
}

// findEvents is FindEvents of at most limit events (0 for every one).
func findEvents(ctx context.Context, q Querier, orgID, where string, limit int, args ...any) ([]*crs.Event, error) {
	return queryRows(ctx, q, scanEvent, eventsSQL(where, limit), append([]any{orgID}, args...)...)
}

// scanEvent reads a row of eventsSQL.
func scanEvent(r scanner) (*crs.Event, error) {
	var e crs.Event
	var role, rec, eff, data string
	err := r.Scan(&e.ID, &e.OrgID, &e.Type, &e.PatientID, &e.SubjectID, &e.UserID, &e.Username, &role, &rec, &eff, &e.Summary, &data)
	e.Role, e.RecordedAt, e.EffectiveAt, e.Data = crs.Role(role), parseTime(rec), parseTime(eff), []byte(data)
	return &e, err
}

// eventsSQL reads the events of the trust $1 matching where, newest
// first, at most limit (0 for every one).
func eventsSQL(where string, limit int) string { return eventsOrderedSQL(where, "DESC", limit) }

// eventsOldestSQL is eventsSQL oldest first.
func eventsOldestSQL(where string, limit int) string { return eventsOrderedSQL(where, "ASC", limit) }

func eventsOrderedSQL(where, dir string, limit int) string {
	tail := ""
	if limit > 0 {
		tail = " LIMIT " + itoa(limit)
	}
	return `SELECT id, org_id, type, patient_id, subject_id, user_id, username, role, recorded_at, effective_at, summary, data
		FROM events WHERE org_id = $1 AND ` + where + ` ORDER BY id ` + dir + tail
}

// ScanPatients lists the trust's patients in id order, a page at a time.
func (s *PatientService) ScanPatients(ctx context.Context, a crs.Actor, q crs.PatientScan) ([]*crs.Patient, string, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		s.db.refused(a, crs.ActSearchPatients)
		return nil, "", err
	}
	q = scanLimited(q)
	query, args, err := scanPatientsSQL(a.OrgID, q)
	if err != nil {
		return nil, "", err
	}
	rows, err := queryRows(ctx, s.db.read, scanPatient, query, args...)
	if err != nil {
		return nil, "", err
	}
	page, next := pageOf(rows, q.Limit, func(p *crs.Patient) []string { return scanCursor(q, p) })
	ids := make([]string, len(page))
	for i, p := range page {
		ids[i] = p.ID
	}
	order := scanOrder(q)
	if q.For != "" {
		// The caller shows the matches, each read whole and audited so.
		s.db.Audit(a, "", crs.AuditSearch, "read patients in "+order+" order for "+q.For+": "+itoa(len(page))+", those matching shown")
		return page, next, nil
	}
	s.db.Audit(a, "", crs.AuditSearch, "list patients in "+order+" order: "+itoa(len(page))+" results")
	s.db.recordListed(a, ids, "patient list")
	return page, next, nil
}

// scanPatientsSQL is the query of the page of q (its limit set) of the
// trust's patients, one more than the limit, with its arguments: in id
// order through patients_org_id, by birth date through
// patients_birth_date (org_id, birth_date, id), by folded family name
// through patients_family_fold (org_id, family_fold, id), or by folded
// given name through patients_given_fold_first (org_id,
// given_fold_first, id), from the last through patients_given_fold_last,
// from the cursor on.
func scanPatientsSQL(orgID string, q crs.PatientScan) (string, []any, error) {
	args := []any{orgID}
	rest, err := scanPatientsRest(q, "", paramAdder(&args))
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + patientColumns + ` FROM patients` + rest, args, nil
}

// scanPatientsRest is the WHERE, ORDER BY and LIMIT of the page of q of
// the trust's patients ($1 the trust), its columns named with the
// table's alias t ("" or "p."): see scanPatientsSQL.
func scanPatientsRest(q crs.PatientScan, t string, arg func(any) string) (string, error) {
	order := keyset{keys: []string{t + "id"}}
	where := ""
	name := ""
	switch {
	case q.ByFamily:
		name = t + "family_fold"
	case q.ByGiven && q.Desc:
		name = t + "given_fold_last"
	case q.ByGiven:
		name = t + "given_fold_first"
	}
	if name != "" {
		// The cursor is the name and the id after its last "|": a name
		// may hold one.
		order = keyset{keys: []string{name, t + "id"}, desc: q.Desc}
		if q.After != "" {
			i := strings.LastIndex(q.After, "|")
			if i < 0 {
				return "", crs.FieldErrorf("cursor", "the page cursor is not valid")
			}
			folded, id := q.After[:i], q.After[i+1:]
			bound, past := " >= ", " > "
			if q.Desc {
				bound, past = " <= ", " < "
			}
			// The name's bound as well as the pair's, so that each engine
			// starts its range of the index at the cursor.
			where = " AND " + name + bound + arg(folded) + " AND (" + name + ", " + t + "id)" + past + "(" + arg(folded) + ", " + arg(id) + ")"
		}
		return ` WHERE ` + t + `org_id = $1` + where + order.orderBy() + ` LIMIT ` + arg(q.Limit+1), nil
	}
	if q.ByBirth {
		order = keyset{keys: []string{t + "birth_date", t + "id"}, desc: q.Desc}
		if born, _, ok := strings.Cut(q.After, "|"); ok {
			// The date's bound as well as the pair's, so that each
			// engine starts its range of the index at the cursor.
			bound := " >= "
			if q.Desc {
				bound = " <= "
			}
			where = " AND " + t + "birth_date" + bound + arg(born)
		} else if q.After != "" {
			return "", crs.FieldErrorf("cursor", "the page cursor is not valid")
		}
		if !q.BornFrom.IsZero() {
			where += " AND " + t + "birth_date >= " + arg(formatDate(q.BornFrom))
		}
		if !q.BornBefore.IsZero() {
			where += " AND " + t + "birth_date < " + arg(formatDate(q.BornBefore))
		}
	}
	after, err := order.after(q.After, arg)
	if err != nil {
		return "", err
	}
	return ` WHERE ` + t + `org_id = $1` + where + after + order.orderBy() + ` LIMIT ` + arg(q.Limit+1), nil
}

// scanLimited is q with its page's size within what a scan reads at
// once: 20 when none is given, 1,000 at most.
func scanLimited(q crs.PatientScan) crs.PatientScan {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, 1000)
	return q
}

// scanCursor is the cursor of a patient of a page of q, which the page
// after it resumes from.
func scanCursor(q crs.PatientScan, p *crs.Patient) []string {
	switch {
	case q.ByBirth:
		return []string{formatDate(p.BirthDate), p.ID}
	case q.ByFamily:
		return []string{match.Fold(p.FamilyName), p.ID}
	case q.ByGiven:
		first, last := givenFolds(p)
		if q.Desc {
			return []string{last, p.ID}
		}
		return []string{first, p.ID}
	}
	return []string{p.ID}
}

// scanOrder names the order of a scan of q in the audit trail.
func scanOrder(q crs.PatientScan) string {
	switch {
	case q.ByBirth:
		return "birth date"
	case q.ByFamily:
		return "family name"
	case q.ByGiven:
		return "given name"
	}
	return "id"
}

// CountPatients counts the trust's patient records, merged ones included.
func (s *PatientService) CountPatients(ctx context.Context, a crs.Actor) (int, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		s.db.refused(a, crs.ActSearchPatients)
		return 0, err
	}
	n, err := s.db.CountPatients(ctx, a.OrgID)
	if err != nil {
		return 0, err
	}
	s.db.Audit(a, "", crs.AuditSearch, "count patients: "+itoa(n))
	return n, nil
}

// foldFamilyNames writes the folded family name (family_fold) of every
// patient registered before the PMI kept it, the Go step of migration
// 0128, which may be run again without harm.
func foldFamilyNames(ctx context.Context, tx *sql.Tx) error {
	return foldNames(ctx, tx, `family_fold = $1`, func(f searchForms) []any {
		if f.familyFold == "" {
			return nil
		}
		return []any{f.familyFold}
	})
}

// foldGivenNames writes the first and last folded given names
// (given_fold_first, given_fold_last) of every patient registered before
// the PMI kept them, the Go step of migration 0129, which may be run
// again without harm.
func foldGivenNames(ctx context.Context, tx *sql.Tx) error {
	return foldNames(ctx, tx, `given_fold_first = $1, given_fold_last = $2`, func(f searchForms) []any {
		if f.givenFoldLast == "" {
			return nil
		}
		return []any{f.givenFoldFirst, f.givenFoldLast}
	})
}

// partFamilyNames writes the last part of the family name of several
// (family_part_norm) of every patient registered before the PMI kept it,
// the Go step of migration 0155, which may be run again without harm.
func partFamilyNames(ctx context.Context, tx *sql.Tx) error {
	return foldNames(ctx, tx, `family_part_norm = $1`, func(f searchForms) []any {
		if f.familyPart == "" {
			return nil
		}
		return []any{f.familyPart}
	})
}

// foldNames writes the folded forms of the trust's patients' names set
// names (as "column = $1, ..."), the values of each patient's forms that
// values gives (nil: nothing to write): the patients are read in id
// order a batch at a time, each written by its key.
func foldNames(ctx context.Context, tx *sql.Tx, set string, values func(searchForms) []any) error {
	for after := ""; ; {
		rows, err := queryRows(ctx, tx, func(r scanner) (*crs.Patient, error) {
			var p crs.Patient
			err := r.Scan(&p.ID, &p.FamilyName, &p.GivenName, &p.OtherNames)
			return &p, err
		}, `SELECT id, family_name, given_name, other_names FROM patients WHERE id > $1 ORDER BY id LIMIT 5000`, after)
		if err != nil {
			return err
		}
		for _, p := range rows {
			if vals := values(searchFormsOf(p)); vals != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE patients SET `+set+` WHERE id = $`+itoa(len(vals)+1), append(vals, p.ID)...); err != nil {
					return err
				}
			}
		}
		if len(rows) < 5000 {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}
