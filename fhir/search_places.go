package fhir

import (
	"context"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// A reference to a location searched with :below finds those to the
// location or any location part of it (a ward of a site, a bay of a
// ward, a bed of a bay: Location.partOf), and with :above those to the
// location or any it is part of: R4's search of a hierarchy
// (search.html#recursive), of the one hierarchy the trust keeps,
// its locations'. Procedure?location:below=Location/[site] finds the
// procedures done anywhere on the site, Location?partof:below=
// Location/[ward] the ward's bays and beds and the ward itself.

// placesParam is a reference parameter's :below or :above: expanded to
// the trust's locations before the search runs (resolvePlaces).
type placesParam struct {
	key, name string   // the parameter as sent (location:below) and its name (location)
	above     bool     // :above: the locations and those they are part of
	ids       []string // the locations named
}

// addPlaces reads a reference parameter's :below or :above: a parameter
// that refers to a Location, with the locations' ids (Location/[id] or
// [id]).
func (s *search) addPlaces(typ, key, name, modifier string, values []string) error {
	p, _ := SearchParamOf(typ, name)
	if !slices.Contains(p.Targets, "Location") {
		return invalid("invalid", key, "search parameter %s: :%s of a reference searches the hierarchy of the trust's locations (Location.partOf), and %s of %s does not refer to a Location", key, modifier, name, typ)
	}
	pp := placesParam{key: key, name: name, above: modifier == "above"}
	for _, v := range values {
		id := v
		if t, rid, ok := splitReference(v); ok {
			if t != "Location" {
				return invalid("invalid", key, "search parameter %s: %q is not a Location: :%s searches the hierarchy of the trust's locations", key, v, modifier)
			}
			id = rid
		} else if len(p.Targets) > 1 {
			// An id alone of a parameter that refers to other types too
			// (Observation's subject) names no hierarchy.
			return invalid("invalid", key, "search parameter %s: %s of %s refers to %s: name the location (Location/%s) whose hierarchy :%s searches", key, name, typ, strings.Join(p.Targets, ", "), v, modifier)
		}
		if id == "" {
			return invalid("invalid", key, "search parameter %s: give a location, Location/[id]", key)
		}
		pp.ids = append(pp.ids, id)
	}
	s.places = append(s.places, pp)
	return nil
}

// resolvePlaces turns each :below or :above of a search into the
// references to the locations it covers: those named and, of each, the
// locations part of it (below) or those it is part of (above). A
// location the trust does not hold covers itself alone, so it finds
// nothing.
func (s *Server) resolvePlaces(ctx context.Context, p *Principal, q *search) error {
	if len(q.places) == 0 {
		return nil
	}
	parent, children, err := s.locationTree(ctx, p)
	if err != nil {
		return err
	}
	for _, pp := range q.places {
		covered := map[string]bool{}
		var order []string
		var walk func(id string)
		walk = func(id string) {
			if covered[id] {
				return
			}
			covered[id] = true
			order = append(order, id)
			if pp.above {
				if up := parent[id]; up != "" {
					walk(up)
				}
				return
			}
			for _, c := range children[id] {
				walk(c)
			}
		}
		for _, id := range pp.ids {
			walk(id)
		}
		group := make([]crs.ResourceCondition, 0, len(order))
		for _, id := range order {
			group = append(group, crs.ResourceCondition{Param: pp.name, Kind: "reference", Code: "Location/" + id})
		}
		group, err := storedGroup(q.query.Type, group)
		if err != nil {
			return invalid("invalid", pp.key, "search parameter %s: %v", pp.key, err)
		}
		q.query.All = append(q.query.All, group)
	}
	q.places = nil
	return nil
}

// maxStoredLocations bounds the Locations other systems sent that a
// search of the hierarchy reads.
const maxStoredLocations = 10000

// locationTree is the hierarchy of locations a search of it reads: each
// location's parent, and each one's children; the trust's own (the
// PAS's estate) and the Locations other systems sent (a hospital's wards
// Synthea or a feed names), each by its partOf.
func (s *Server) locationTree(ctx context.Context, p *Principal) (map[string]string, map[string][]string, error) {
	parent := map[string]string{}
	children := map[string][]string{}
	add := func(id, up string) {
		if _, seen := parent[id]; seen {
			return
		}
		parent[id] = up
		if up != "" {
			children[up] = append(children[up], id)
		}
	}
	if s.Core != nil && s.Core.Orgs != nil {
		locations, err := s.Core.Orgs.FindLocations(ctx, p.Actor, "")
		if err != nil {
			return nil, nil, err
		}
		for _, l := range locations {
			add(l.ID, l.ParentID)
		}
	}
	if s.Resources == nil || !p.Actor.Can(crs.ActViewClinical) {
		return parent, children, nil
	}
	// The stored Locations part of another, read a page at a time.
	some, err := storedGroup("Location", []crs.ResourceCondition{{Param: "partof", Kind: "exists"}})
	if err != nil {
		return nil, nil, err
	}
	q := crs.ResourceQuery{Type: "Location", Count: 1000, All: [][]crs.ResourceCondition{some}}
	for read := 0; ; {
		page, _, err := s.Resources.SearchResources(ctx, p.Actor, q)
		if err != nil {
			return nil, nil, err
		}
		for _, res := range page {
			l, err := Decode(res.Body)
			if err != nil {
				return nil, nil, err
			}
			if up, ok := heldRef(l["partOf"], "Location", ""); ok {
				add(res.ID, up)
			}
		}
		if read += len(page); len(page) < q.Count || read >= maxStoredLocations {
			return parent, children, nil
		}
		q.After = page[len(page)-1].ID
	}
}
