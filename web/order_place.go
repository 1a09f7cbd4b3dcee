package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handlePlaceOrder orders a test for the patient: the order is recorded
// and sent to the system that carries the test out. A planned test
// (surveillance or repeat, due on a date) is marked so: for a DM01 test
// it is then not on the diagnostic waiting list.
func (s *Server) handlePlaceOrder(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &ordersPage{Test: form(r, "test"), ClinicalDetails: form(r, "clinical_details"), Priority: form(r, "priority"),
		Planned: form(r, "planned"), DueOn: typedDateText(r, "due_on")}
	if err := s.ordersPage(r, page); err != nil {
		return err
	}
	o := &crs.Order{PatientID: page.Banner.ID, Test: crs.OrderableTest{Code: page.Test}, ClinicalDetails: page.ClinicalDetails, Priority: page.Priority,
		Planned: page.Planned == "yes"}
	var msg string
	o.DueOn, msg = readDate(r, "due_on", "Date due")
	page.Errors.dateError("due_on", msg)
	fp := formPost{name: "orders", page: page, order: orderFields, fallback: "test"}
	fp.check(o.Validate())
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Orders.PlaceOrder(r.Context(), a, o)
		return "/patients/" + page.Banner.ID + "/orders", o.Test.Name + " ordered: " + o.PlacerNumber, err
	})
}
