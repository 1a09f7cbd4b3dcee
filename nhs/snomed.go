// SNOMED CT, the clinical terminology of the NHS: the concepts problems,
// diagnoses, allergens and reactions are recorded with, read from the
// RF2 release files the NHS Terminology Server publishes.

package nhs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// SNOMED is the name of SNOMED CT among a trust's terminologies (crs
// terminology load --system snomed); SNOMEDSystem is its FHIR code system.
const (
	SNOMED       = "snomed"
	SNOMEDSystem = "http://snomed.info/sct"
)

// RF2 identifiers of description types and acceptability.
const (
	rf2FSN       = "900000000000003001"
	rf2Synonym   = "900000000000013009"
	rf2Preferred = "900000000000548007"
	rf2IsA       = "116680003"
)

// Concept is one active SNOMED CT concept of a release: its identifier,
// the term a clinician reads (the preferred term), its fully specified
// name, whose semantic tag says what kind of thing it is ("disorder",
// "substance", "finding"), its other active synonyms, and the concepts
// it is a kind of (its active is-a relationships), when the release gave
// them, and the simple reference sets it is an active member of, when
// the release gave them.
type Concept struct {
	ID       string
	Term     string
	FSN      string
	Synonyms []string
	Parents  []string
	// Refsets are the simple reference sets (der2_Refset_Simple...) of
	// the release that list the concept, as read from the release:
	// FindConcept leaves them out (ask InRefset).
	Refsets []string
}

// SemanticTag is the kind of thing a concept is, from the brackets that
// end its fully specified name: "disorder" for "Asthma (disorder)".
func (c Concept) SemanticTag() string { return SemanticTag(c.FSN) }

// SemanticTag returns the semantic tag that ends a fully specified name.
func SemanticTag(fsn string) string {
	if !strings.HasSuffix(fsn, ")") {
		return ""
	}
	i := strings.LastIndex(fsn, " (")
	if i < 0 {
		return ""
	}
	return fsn[i+2 : len(fsn)-1]
}

// CheckSCTID checks the form of a SNOMED CT identifier: 6 to 18 digits,
// not starting with 0, whose last digit is the Verhoeff check digit of
// the others.
func CheckSCTID(id string) error {
	if len(id) < 6 || len(id) > 18 || id[0] == '0' {
		return fmt.Errorf("SNOMED CT identifier %q is not 6 to 18 digits", id)
	}
	for i := 0; i < len(id); i++ {
		if !isDigit(id[i]) {
			return fmt.Errorf("SNOMED CT identifier %q is not 6 to 18 digits", id)
		}
	}
	if !verhoeffValid(id) {
		return fmt.Errorf("SNOMED CT identifier %s fails its check digit", id)
	}
	return nil
}

var (
	verhoeffD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
)

func verhoeffValid(num string) bool {
	c := 0
	for i := 0; i < len(num); i++ {
		c = verhoeffD[c][verhoeffP[i%8][int(num[len(num)-1-i]-'0')]]
	}
	return c == 0
}

// RF2File is one file of a SNOMED CT release and the name it is reported
// by: its kind (concepts, descriptions, language reference set) is told
// by its name, as the release names them (sct2_Concept_Snapshot_...,
// sct2_Description_Snapshot-en_..., der2_cRefset_LanguageSnapshot-en_...).
type RF2File struct {
	Name string
	R    io.Reader
}

var (
	rf2ConceptHeader      = []string{"id", "effectiveTime", "active", "moduleId", "definitionStatusId"}
	rf2DescriptionHeader  = []string{"id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term", "caseSignificanceId"}
	rf2LanguageHeader     = []string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId", "acceptabilityId"}
	rf2RelationshipHeader = []string{"id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"}
	rf2SimpleRefsetHeader = []string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId"}
)

// rf2Row is the latest row of one component in the files read: a full
// release holds every version of it, a snapshot only the latest.
type rf2Row struct {
	effective string
	active    bool
	fields    []string
	at        string // NAME:LINE, for errors
}

