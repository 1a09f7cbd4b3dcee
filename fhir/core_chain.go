package fhir

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Chained searches and reverse chains of the typed core's types
// (Encounter?location.name=..., Encounter?_has:Observation:encounter:code=...)
// are answered by searching first what they name: a chain becomes the
// references to the resources its search finds, a reverse chain the ids
// of the resources that the resources it finds refer to. The typed
// records are then matched as any other search of them is.

// maxChainMatches bounds how many resources the search of a chain or a
// reverse chain of the typed core may find; one that finds more is
// refused, asking for a narrower search. A variable for the tests alone
// (SetMaxChainMatches).
var maxChainMatches = 1000

// resolveCoreChains turns the chains and reverse chains of a search of a
// type of the typed core into references and ids.
func (s *Server) resolveCoreChains(ctx context.Context, p *Principal, q *crs.ResourceQuery) error {
	var sets []map[string]bool // the ids each reverse chain allows
	var rest [][]crs.ResourceCondition
	for _, g := range q.All {
		if len(g) > 0 && g[0].Has != nil {
			set := map[string]bool{}
			for _, c := range g {
				found, err := s.chainMatches(ctx, p, *c.Has, "_has:"+c.Has.Type+":"+c.Param)
				if err != nil {
					return err
				}
				referredIDs(found, c.Param, q.Type, set)
			}
			sets = append(sets, set)
			continue
		}
		var out []crs.ResourceCondition
		for _, c := range g {
			if c.Target == nil {
				out = append(out, c)
				continue
			}
			refs, err := s.chainedReferences(ctx, p, c)
			if err != nil {
				return err
			}
			out = append(out, refs...)
		}
		rest = append(rest, out)
	}
	q.All = rest
	if len(sets) == 0 {
		return nil
	}
	// The ids every reverse chain allows, and _id's when it is given.
	ids := inEvery(sets)
	if len(q.IDs) > 0 {
		ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(q.IDs, id) })
	}
	if len(ids) == 0 {
		ids = []string{""} // no resource has this id: nothing matches
	}
	q.IDs = ids
	return nil
}

// resolveTypedTargets turns each chain of a search of the resource store
// into a type of the typed core (Observation?encounter.class=IMP) into
// the references to what the chain's search finds there and in the
// store: the store's own join would see only the resources other
// systems sent. In a search of one patient's resources
// (Observation?patient=Patient/1&encounter.class=AMB, or the patient's
// compartment), the chain searches that patient's records of a type the
// PAS keeps by patient (an Encounter, an EpisodeOfCare, an Appointment,
// a referral), not the trust's, which would be refused as too many once
// the trust has more than maxChainMatches of them.
func (s *Server) resolveTypedTargets(ctx context.Context, p *Principal, q *crs.ResourceQuery) error {
	patient := searchedPatient(q)
	for _, groups := range [][][]crs.ResourceCondition{q.All, q.Not} {
		for i, g := range groups {
			var out []crs.ResourceCondition
			for _, c := range g {
				for _, sub := range []*crs.ResourceQuery{c.Has, c.Target} {
					if sub != nil && s.typedSearch(sub.Type) == nil {
						if err := s.resolveTypedTargets(ctx, p, sub); err != nil {
							return err
						}
					}
				}
				if c.Target == nil || s.coreType(c.Target.Type) == nil || s.pmi(c.Target.Type) {
					out = append(out, c)
					continue
				}
				if m := s.coreType(c.Target.Type); patient != "" && slices.Contains(m.params, "patient") {
					sub, err := subSearch(c.Target.Type, "patient", patient, time.Time{})
					if err != nil {
						return err
					}
					target := *c.Target
					target.All = append(slices.Clip(target.All), sub.All...)
					c.Target = &target
				}
				refs, err := s.chainedReferences(ctx, p, c)
				if err != nil {
					return err
				}
				out = append(out, refs...)
			}
			groups[i] = out
		}
	}
	return nil
}

