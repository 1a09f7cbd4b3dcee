package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// TerminologyService is a trust's SNOMED CT release over SQL.
type TerminologyService struct{ db *DB }

// NewTerminologyService returns the terminology service over db.
func NewTerminologyService(db *DB) *TerminologyService { return &TerminologyService{db: db} }

var _ crs.TerminologyService = (*TerminologyService)(nil)

// searchCandidates bounds the concepts one search ranks, and
// maxConceptsFound those it returns.
const (
	searchCandidates = 2000
	maxConceptsFound = 1000
)

// snomedBatch is how many rows one INSERT of a release carries.
const snomedBatch = 200

// LoadSNOMED replaces the trust's SNOMED CT concepts with those of a
// release.
func (s *TerminologyService) LoadSNOMED(ctx context.Context, a crs.Actor, concepts []nhs.Concept) (int, error) {
	if len(concepts) == 0 {
		return 0, crs.FieldErrorf("file", "the release has no active concept")
	}
	err := s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		org := tx.actor.OrgID
		for _, table := range []string{"snomed_words", "snomed_closure", "snomed_isa", "snomed_refset", "snomed_concepts"} {
			if _, err := tx.Exec(`DELETE FROM `+table+` WHERE org_id = $1`, org); err != nil {
				return err
			}
		}
		concept := newBatchInsert(tx, `INSERT INTO snomed_concepts (org_id, concept_id, term, fsn, semantic_tag, synonyms) VALUES `, 6)
		word := newBatchInsert(tx, `INSERT INTO snomed_words (org_id, word, concept_id) VALUES `, 3)
		isa := newBatchInsert(tx, `INSERT INTO snomed_isa (org_id, concept_id, parent_id) VALUES `, 3)
		member := newBatchInsert(tx, `INSERT INTO snomed_refset (org_id, refset_id, concept_id) VALUES `, 3)
		relationships, members := 0, 0
		for _, c := range concepts {
			for _, refset := range c.Refsets {
				members++
				if err := member.add(org, refset, c.ID); err != nil {
					return err
				}
			}
			for _, parent := range c.Parents {
				relationships++
				if err := isa.add(org, c.ID, parent); err != nil {
					return err
				}
			}
			if err := concept.add(org, c.ID, c.Term, c.FSN, c.SemanticTag(), strings.Join(c.Synonyms, "\n")); err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, term := range append([]string{c.Term, c.FSN}, c.Synonyms...) {
				for _, w := range termWords(term) {
					if !seen[w] {
						seen[w] = true
						if err := word.add(org, w, c.ID); err != nil {
							return err
						}
					}
				}
			}
		}
		if err := concept.flush(); err != nil {
			return err
		}
		if err := word.flush(); err != nil {
			return err
		}
		if err := isa.flush(); err != nil {
			return err
		}
		if err := member.flush(); err != nil {
			return err
		}
		// Each concept with those it is a kind of, followed to the top,
		// and itself: what a search of the codes below a concept reads.
		// CROSS JOIN keeps SQLite reading each step's parents by the key
		// from the row reached (without it, it read the whole table a
		// step: a release of 8,000 concepts took 42 s, now 0.5 s).
		if _, err := tx.Exec(`INSERT INTO snomed_closure (org_id, ancestor_id, concept_id)
			WITH RECURSIVE up (concept_id, ancestor_id) AS (
				SELECT concept_id, concept_id FROM snomed_concepts WHERE org_id = $1
				UNION SELECT u.concept_id, i.parent_id FROM up u CROSS JOIN snomed_isa i WHERE i.org_id = $1 AND i.concept_id = u.ancestor_id)
			SELECT $1, ancestor_id, concept_id FROM up`, org); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventTerminologyLoaded, SubjectID: nhs.SNOMED,
			Summary: fmt.Sprintf("SNOMED CT release loaded: %d concepts, %d is-a relationships, %d reference set members", len(concepts), relationships, members)}, "terminology release",
			map[string]any{"classification": nhs.SNOMED, "concepts": len(concepts), "is_a": relationships, "refset_members": members})
	})
	return len(concepts), err
}

// batchInsert gathers rows of one table and writes them many to an
// INSERT.
type batchInsert struct {
	tx     *Tx
	prefix string
	width  int
	args   []any
}

func newBatchInsert(tx *Tx, prefix string, width int) *batchInsert {
	return &batchInsert{tx: tx, prefix: prefix, width: width}
}

func (b *batchInsert) add(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) >= snomedBatch*b.width {
		return b.flush()
	}
	return nil
}

func (b *batchInsert) flush() error {
	if len(b.args) == 0 {
		return nil
	}
	var sb strings.Builder
	sb.WriteString(b.prefix)
	for i := 0; i < len(b.args); i++ {
		switch {
		case i%b.width == 0 && i > 0:
			sb.WriteString("), (")
		case i%b.width == 0:
			sb.WriteString("(")
		default:
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "$%d", i+1)
	}
	sb.WriteString(")")
	_, err := b.tx.Exec(sb.String(), b.args...)
	b.args = b.args[:0]
	return err
}

