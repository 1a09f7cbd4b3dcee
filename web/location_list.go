package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// The Locations pages let a trust's administrator set up its estate: its
// sites, the wards on them with their bays and beds, clinic rooms and
// emergency departments, and open or close a bed. Every page needs the
// administer-settings activity (the administrator's); anyone else is
// refused with 403.

// locationsPage is the data of the estate page.
type locationsPage struct {
	pageData
	Sites    []*crs.LocationNode
	Statuses []nhs.Code // the bed statuses to choose from
	Focus    string     // the bed whose status form is shown again with an error
	Status   string     // what was chosen for it
}

// loadLocations reads the trust's estate for the page, after checking the
// user may administer it.
func (s *Server) loadLocations(r *http.Request, p *locationsPage) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActAdministerSettings); err != nil {
		return err
	}
	locs, err := s.Orgs.FindLocations(r.Context(), a, "")
	if err != nil {
		return err
	}
	p.Sites, p.Statuses = crs.LocationTree(locs), crs.BedStatuses
	p.Title, p.Nav = "Locations", "locations"
	return nil
}

// handleLocations shows the trust's estate as a tree, site > ward > bay >
// bed, with the clinic rooms and emergency departments of each site, the
// links to add a location within each, and each bed's status form.
func (s *Server) handleLocations(w http.ResponseWriter, r *http.Request) error {
	p := &locationsPage{}
	if err := s.loadLocations(r, p); err != nil {
		return err
	}
	return s.render(w, r, "locations", p)
}

// childKinds lists the kinds of location that can be added within a
// location of kind k, for the page's "Add" links.
func childKinds(k crs.LocationKind) []crs.LocationKind {
	var out []crs.LocationKind
	for _, c := range []crs.LocationKind{crs.LocationWard, crs.LocationBay, crs.LocationBed, crs.LocationClinicRoom, crs.LocationED} {
		for _, p := range crs.ParentKinds(c) {
			if p == k {
				out = append(out, c)
			}
		}
	}
	return out
}

// edTypeName describes an emergency care department type code.
func edTypeName(code string) string {
	if d, ok := nhs.Lookup(nhs.EDDepartmentTypes, code); ok {
		return "Type " + code + ": " + d
	}
	return "Type " + code
}

// bedStatusName says a bed status in words.
func bedStatusName(st crs.BedStatus) string {
	if d, ok := nhs.Lookup(crs.BedStatuses, string(st)); ok {
		return d
	}
	return string(st)
}

// locNode is the data of one node of the tree on the page
// (templates/locations.html "loc-node"): the page, the node, and for a
// bed the status to show and its error.
type locNode struct {
	Page           *locationsPage
	Node           *crs.LocationNode
	Current, Error string
}

func newLocNode(p *locationsPage, n *crs.LocationNode) locNode {
	d := locNode{Page: p, Node: n, Current: string(n.Status)}
	if n.ID == p.Focus {
		d.Current, d.Error = p.Status, p.Err("status-"+n.ID)
	}
	return d
}

// addKind is the label of the link or button that adds a location of
// kind k.
func addKind(k crs.LocationKind) string {
	if k == crs.LocationED {
		return "Add an emergency department"
	}
	return "Add a " + k.Name()
}

// locationHints are the hints of the add form's fields, by kind: where
// it is, its code and its name.
var locationHints = map[crs.LocationKind][3]string{
	crs.LocationSite:       {"", "For example MAIN", "For example Riverside General Hospital"},
	crs.LocationWard:       {"The site the ward is on", "Unique in the trust, as HL7 messages name it (PV1-3), for example WD10", "For example Nightingale Ward"},
	crs.LocationBay:        {"The ward the bay is in", "Unique on the ward, for example BAYA", "For example Bay A"},
	crs.LocationBed:        {"The bay the bed is in, or its ward for a bed not in a bay (e.g. a side room)", "Unique in its bay or ward, for example B01", "For example Bed 1"},
	crs.LocationClinicRoom: {"The site, or the outpatients department (a room) it is within", "For example OPD1", "For example Outpatients room 1"},
	crs.LocationED:         {"The site of a department, or the department an area is within", "For example ED, or RESUS for an area", "For example Emergency department"},
}

func init() {
	funcs["locNode"] = newLocNode
	funcs["addKind"] = addKind
	funcs["parentHint"] = func(k crs.LocationKind) string { return locationHints[k][0] }
	funcs["codeHint"] = func(k crs.LocationKind) string {
		return "Letters, digits, dots, hyphens or underscores, no spaces. " + locationHints[k][1]
	}
	funcs["nameHint"] = func(k crs.LocationKind) string { return locationHints[k][2] }
	funcs["sexName"] = func(x crs.LocationSex) string { d, _ := nhs.Lookup(crs.LocationSexes, string(x)); return d }
	funcs["childKinds"] = childKinds
	funcs["kindName"] = func(k crs.LocationKind) string { return k.Name() }
	funcs["edType"] = edTypeName
	funcs["bedStatus"] = bedStatusName
	funcs["specialty"] = func(code string) string { d, _ := nhs.Lookup(nhs.TreatmentFunctions, code); return d }
}
