package web

import (
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
)

// routeRule says who may use a route: a logged-in user whose role has
// one of the activities (none listed: any logged-in user), and, for a
// page of a patient's clinical record, a legitimate relationship with
// the patient the address names ({id}). Public routes need no login.
type routeRule struct {
	acts   []crs.Activity
	rel    bool // the route shows the clinical record of patient {id}
	public bool
}

func need(acts ...crs.Activity) routeRule { return routeRule{acts: acts} }

// clinical is the rule of a page of patient {id}'s clinical record.
var clinical = routeRule{acts: []crs.Activity{crs.ActViewClinical}, rel: true}

// recording is the rule of a form that writes to patient {id}'s clinical
// record (it shows the record too).
var recording = routeRule{acts: []crs.Activity{crs.ActRecordClinical}, rel: true}

var public = routeRule{public: true}

// routeAccess declares, for every route of the user interface, the
// activity it needs and whether it needs a legitimate relationship.
// authed enforces it before the handler runs (the services check again),
// and TestRouteAccessMatrix walks every route in every role, with and
// without a relationship, against it; a route missing here is refused.
var routeAccess = map[string]routeRule{
	"GET /healthz": public, "GET /static/": public, "GET /login": public, "POST /login": public, "/": public,
	"POST /logout": need(), "GET /{$}": need(),
	"GET /login/role": need(), "POST /login/role": need(),

	// The patient index.
	"GET /patients":                   need(crs.ActSearchPatients),
	"GET /patients/new":               need(crs.ActRegisterPatient),
	"POST /patients/new":              need(crs.ActRegisterPatient),
	"GET /patients/{id}":              need(crs.ActViewDemographics),
	"GET /patients/{id}/edit":         need(crs.ActAmendDemographics),
	"POST /patients/{id}/edit":        need(crs.ActAmendDemographics),
	"GET /patients/{id}/death":        need(crs.ActAmendDemographics),
	"POST /patients/{id}/death":       need(crs.ActAmendDemographics),
	"GET /patients/{id}/merge":        need(crs.ActMergePatients),
	"POST /patients/{id}/merge":       need(crs.ActMergePatients),
	"POST /patients/{id}/unmerge":     need(crs.ActMergePatients),
	"POST /patients/{id}/delete":      need(crs.ActMergePatients),
	"GET /patients/{id}/history":      need(crs.ActViewDemographics),
	"GET /patients/{id}/audit":        need(crs.ActViewAudit),
	"GET /patients/{id}/audit/letter": need(crs.ActViewAudit),
	"POST /patients/{id}/seal":        need(crs.ActSealRecords),
	"POST /patients/{id}/unseal":      need(crs.ActSealRecords),
	"POST /patients/{id}/access":      need(crs.ActViewClinical),

	// The clinical record.
	"GET /patients/{id}/results":                    clinical,
	"GET /patients/{id}/results/{result}":           clinical,
	"GET /patients/{id}/documents":                  clinical,
	"GET /patients/{id}/documents/{doc}":            clinical,
	"GET /patients/{id}/documents/{doc}/content":    clinical,
	"GET /patients/{id}/problems":                   clinical,
	"GET /patients/{id}/problems/new":               recording,
	"POST /patients/{id}/problems/new":              recording,
	"GET /patients/{id}/problems/{problem}":         recording,
	"POST /patients/{id}/problems/{problem}":        recording,
	"POST /patients/{id}/problems/{problem}/error":  recording,
	"GET /patients/{id}/allergies":                  clinical,
	"POST /patients/{id}/allergies/none":            recording,
	"GET /patients/{id}/allergies/new":              recording,
	"POST /patients/{id}/allergies/new":             recording,
	"GET /patients/{id}/allergies/{allergy}":        recording,
	"POST /patients/{id}/allergies/{allergy}":       recording,
	"POST /patients/{id}/allergies/{allergy}/error": recording,
	"GET /patients/{id}/notes":                      clinical,
	"GET /patients/{id}/notes/new":                  recording,
	"POST /patients/{id}/notes/new":                 recording,
	"GET /patients/{id}/notes/{note}":               clinical,
	"POST /patients/{id}/notes/{note}":              recording,
	"POST /patients/{id}/notes/{note}/error":        recording,
	"GET /patients/{id}/notes/{note}/letter.pdf":    clinical,
	"POST /appointments/{id}/letter":                need(crs.ActRecordClinical),
	"GET /outpatients/letters":                      need(crs.ActViewClinical),
	"GET /patients/{id}/timeline":                   clinical,
	"GET /patients/{id}/observations":               clinical,
	"POST /patients/{id}/observations":              recording,
	"POST /patients/{id}/observations/scale":        recording,
	"POST /patients/{id}/observations/{set}/error":  recording,
	"GET /wards/{id}/clinical":                      need(crs.ActViewClinical),
	"GET /terminology/concepts":                     need(crs.ActRecordClinical),
	"GET /patients/{id}/orders":                     clinical,
	"POST /patients/{id}/orders":                    recording,
	"POST /orders/{id}/cancel":                      need(crs.ActRecordClinical),
	"GET /results/worklist":                         need(crs.ActViewClinical),
	"POST /results/{report}/acknowledge":            need(crs.ActRecordClinical),
	"GET /spells/{id}/summary":                      need(crs.ActViewClinical),
	"POST /spells/{id}/summary":                     need(crs.ActRecordClinical),
	"GET /spells/{id}/summary.pdf":                  need(crs.ActViewClinical),
	"GET /discharges/summaries":                     need(crs.ActViewClinical),

	// The patient journey.
	"GET /patients/{id}/referrals/new":               need(crs.ActManagePathways),
	"POST /patients/{id}/referrals/new":              need(crs.ActManagePathways),
	"GET /referrals/{id}":                            need(crs.ActViewDemographics),
	"GET /referrals/{id}/book":                       need(crs.ActManagePathways),
	"POST /referrals/{id}/book":                      need(crs.ActManagePathways),
	"POST /referrals/{id}/close":                     need(crs.ActManagePathways),
	"GET /pathways/{id}":                             need(crs.ActViewDemographics),
	"GET /pathways/{id}/list":                        need(crs.ActManagePathways),
	"POST /pathways/{id}/list":                       need(crs.ActManagePathways),
	"POST /pathways/{id}/decision":                   need(crs.ActManagePathways),
	"GET /clinics":                                   need(crs.ActManagePathways, crs.ActAdministerSettings),
	"POST /clinics":                                  need(crs.ActAdministerSettings),
	"GET /clinics/{id}":                              need(crs.ActManagePathways, crs.ActAdministerSettings),
	"POST /clinics/{id}/slots":                       need(crs.ActManagePathways, crs.ActAdministerSettings),
	"GET /appointments/{id}":                         need(crs.ActManagePathways),
	"POST /appointments/{id}/cancel":                 need(crs.ActManagePathways),
	"GET /appointments/{id}/reschedule":              need(crs.ActManagePathways),
	"POST /appointments/{id}/reschedule":             need(crs.ActManagePathways),
	"POST /appointments/{id}/checkin":                need(crs.ActManagePathways),
	"POST /appointments/{id}/attendance":             need(crs.ActManagePathways),
	"POST /appointments/{id}/outcome":                need(crs.ActManagePathways),
	"GET /worklists":                                 need(crs.ActManagePathways),
	"GET /waiting-list":                              need(crs.ActManagePathways),
	"GET /waiting-list.csv":                          need(crs.ActManagePathways),
	"GET /waiting-list/{id}":                         need(crs.ActManagePathways),
	"POST /waiting-list/{id}/offer":                  need(crs.ActManagePathways),
	"POST /waiting-list/{id}/offers/{offer}/respond": need(crs.ActManagePathways),
	"POST /waiting-list/{id}/remove":                 need(crs.ActManagePathways),
	"POST /waiting-list/{id}/suspend":                need(crs.ActManagePathways),
	"POST /waiting-list/{id}/resume":                 need(crs.ActManagePathways),
	"POST /waiting-list/{id}/dna":                    need(crs.ActManagePathways),
	"GET /ptl":                                       need(crs.ActManagePathways),
	"GET /ptl.csv":                                   need(crs.ActManagePathways),
	"GET /patients/{id}/admit":                       need(crs.ActManagePathways),
	"POST /patients/{id}/admit":                      need(crs.ActManagePathways),
	"GET /patients/{id}/preadmissions/new":           need(crs.ActManagePathways),
	"POST /patients/{id}/preadmissions/new":          need(crs.ActManagePathways),
	"GET /preadmissions/{id}":                        need(crs.ActManagePathways),
	"POST /preadmissions/{id}/cancel":                need(crs.ActManagePathways),
	"GET /spells/{id}":                               need(crs.ActManagePathways),
	"POST /spells/{id}/{action}":                     need(crs.ActManagePathways),
	"POST /spells/{id}/not-done":                     need(crs.ActManagePathways),
	"GET /beds":                                      need(crs.ActManagePathways),
	"GET /beds/{ward}":                               need(crs.ActManagePathways),
	"GET /patients/{id}/ed/new":                      need(crs.ActManagePathways),
	"POST /patients/{id}/ed/new":                     need(crs.ActManagePathways),
	"GET /ed":                                        need(crs.ActManagePathways),
	"GET /ed/{id}":                                   need(crs.ActManagePathways),
	"POST /ed/{id}/{action}":                         need(crs.ActManagePathways),
	"GET /coding":                                    need(crs.ActCodeEpisodes),
	"GET /coding/episodes/{id}":                      need(crs.ActCodeEpisodes),
	"POST /coding/episodes/{id}":                     need(crs.ActCodeEpisodes),
	"GET /live":                                      need(crs.ActManagePathways),

	// Staff and locations, for the trust's administrators.
	"GET /staff":                                    need(crs.ActAdministerUsers),
	"GET /staff/new":                                need(crs.ActAdministerUsers),
	"POST /staff/new":                               need(crs.ActAdministerUsers),
	"GET /staff/{id}":                               need(crs.ActAdministerUsers),
	"POST /staff/{id}/disable":                      need(crs.ActAdministerUsers),
	"POST /staff/{id}/enable":                       need(crs.ActAdministerUsers),
	"POST /staff/{id}/password":                     need(crs.ActAdministerUsers),
	"POST /staff/{id}/unlock":                       need(crs.ActAdministerUsers),
	"POST /staff/{id}/roles":                        need(crs.ActAdministerUsers),
	"POST /staff/{id}/identity":                     need(crs.ActAdministerUsers),
	"POST /staff/{id}/assignments":                  need(crs.ActAdministerUsers),
	"POST /staff/{id}/assignments/{assignment}/end": need(crs.ActAdministerUsers),
	"GET /locations":                                need(crs.ActAdministerSettings),
	"GET /locations/new":                            need(crs.ActAdministerSettings),
	"POST /locations/new":                           need(crs.ActAdministerSettings),
	"POST /locations/{id}/status":                   need(crs.ActAdministerSettings),

	// The privacy officer.
	"GET /privacy/alerts":             need(crs.ActViewAudit),
	"POST /privacy/alerts/{id}/close": need(crs.ActViewAudit),

	// The interface analyst.
	"GET /messages":                     need(crs.ActManageInterfaces),
	"GET /messages/{id}":                need(crs.ActManageInterfaces),
	"POST /messages/{id}/resend":        need(crs.ActManageInterfaces),
	"POST /messages/{id}/skip":          need(crs.ActManageInterfaces),
	"POST /messages/{id}/reprocess":     need(crs.ActManageInterfaces),
	"POST /messages/reprocess":          need(crs.ActManageInterfaces),
	"POST /feeds/{id}/resend":           need(crs.ActManageInterfaces),
	"GET /feeds":                        need(crs.ActManageInterfaces),
	"GET /interfaces":                   need(crs.ActManageInterfaces),
	"GET /interfaces/{id}/maps":         need(crs.ActManageInterfaces),
	"POST /interfaces/{id}/maps":        need(crs.ActManageInterfaces),
	"POST /interfaces/{id}/maps/import": need(crs.ActManageInterfaces),
	"POST /interfaces/{id}/reprocess":   need(crs.ActManageInterfaces),
	"GET /interfaces/{id}/check":        need(crs.ActManageInterfaces),
	"POST /interfaces/{id}/check":       need(crs.ActManageInterfaces),

	// The information analyst's area and diagnostic requests.
	"GET /reports":                    need(crs.ActViewReports),
	"GET /golive":                     need(crs.ActViewReports, crs.ActAdministerSettings),
	"GET /reports/rtt":                need(crs.ActViewReports),
	"GET /reports/rtt/patients":       need(crs.ActViewReports),
	"GET /reports/kh03":               need(crs.ActViewReports),
	"GET /reports/ae":                 need(crs.ActViewReports),
	"GET /reports/download":           need(crs.ActViewReports),
	"GET /patients/{id}/diagnostics":  need(crs.ActManagePathways),
	"POST /patients/{id}/diagnostics": need(crs.ActManagePathways),
	"POST /diagnostics/{id}/done":     need(crs.ActManagePathways),
}

