package fhir

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"github.com/opencrs/crs/nhs"
)

// terminologyCapabilities answers metadata?mode=terminology: the code
// systems the server knows and what its terminology operations do, as a
// TerminologyCapabilities (R4). A validator or an integration engine
// pointed at OpenCRS as its terminology server reads this first to learn
// which systems to ask it about. It says only what is true of every
// trust: the code systems of R4, UK Core and OpenCRS's own that the
// server holds whole, and SNOMED CT, whose release is the trust's own
// (asked by $lookup, $validate-code and $subsumes with its token).
func (s *Server) terminologyCapabilities(w http.ResponseWriter, r *http.Request) {
	var systems []any
	known := modelCodes()
	for _, url := range slices.Sorted(maps.Keys(known)) {
		c := map[string]any{"uri": url, "subsumption": false}
		if m, ok := codeSystemTable[url]; ok && m.Version != "" {
			c["version"] = []any{map[string]any{"code": m.Version, "isDefault": true}}
		}
		systems = append(systems, c)
	}
	systems = append(systems, map[string]any{"uri": nhs.SNOMEDSystem, "subsumption": true,
		"version": []any{map[string]any{"isDefault": true, "compositional": false,
			"filter": []any{map[string]any{"code": "concept", "op": []string{"is-a", "descendent-of", "in"}},
				map[string]any{"code": "constraint", "op": []string{"="}}}}}})
	tc := statement("TerminologyCapabilities", "OpenCRS FHIR R4 API: CodeSystem $lookup, $validate-code and $subsumes; ValueSet $expand and $validate-code; ConceptMap $translate", baseURL(r))
	maps.Copy(tc, map[string]any{
		"name":       "OpenCRSTerminologyCapabilities",
		"title":      "OpenCRS terminology capabilities",
		"lockedDate": false,
		"codeSystem": systems,
		"expansion": map[string]any{"hierarchical": false, "paging": true, "incomplete": false,
			"parameter": []any{map[string]any{"name": "filter"}, map[string]any{"name": "count"}, map[string]any{"name": "offset"},
				map[string]any{"name": "activeOnly"}, map[string]any{"name": "includeDesignations"}, map[string]any{"name": "valueSetVersion"}},
			"textFilter": "filter keeps the codes whose display has a word starting with each word of the filter"},
		"codeSearch":   "explicit",
		"validateCode": map[string]any{"translations": false},
		// $translate reads every map from the code's system when it is
		// named none.
		"translation": map[string]any{"needsMap": false},
	})
	b, _ := json.Marshal(tc)
	writeJSON(w, http.StatusOK, b)
}