// ReadRF2 reads the active concepts of a SNOMED CT release in RF2 form:
// one or more concept files and description files, tab-separated with
// their header line, and optionally a language reference set saying
// which synonym is preferred, and a relationship file whose active is-a
// relationships say what each concept is a kind of (the inferred
// relationships, sct2_Relationship_...), and simple reference sets
// (der2_Refset_Simple...) whose active members say which lists each
// concept is on. Of a component given more than once (a full release)
// the row with the latest effective time counts. A
// concept's term is its preferred synonym by the language reference set;
// without one, the synonym that is its fully specified name without the
// semantic tag, else its first synonym. A release with a bad line
// returns the errors of its bad lines as NAME:LINE: what is wrong, and no
// concepts.
func ReadRF2(files []RF2File) ([]Concept, error) {
	var errs []string
	fail := func(at, format string, args ...any) {
		if len(errs) < 50 {
			errs = append(errs, at+": "+fmt.Sprintf(format, args...))
		}
	}
	concepts, descs, prefs, rels, members := map[string]*rf2Row{}, map[string]*rf2Row{}, map[string]*rf2Row{}, map[string]*rf2Row{}, map[string]*rf2Row{}
	var haveConcepts, haveDescs bool
	for _, f := range files {
		base := filepath.Base(f.Name)
		var header []string
		var into map[string]*rf2Row
		switch {
		case strings.HasPrefix(base, "sct2_Concept_"):
			header, into, haveConcepts = rf2ConceptHeader, concepts, true
		case strings.HasPrefix(base, "sct2_Description_"):
			header, into, haveDescs = rf2DescriptionHeader, descs, true
		case strings.HasPrefix(base, "der2_cRefset_Language"):
			header, into = rf2LanguageHeader, prefs
		case strings.HasPrefix(base, "sct2_Relationship_"):
			header, into = rf2RelationshipHeader, rels
		case strings.HasPrefix(base, "der2_Refset_Simple"):
			header, into = rf2SimpleRefsetHeader, members
		default:
			fail(f.Name, "not a file of a SNOMED CT RF2 release: its name starts sct2_Concept_, sct2_Description_, sct2_Relationship_, der2_cRefset_Language or der2_Refset_Simple")
			continue
		}
		readRF2File(f, header, into, fail)
	}
	if len(errs) == 0 && (!haveConcepts || !haveDescs) {
		errs = append(errs, "give a concept file (sct2_Concept_...) and a description file (sct2_Description_...) of the release")
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	preferred := map[string]bool{} // description ids preferred in the language reference set
	for _, r := range prefs {
		if r.active && r.fields[6] == rf2Preferred {
			preferred[r.fields[5]] = true
		}
	}
	byID := map[string]*Concept{}
	for id, r := range concepts {
		if r.active {
			byID[id] = &Concept{ID: id}
		}
	}
	type synonym struct {
		id, term string
	}
	syns := map[string][]synonym{}
	for _, id := range slices.Sorted(maps.Keys(descs)) {
		r := descs[id]
		if !r.active {
			continue
		}
		cid, typ, term := r.fields[4], r.fields[6], strings.TrimSpace(r.fields[7])
		c := byID[cid]
		if c == nil {
			if _, known := concepts[cid]; !known {
				fail(r.at, "description %s is of concept %s, which is not in the concept file", id, cid)
			}
			continue // a description of an inactive concept
		}
		if term == "" {
			fail(r.at, "description %s has no term", id)
			continue
		}
		switch typ {
		case rf2FSN:
			c.FSN = term
		case rf2Synonym:
			syns[cid] = append(syns[cid], synonym{id, term})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(rels)) {
		r := rels[id]
		if !r.active || r.fields[7] != rf2IsA {
			continue
		}
		child, parent := byID[r.fields[4]], r.fields[5]
		if child == nil || byID[parent] == nil {
			for _, end := range []string{r.fields[4], parent} {
				if _, known := concepts[end]; !known {
					fail(r.at, "relationship %s is of concept %s, which is not in the concept file", id, end)
				}
			}
			continue // an is-a of an inactive concept
		}
		if !slices.Contains(child.Parents, parent) {
			child.Parents = append(child.Parents, parent)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(members)) {
		r := members[id]
		refset, member := r.fields[4], r.fields[5]
		if !r.active || !isConceptID(member) {
			continue // a retired member, or one that lists descriptions
		}
		c := byID[member]
		if c == nil || byID[refset] == nil {
			if _, known := concepts[refset]; !known {
				fail(r.at, "reference set member %s is of reference set %s, which is not in the concept file", id, refset)
			}
			if _, known := concepts[member]; !known {
				fail(r.at, "reference set member %s lists concept %s, which is not in the concept file", id, member)
			}
			continue // a member of an inactive concept or reference set
		}
		if !slices.Contains(c.Refsets, refset) {
			c.Refsets = append(c.Refsets, refset)
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	out := make([]Concept, 0, len(byID))
	for _, c := range byID {
		list := syns[c.ID]
		bare := strings.TrimSuffix(c.FSN, " ("+c.SemanticTag()+")")
		for _, s := range list {
			if preferred[s.id] {
				c.Term = s.term
				break
			}
		}
		if c.Term == "" {
			for _, s := range list {
				if s.term == bare {
					c.Term = s.term
				}
			}
		}
		if c.Term == "" && len(list) > 0 {
			c.Term = list[0].term
		}
		if c.Term == "" {
			c.Term = bare
		}
		if c.Term == "" {
			continue // a concept with no active description names nothing
		}
		for _, s := range list {
			if s.term != c.Term {
				c.Synonyms = append(c.Synonyms, s.term)
			}
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// isConceptID says whether a SNOMED CT identifier is of a concept, by its
// partition (the two digits before the check digit): 00, or 10 in an
// extension's namespace.
func isConceptID(id string) bool {
	return len(id) >= 6 && (id[len(id)-3:len(id)-1] == "00" || id[len(id)-3:len(id)-1] == "10")
}

// readRF2File reads one tab-separated RF2 file into rows, the latest
// row of each component winning.
func readRF2File(f RF2File, header []string, into map[string]*rf2Row, fail func(at, format string, args ...any)) {
	sc := bufio.NewScanner(f.R)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	refset := header[4] == "refsetId" // a reference set's members, whose ids are UUIDs
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		at := fmt.Sprintf("%s:%d", f.Name, line)
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
			if got := strings.Split(text, "\t"); strings.Join(got, "\t") != strings.Join(header, "\t") {
				fail(at, "the header is not the RF2 header %s", strings.Join(header, " "))
				return
			}
			continue
		}
		if text == "" {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) != len(header) {
			fail(at, "%d fields, not the %d of the header", len(fields), len(header))
			continue
		}
		bad := false
		for i, name := range header {
			if !strings.HasSuffix(name, "Id") && name != "id" {
				continue
			}
			if name == "id" && refset {
				continue // a reference set member's id is a UUID
			}
			if err := CheckSCTID(fields[i]); err != nil {
				fail(at, "%s: %v", name, err)
				bad = true
			}
		}
		if fields[2] != "0" && fields[2] != "1" {
			fail(at, "active is %q, not 0 or 1", fields[2])
			bad = true
		}
		if len(fields[1]) != 8 || strings.IndexFunc(fields[1], func(r rune) bool { return !unicode.IsDigit(r) }) >= 0 {
			fail(at, "effectiveTime %q is not YYYYMMDD", fields[1])
			bad = true
		}
		if bad {
			continue
		}
		id := fields[0]
		if len(header) == len(rf2LanguageHeader) {
			id = fields[5] + "|" + fields[4] // one preference per description and language
		}
		if old := into[id]; old != nil && old.effective > fields[1] {
			continue
		} else if old != nil && old.effective == fields[1] {
			fail(at, "component %s is given twice with effectiveTime %s (first at %s)", fields[0], fields[1], old.at)
			continue
		}
		into[id] = &rf2Row{effective: fields[1], active: fields[2] == "1", fields: fields, at: at}
	}
	if err := sc.Err(); err != nil {
		fail(fmt.Sprintf("%s:%d", f.Name, line+1), "%v", err)
	}
}