// termWords are the words of a term as search matches them: lower case,
// letters and digits only.
func termWords(term string) []string {
	return strings.FieldsFunc(strings.ToLower(term), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

const conceptColumns = `c.concept_id, c.term, c.fsn, c.synonyms`

func scanConcept(r scanner) (*nhs.Concept, error) {
	var c nhs.Concept
	var syn string
	if err := r.Scan(&c.ID, &c.Term, &c.FSN, &syn); err != nil {
		return nil, err
	}
	if syn != "" {
		c.Synonyms = strings.Split(syn, "\n")
	}
	return &c, nil
}

// FindConcept returns one concept of the trust's release.
func (s *TerminologyService) FindConcept(ctx context.Context, a crs.Actor, id string) (*nhs.Concept, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return nil, err
	}
	c, err := scanConcept(s.db.read.QueryRowContext(ctx, `SELECT `+conceptColumns+` FROM snomed_concepts c WHERE c.org_id = $1 AND c.concept_id = $2`, a.OrgID, id))
	if err != nil {
		return nil, notFound(err, "SNOMED CT concept %s is not in the trust's loaded release", id)
	}
	if c.Parents, err = s.related(ctx, a, `SELECT parent_id FROM snomed_isa WHERE org_id = $1 AND concept_id = $2 ORDER BY parent_id`, id); err != nil {
		return nil, err
	}
	return c, nil
}

// Children returns the concepts of the trust's release that are directly
// a kind of code, in identifier order.
func (s *TerminologyService) Children(ctx context.Context, a crs.Actor, code string) ([]string, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return nil, err
	}
	return s.related(ctx, a, `SELECT concept_id FROM snomed_isa WHERE org_id = $1 AND parent_id = $2 ORDER BY concept_id`, code)
}

// related reads the identifiers of the concepts a query of snomed_isa
// finds for one concept.
func (s *TerminologyService) related(ctx context.Context, a crs.Actor, q, code string) ([]string, error) {
	return queryRows(ctx, s.db.read, func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	}, q, a.OrgID, code)
}

// SearchConcepts returns concepts of a kind whose terms have words
// starting with each word given.
func (s *TerminologyService) SearchConcepts(ctx context.Context, a crs.Actor, text string, kind crs.ConceptKind, limit int) ([]*nhs.Concept, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, maxConceptsFound)
	words := termWords(text)
	if len(words) == 0 {
		return nil, nil
	}
	if len(words) > 6 {
		words = words[:6]
	}
	args := []any{a.OrgID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	// Every word starting with w sorts from w up to w followed by the
	// greatest code point, in byte order: a range of the words' index.
	matching := func(w string) string {
		return `SELECT concept_id FROM snomed_words WHERE org_id = $1 AND word >= ` + arg(w) + ` AND word < ` + arg(w+"\U0010FFFF")
	}
	from, where := "snomed_concepts c", []string{"c.org_id = $1"}
	if text = strings.TrimSpace(text); nhs.CheckSCTID(text) == nil {
		where = append(where, "c.concept_id = "+arg(text))
	} else {
		// The longest word, likely the rarest, drives; the others filter.
		// The driver takes the first searchCandidates words of the index
		// in order (an exact word first): what a few letters of a common
		// start match is bounded, and more letters narrow it.
		sort.SliceStable(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
		from = `(SELECT DISTINCT concept_id FROM (` + matching(words[0]) + ` ORDER BY word LIMIT ` + strconv.Itoa(searchCandidates) +
			`) w) m JOIN snomed_concepts c ON c.org_id = $1 AND c.concept_id = m.concept_id`
		for _, w := range words[1:] {
			where = append(where, `c.concept_id IN (`+matching(w)+`)`)
		}
	}
	if tags := kind.SemanticTags(); len(tags) > 0 {
		var in []string
		for _, t := range tags {
			in = append(in, arg(t))
		}
		where = append(where, "c.semantic_tag IN ("+strings.Join(in, ", ")+")")
	}
	q := `SELECT ` + conceptColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY LENGTH(c.term), c.term, c.concept_id LIMIT ` + arg(limit)
	return queryRows(ctx, s.db.read, scanConcept, q, args...)
}

// SNOMEDLoaded says whether the trust has loaded a release.
func (s *TerminologyService) SNOMEDLoaded(ctx context.Context, a crs.Actor) (bool, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM snomed_concepts WHERE org_id = $1 LIMIT 1) x`, a.OrgID).Scan(&n)
	return n > 0, err
}