// searchedPatient is the one patient ("Patient/1") a search is narrowed to: by
// its compartment, or by a reference to them alone in its subject or
// patient; "" when it names none or several.
func searchedPatient(q *crs.ResourceQuery) string {
	if len(q.RefersTo) == 1 {
		if id, ok := strings.CutPrefix(q.RefersTo[0], "Patient/"); ok && id != "" && !strings.Contains(id, "/") {
			return q.RefersTo[0]
		}
	}
	for _, g := range q.All {
		if len(g) != 1 || g[0].Kind != "reference" || g[0].Target != nil || g[0].Param != "subject" && g[0].Param != "patient" {
			continue
		}
		code := g[0].Code
		if g[0].System != nil && *g[0].System == "Patient" && !strings.Contains(code, "/") {
			code = "Patient/" + code
		}
		if id, ok := strings.CutPrefix(code, "Patient/"); ok && id != "" && !strings.Contains(id, "/") {
			return code
		}
	}
	return ""
}

// referredIDs adds to set the ids of the resources of typ that the found
// resources refer to through their parameter param (not those the
// resources it names inside them, #id, refer to).
func referredIDs(found []*crs.Resource, param, typ string, set map[string]bool) {
	for _, f := range found {
		res, err := Decode(f.Body)
		if err != nil {
			continue
		}
		for _, row := range indexRows(res, map[string]bool{param: true}) {
			if id, ok := strings.CutPrefix(row.Code, typ+"/"); ok && id != "" && row.Param == param {
				set[id] = true
			}
		}
	}
}

// inEvery returns, sorted, the ids every set holds.
func inEvery(sets []map[string]bool) []string {
	var ids []string
	for id := range sets[0] {
		every := true
		for _, set := range sets[1:] {
			every = every && set[id]
		}
		if every {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// chainedReferences are the conditions a chain becomes: a reference to
// each resource its search finds, any of which matches; when it finds
// none, a reference no resource holds.
func (s *Server) chainedReferences(ctx context.Context, p *Principal, c crs.ResourceCondition) ([]crs.ResourceCondition, error) {
	found, err := s.chainMatches(ctx, p, *c.Target, c.Param+"."+c.Target.Type)
	if err != nil {
		return nil, err
	}
	ref := crs.ResourceCondition{Param: c.Param, Kind: "reference", System: c.System, Code: c.Target.Type + "/"}
	if len(found) == 0 {
		return []crs.ResourceCondition{ref}, nil
	}
	out := make([]crs.ResourceCondition, 0, len(found))
	for _, f := range found {
		ref.Code = f.Type + "/" + f.ID
		out = append(out, ref)
	}
	return out, nil
}

// chainMatches finds the resources a chain's search finds, in the typed
// core (read across the trust when it names no patient) and in the
// resource store; more than maxChainMatches is refused, naming the
// chain.
func (s *Server) chainMatches(ctx context.Context, p *Principal, q crs.ResourceQuery, chain string) ([]*crs.Resource, error) {
	if err := p.allow(q.Type, false); err != nil {
		return nil, err
	}
	if s.coreType(q.Type) != nil && !s.pmi(q.Type) {
		if err := s.resolveCoreChains(ctx, p, &q); err != nil { // a chain of chains
			return nil, err
		}
	}
	found, err := s.matchesOf(ctx, p, q, maxChainMatches+1)
	if err != nil {
		return nil, err
	}
	if len(found) > maxChainMatches {
		return nil, invalid("too-costly", chain, "%s finds more than %d %s; narrow it", chain, maxChainMatches, q.Type)
	}
	return found, nil
}

// matchesOf finds up to limit matches of a search of any type: the typed
// core's (a patient's records, or the trust's read a batch at a time
// when it names no patient), then the resource store's.
func (s *Server) matchesOf(ctx context.Context, p *Principal, q crs.ResourceQuery, limit int) ([]*crs.Resource, error) {
	sub := &search{query: q}
	var found []*crs.Resource
	typed := s.typedSearch(q.Type)
	if typed != nil {
		var err error
		if scan := s.scanOf(sub); scan != nil {
			_, found, _, err = s.scanPage(ctx, p, sub, scan, "", limit)
		} else {
			found, err = typed(ctx, p, sub)
		}
		if err != nil {
			return nil, err
		}
	}
	if m := s.coreType(q.Type); (typed == nil || m != nil && m.stored()) && len(found) < limit {
		q.Count = limit - len(found)
		more, _, err := s.Resources.SearchResources(ctx, p.Actor, q)
		if err != nil {
			return nil, err
		}
		found = append(found, more...)
	}
	return found[:min(len(found), limit)], nil
}
