package fhir

import (
	"context"

	"github.com/opencrs/crs"
)

// Chained searches (subject:Patient.identifier=...) and reverse chains
// (Patient?_has:Observation:subject:code=...) cross between the resource
// store and the PMI when Patient is served from the PMI: the patients a
// chain names are found by the PMI's search and the chain becomes the
// references to them; the patients a reverse chain names are those the
// resource store's matches refer to.

// A reverse chain on Patient reads the resources its search finds
// hasPage at a time, every one of them, for the patients they refer to:
// one that finds more than maxHasMatches is refused (too costly), asking
// for a narrower search, rather than answered from some of them.
// Variables for the tests alone (SetHasPage).
var (
	hasPage       = 1000
	maxHasMatches = 100000
)

// resolvePMIChains turns each chain into Patient of q (and of the
// searches nested in it) into references to the patients of the PMI the
// chain's search finds. A chain that finds no one matches nothing.
func (s *Server) resolvePMIChains(ctx context.Context, p *Principal, q *crs.ResourceQuery) error {
	if !s.pmi("Patient") {
		return nil
	}
	resolve := func(groups [][]crs.ResourceCondition) error {
		for i, g := range groups {
			var out []crs.ResourceCondition
			for _, c := range g {
				if c.Has != nil {
					if err := s.resolvePMIChains(ctx, p, c.Has); err != nil {
						return err
					}
				}
				if c.Target == nil {
					out = append(out, c)
					continue
				}
				if c.Target.Type != "Patient" {
					if err := s.resolvePMIChains(ctx, p, c.Target); err != nil {
						return err
					}
					out = append(out, c)
					continue
				}
				if err := s.resolvePMIChains(ctx, p, c.Target); err != nil {
					return err
				}
				found, err := s.chainedPatients(ctx, p, c.Param, c.Target)
				if err != nil {
					return err
				}
				if len(found) == 0 {
					// No patient: a reference no resource holds.
					out = append(out, crs.ResourceCondition{Param: c.Param, Kind: "reference", Code: "Patient/"})
				}
				for _, f := range found {
					out = append(out, crs.ResourceCondition{Param: c.Param, Kind: "reference", Code: "Patient/" + f.ID})
				}
			}
			groups[i] = out
		}
		return nil
	}
	if err := resolve(q.All); err != nil {
		return err
	}
	return resolve(q.Not)
}

// chainedPatients finds the patients a chain into Patient names: by the
// PMI's search where an index leads it, otherwise (a range of birth
// dates, a gender, a town) by reading the trust's patients, up to
// maxChainMatches.
func (s *Server) chainedPatients(ctx context.Context, p *Principal, param string, target *crs.ResourceQuery) ([]*crs.Resource, error) {
	sub := &search{query: *target}
	scan := s.scanOf(sub)
	if scan == nil {
		return s.searchPatients(ctx, p, sub)
	}
	_, found, _, err := s.scanPage(ctx, p, sub, scan, "", maxChainMatches+1)
	if err == nil && len(found) > maxChainMatches {
		err = invalid("too-costly", param+".Patient", "%s.Patient finds more than %d patients; narrow it (an identifier, a name or a birth date)", param, maxChainMatches)
	}
	return found, err
}

// patientsReferred takes the reverse chains (_has) out of a search of
// Patient and returns the ids of the patients they name: in each chain,
// the patients the resource store's matches refer to through its
// parameter; across chains, those every chain names. ok is false when
// the search has no reverse chain.
func (s *Server) patientsReferred(ctx context.Context, p *Principal, q *crs.ResourceQuery) (ids []string, ok bool, err error) {
	var rest [][]crs.ResourceCondition
	var sets []map[string]bool
	for _, g := range q.All {
		if len(g) == 0 || g[0].Has == nil {
			rest = append(rest, g)
			continue
		}
		set := map[string]bool{}
		for _, c := range g {
			if !p.Scopes.Allows(c.Has.Type, false) {
				continue
			}
			sub := *c.Has
			sub.Count = hasPage
			for read := 0; ; {
				found, _, err := s.Resources.SearchResources(ctx, p.Actor, sub)
				if err != nil {
					return nil, false, err
				}
				referredIDs(found, c.Param, "Patient", set)
				if read += len(found); len(found) < hasPage {
					break
				}
				if read >= maxHasMatches {
					chain := "_has:" + c.Has.Type + ":" + c.Param
					return nil, false, invalid("too-costly", chain, "%s finds more than %d %s; narrow it", chain, maxHasMatches, c.Has.Type)
				}
				sub.After = found[len(found)-1].ID
			}
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return nil, false, nil
	}
	q.All = rest
	return inEvery(sets), true, nil
}