// Subsumes says whether code is ancestor or a kind of it, by the is-a
// relationships of the trust's release.
func (s *TerminologyService) Subsumes(ctx context.Context, a crs.Actor, ancestor, code string) (bool, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return false, err
	}
	if ancestor == code {
		return true, nil
	}
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM snomed_closure WHERE org_id = $1 AND ancestor_id = $2 AND concept_id = $3`, a.OrgID, ancestor, code).Scan(&n)
	return n > 0, err
}

// Descendants returns the concepts of the trust's release that are a kind
// of ancestor, and ancestor itself when self is true, in identifier order:
// at most limit+1, so that more than limit says there are more.
func (s *TerminologyService) Descendants(ctx context.Context, a crs.Actor, ancestor string, self bool, limit int) ([]*nhs.Concept, error) {
	return s.hierarchy(ctx, a, ancestor, self, limit, `i.parent_id = h.id`, `i.concept_id`)
}

// Ancestors returns the concepts of the trust's release that code is a
// kind of, and code itself when self is true, in identifier order.
func (s *TerminologyService) Ancestors(ctx context.Context, a crs.Actor, code string, self bool) ([]*nhs.Concept, error) {
	return s.hierarchy(ctx, a, code, self, maxAncestors, `i.concept_id = h.id`, `i.parent_id`)
}

// maxAncestors bounds the ancestors of a concept read (a concept of the
// international release has a few dozen).
const maxAncestors = 10000

// hierarchy walks the is-a relationships from one concept, down (to the
// concepts whose parent is the one reached) or up (to its parents).
func (s *TerminologyService) hierarchy(ctx context.Context, a crs.Actor, from string, self bool, limit int, step, next string) ([]*nhs.Concept, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return nil, err
	}
	q := `WITH RECURSIVE h (id) AS (
			SELECT CAST($2 AS TEXT)
			UNION SELECT ` + next + ` FROM snomed_isa i JOIN h ON i.org_id = $1 AND ` + step + `)
		SELECT ` + conceptColumns + ` FROM (SELECT id FROM h LIMIT $3) r JOIN snomed_concepts c ON c.org_id = $1 AND c.concept_id = r.id`
	if !self {
		q += ` WHERE c.concept_id <> $2`
	}
	found, err := queryRows(ctx, s.db.read, scanConcept, q+` ORDER BY c.concept_id`, a.OrgID, from, limit+2)
	if err != nil {
		return nil, err
	}
	return found[:min(len(found), limit+1)], nil
}

// RefsetMembers returns the concepts a simple reference set of the
// trust's release lists, in identifier order: at most limit+1, so that
// more than limit says there are more.
func (s *TerminologyService) RefsetMembers(ctx context.Context, a crs.Actor, refset string, limit int) ([]*nhs.Concept, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return nil, err
	}
	return queryRows(ctx, s.db.read, scanConcept, `SELECT `+conceptColumns+` FROM snomed_refset r
		JOIN snomed_concepts c ON c.org_id = r.org_id AND c.concept_id = r.concept_id
		WHERE r.org_id = $1 AND r.refset_id = $2 ORDER BY r.concept_id LIMIT $3`, a.OrgID, refset, limit+1)
}

// InRefset says whether a simple reference set of the trust's release
// lists code.
func (s *TerminologyService) InRefset(ctx context.Context, a crs.Actor, refset, code string) (bool, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return false, err
	}
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM snomed_refset WHERE org_id = $1 AND concept_id = $2 AND refset_id = $3`, a.OrgID, code, refset).Scan(&n)
	return n > 0, err
}

// Refsets returns the simple reference sets of the trust's release, the
// reference set concepts themselves, in identifier order: at most
// limit+1, so that more than limit says there are more. Each is read by
// one step of the members' key (the next reference set after the one
// before), not by reading every member.
func (s *TerminologyService) Refsets(ctx context.Context, a crs.Actor, limit int) ([]*nhs.Concept, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return nil, err
	}
	return queryRows(ctx, s.db.read, scanConcept, `WITH RECURSIVE r (id) AS (
			SELECT MIN(refset_id) FROM snomed_refset WHERE org_id = $1
			UNION ALL SELECT (SELECT MIN(x.refset_id) FROM snomed_refset x WHERE x.org_id = $1 AND x.refset_id > r.id) FROM r WHERE r.id IS NOT NULL)
		SELECT `+conceptColumns+` FROM r JOIN snomed_concepts c ON c.org_id = $1 AND c.concept_id = r.id
		ORDER BY c.concept_id LIMIT $2`, a.OrgID, limit+1)
}

// IsRefset says whether code is a simple reference set of the trust's
// release: one that lists a concept.
func (s *TerminologyService) IsRefset(ctx context.Context, a crs.Actor, code string) (bool, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return false, err
	}
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM snomed_refset WHERE org_id = $1 AND refset_id = $2 LIMIT 1) x`, a.OrgID, code).Scan(&n)
	return n > 0, err
}
