package fhir

import (
	"net/http"

	"github.com/opencrs/crs"
)

// interaction says what a FHIR interaction needs: the activity of the
// actor it acts for, and whether a person needs a legitimate relationship
// with each patient whose content it returns (the store checks it on
// every clinical read; system clients with scopes are exempt but
// audited). Public interactions need no token.
type interaction struct {
	act    crs.Activity
	rel    bool
	public bool
}

// interactionAccess declares every interaction of the API, as web's
// routeAccess declares every page; authed enforces the activity, and
// TestInteractionAccess checks every registered route is here.
var interactionAccess = map[string]interaction{
	"GET /fhir/metadata":                        {public: true},
	"GET /fhir/.well-known/smart-configuration": {public: true},
	"POST /fhir/token":                          {public: true},
	"/fhir/":                                    {public: true},
	"GET /fhir/_history":                        {act: crs.ActViewClinical, rel: true},
	"POST /fhir":                                {act: crs.ActRecordClinical},
	"POST /fhir/{$}":                            {act: crs.ActRecordClinical},
	"GET /fhir/{type}":                          {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/_search":                 {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}":                         {act: crs.ActRecordClinical},
	"GET /fhir/{type}/_history":                 {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{type}/{id}":                     {act: crs.ActViewClinical, rel: true},
	"PUT /fhir/{type}/{id}":                     {act: crs.ActRecordClinical},
	"DELETE /fhir/{type}/{id}":                  {act: crs.ActRecordClinical},
	"GET /fhir/{type}/{id}/_history":            {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{type}/{id}/_history/{vid}":      {act: crs.ActViewClinical, rel: true},
}

// allowInteraction refuses an interaction the actor's role does not
// allow, or one not declared in interactionAccess.
func allowInteraction(r *http.Request, p *Principal) error {
	in, ok := interactionAccess[r.Pattern]
	switch {
	case !ok:
		return crs.Errorf(crs.EFORBIDDEN, "this interaction has no declared access rule")
	case in.public:
		return nil
	}
	return p.Actor.Authorize(in.act)
}
