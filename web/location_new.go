package web

import (
	"net/http"
	"slices"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// locationForm is the add-a-location form as typed.
type locationForm struct {
	Kind, Parent, Code, Name, Sex, Specialty, Status, EDType string
}

// locationNewPage is the data of the add-a-location page.
type locationNewPage struct {
	pageData
	Form        locationForm
	Kind        crs.LocationKind
	Parents     []*crs.LocationNode // the locations the new one may be within
	Sexes       []nhs.Code
	Specialties []nhs.Code
	Statuses    []nhs.Code
	EDTypes     []nhs.Code
	NeedsType   bool // an emergency department can be on a site (and so needs its type)
}

// locationFields lists the form's fields in page order, for the error
// summary; locationAnchors the fields whose first input has another id.
var (
	locationFields  = []string{"parent", "code", "name", "sex", "specialty", "ed_type", "status"}
	locationAnchors = map[string]string{"sex": "sex-male", "status": "status-available"}
)

// loadLocationNew fills the page for adding a location of the form's
// kind, after checking the user may administer locations.
func (s *Server) loadLocationNew(r *http.Request, p *locationNewPage) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActAdministerSettings); err != nil {
		return err
	}
	p.Kind = crs.LocationKind(p.Form.Kind)
	if !knownKind(p.Kind) {
		return crs.Errorf(crs.ENOTFOUND, "There is no kind of location %q: choose what to add on the Locations page.", p.Form.Kind)
	}
	locs, err := s.Orgs.FindLocations(r.Context(), a, "")
	if err != nil {
		return err
	}
	kinds := crs.ParentKinds(p.Kind)
	for _, site := range crs.LocationTree(locs) {
		site.Walk(func(n *crs.LocationNode) {
			if slices.Contains(kinds, n.Kind) {
				p.Parents = append(p.Parents, n)
			}
		})
	}
	p.Sexes, p.Specialties, p.Statuses, p.EDTypes = crs.LocationSexes, nhs.TreatmentFunctions, crs.BedStatuses, nhs.EDDepartmentTypes
	p.NeedsType = p.Kind == crs.LocationED
	p.Title, p.Nav = "Add a "+p.Kind.Name(), "locations"
	return nil
}

// knownKind reports whether k is a kind of location.
func knownKind(k crs.LocationKind) bool {
	return k == crs.LocationSite || len(crs.ParentKinds(k)) > 0
}

// handleLocationNewForm shows the form to add a location of the kind in
// ?kind=, within the location in ?parent= when given.
func (s *Server) handleLocationNewForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &locationNewPage{Form: locationForm{Kind: q.Get("kind"), Parent: q.Get("parent"), Status: string(crs.BedAvailable)}}
	if err := s.loadLocationNew(r, p); err != nil {
		return err
	}
	return s.render(w, r, "location_new", p)
}

// handleLocationNew adds the location, or shows the form again with each
// problem beside its field.
func (s *Server) handleLocationNew(w http.ResponseWriter, r *http.Request) error {
	f := locationForm{Kind: form(r, "kind"), Parent: form(r, "parent"), Code: form(r, "code"), Name: form(r, "name"), Sex: form(r, "sex"),
		Specialty: form(r, "specialty"), Status: form(r, "status"), EDType: form(r, "ed_type")}
	p := &locationNewPage{Form: f}
	if err := s.loadLocationNew(r, p); err != nil {
		return err
	}
	l := &crs.Location{Kind: p.Kind, Code: f.Code, Name: f.Name}
	var parentKind crs.LocationKind
	if p.Kind != crs.LocationSite {
		l.ParentID = f.Parent
		i := slices.IndexFunc(p.Parents, func(n *crs.LocationNode) bool { return n.ID == f.Parent })
		switch {
		case f.Parent == "":
			p.Errors.add("parent", "", "Choose where the "+p.Kind.Name()+" is")
		case i < 0:
			p.Errors.add("parent", "", "Choose a location of this trust from the list")
		default:
			parentKind = p.Parents[i].Kind
		}
	}
	switch p.Kind {
	case crs.LocationWard:
		l.Sex, l.Specialty = crs.LocationSex(f.Sex), f.Specialty
	case crs.LocationBay:
		l.Sex = crs.LocationSex(f.Sex)
	case crs.LocationBed:
		l.Status = crs.BedStatus(f.Status)
	case crs.LocationED:
		l.EDType = f.EDType
	}
	fp := formPost{name: "location_new", page: p, order: locationFields, anchors: locationAnchors, fallback: "code"}
	fp.check(l.ValidateNew(parentKind))
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Orgs.CreateLocation(r.Context(), actorOf(r), l)
		return "/locations#loc-" + l.ID, sentence(p.Kind.Name()) + " " + l.Code + " " + l.Name + " added.", err
	})
}
