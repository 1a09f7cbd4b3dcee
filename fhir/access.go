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
	// byScope lets a registered system (the interface role) through on
	// its granted scopes alone, which the scope check enforces: the audit
	// trail is read by people with view_audit and by systems given
	// AuditEvent.read, never by a system's role as such.
	byScope bool
}

// interactionAccess declares every interaction of the API, as web's
// routeAccess declares every page; authed enforces the activity, and
// TestInteractionAccess checks every registered route is here.
var interactionAccess = map[string]interaction{
	"GET /fhir/metadata":                                 {public: true},
	"GET /fhir/.well-known/smart-configuration":          {public: true},
	"POST /fhir/token":                                   {public: true},
	"/fhir/":                                             {public: true},
	"/fhir":                                              {public: true},
	"GET /fhir/_history":                                 {act: crs.ActViewClinical, rel: true},
	"POST /fhir":                                         {act: crs.ActRecordClinical},
	"POST /fhir/{$}":                                     {act: crs.ActRecordClinical},
	"GET /fhir":                                          {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{$}":                                      {act: crs.ActViewClinical, rel: true},
	"POST /fhir/_search":                                 {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{type}":                                   {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/_search":                          {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}":                                  {act: crs.ActRecordClinical},
	"GET /fhir/{type}/{$}":                               {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/{$}":                              {act: crs.ActRecordClinical},
	"GET /fhir/{type}/_history":                          {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{type}/{id}":                              {act: crs.ActViewClinical, rel: true},
	"PUT /fhir/{type}/{id}":                              {act: crs.ActRecordClinical},
	"DELETE /fhir/{type}/{id}":                           {act: crs.ActRecordClinical},
	"GET /fhir/{type}/{id}/_history":                     {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{type}/{id}/_history/{vid}":               {act: crs.ActViewClinical, rel: true},
	"PATCH /fhir/{type}/{id}":                            {act: crs.ActRecordClinical},
	"PUT /fhir/{type}":                                   {act: crs.ActRecordClinical},
	"DELETE /fhir/{type}":                                {act: crs.ActRecordClinical},
	"PATCH /fhir/{type}":                                 {act: crs.ActRecordClinical},
	"GET /fhir/Patient/{id}/$everything":                 {act: crs.ActViewClinical, rel: true},
	"GET /fhir/Encounter/{id}/$everything":               {act: crs.ActViewClinical, rel: true},
	"POST /fhir/Patient/$match":                          {act: crs.ActViewClinical, rel: true},
	"GET /fhir/Composition/{id}/$document":               {act: crs.ActViewClinical, rel: true},
	"POST /fhir/Composition/{id}/$document":              {act: crs.ActViewClinical, rel: true}, // persist=true writes through Store.Write, which checks record_clinical
	"GET /fhir/Composition/$document":                    {act: crs.ActViewClinical, rel: true},
	"POST /fhir/Composition/$document":                   {act: crs.ActViewClinical, rel: true},
	"GET /fhir/Observation/$lastn":                       {act: crs.ActViewClinical, rel: true},
	"POST /fhir/Observation/$lastn":                      {act: crs.ActViewClinical, rel: true},
	"GET /fhir/{type}/{id}/{of}":                         {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/{id}/{of}/_search":                {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/{id}/_search":                     {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/$validate":                        {act: crs.ActViewClinical},
	"POST /fhir/{type}/{id}/$validate":                   {act: crs.ActViewClinical},
	"GET /fhir/$meta":                                    {act: crs.ActViewClinical},
	"POST /fhir/$meta":                                   {act: crs.ActViewClinical},
	"GET /fhir/{type}/$meta":                             {act: crs.ActViewClinical},
	"POST /fhir/{type}/$meta":                            {act: crs.ActViewClinical},
	"GET /fhir/{type}/{id}/$meta":                        {act: crs.ActViewClinical, rel: true},
	"POST /fhir/{type}/{id}/$meta-add":                   {act: crs.ActRecordClinical},
	"POST /fhir/{type}/{id}/$meta-delete":                {act: crs.ActRecordClinical},
	"POST /fhir/{type}/{id}/_history/{vid}/$meta-add":    {act: crs.ActRecordClinical},
	"POST /fhir/{type}/{id}/_history/{vid}/$meta-delete": {act: crs.ActRecordClinical},
	"POST /fhir/{type}/{id}/$meta":                       {act: crs.ActViewClinical, rel: true},
	"GET /fhir/ValueSet/$expand":                         {act: crs.ActViewClinical},
	"GET /fhir/ValueSet/{id}/$expand":                    {act: crs.ActViewClinical},
	"GET /fhir/CodeSystem/$lookup":                       {act: crs.ActViewClinical},
	"GET /fhir/CodeSystem/$subsumes":                     {act: crs.ActViewClinical},
	"POST /fhir/EpisodeOfCare/{id}/$rtt-decision":        {act: crs.ActManagePathways}, // a clinical decision needs record_clinical too (the store checks it)
	"GET /fhir/ConceptMap/$translate":                    {act: crs.ActViewClinical},
	"POST /fhir/ConceptMap/$translate":                   {act: crs.ActViewClinical},
	"GET /fhir/ConceptMap/{id}/$translate":               {act: crs.ActViewClinical},
	"POST /fhir/ConceptMap/{id}/$translate":              {act: crs.ActViewClinical},
	"POST /fhir/CodeSystem/$subsumes":                    {act: crs.ActViewClinical},
	"POST /fhir/ValueSet/$expand":                        {act: crs.ActViewClinical},
	"POST /fhir/ValueSet/{id}/$expand":                   {act: crs.ActViewClinical},
	"POST /fhir/CodeSystem/$lookup":                      {act: crs.ActViewClinical},
	"GET /fhir/ValueSet/$validate-code":                  {act: crs.ActViewClinical},
	"GET /fhir/ValueSet/{id}/$validate-code":             {act: crs.ActViewClinical},
	"GET /fhir/CodeSystem/$validate-code":                {act: crs.ActViewClinical},
	"POST /fhir/ValueSet/$validate-code":                 {act: crs.ActViewClinical},
	"POST /fhir/ValueSet/{id}/$validate-code":            {act: crs.ActViewClinical},
	"POST /fhir/CodeSystem/$validate-code":               {act: crs.ActViewClinical},
	"GET /fhir/AuditEvent":                               {act: crs.ActViewAudit, byScope: true},
	"POST /fhir/AuditEvent/_search":                      {act: crs.ActViewAudit, byScope: true},
	"GET /fhir/$export":                                  {act: crs.ActViewClinical, rel: true},
	"GET /fhir/Patient/$export":                          {act: crs.ActViewClinical, rel: true},
	"GET /fhir/Group/{id}/$export":                       {act: crs.ActViewClinical, rel: true},
	"POST /fhir/$export":                                 {act: crs.ActViewClinical, rel: true},
	"POST /fhir/Patient/$export":                         {act: crs.ActViewClinical, rel: true},
	"POST /fhir/Group/{id}/$export":                      {act: crs.ActViewClinical, rel: true},
	"GET /fhir/$export-poll-status":                      {act: crs.ActViewClinical},
	"DELETE /fhir/$export-poll-status":                   {act: crs.ActViewClinical},
	"GET /fhir/$export-file":                             {act: crs.ActViewClinical},
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
	case in.byScope && p.Actor.Role == crs.RoleInterface:
		return nil
	}
	return p.Actor.Authorize(in.act)
}