// errNoRule refuses a route that routeAccess does not declare: access is
// never given by omission.
var errNoRule = crs.Errorf(crs.EFORBIDDEN, "this page has no declared access rule, so no one may use it")

// allowRoute checks the request's route against routeAccess for the
// session: the role must have one of the route's activities and, on a
// page of the clinical record, the user a legitimate relationship with
// the patient. A session whose role is not chosen yet is sent to choose
// it. It answers the request itself and returns false when refused.
func (s *Server) allowRoute(w http.ResponseWriter, r *http.Request, sess *session) bool {
	rule, ok := routeAccess[r.Pattern]
	if sess.user.Role == "" && r.Pattern != "GET /login/role" && r.Pattern != "POST /login/role" && r.Pattern != "POST /logout" {
		http.Redirect(w, r, "/login/role?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return false
	}
	var err error
	switch {
	case !ok:
		err = errNoRule
	case len(rule.acts) > 0:
		err = crs.Errorf(crs.EFORBIDDEN, "your role (%s) does not allow %s", sess.actor.Role.Name(), rule.acts[0].Name())
		for _, act := range rule.acts {
			if sess.actor.Can(act) {
				err = nil
			}
		}
	}
	if err == nil && rule.rel && s.Access != nil {
		err = s.Access.CheckClinical(r.Context(), sess.actor, r.PathValue("id"))
	}
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}
