package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// ordersPage is the data of a patient's orders page: the tests ordered
// for them and the form to order one.
type ordersPage struct {
	pageData
	Orders                          []*crs.Order
	Tests                           []nhs.Code // the trust's catalogue, code and name
	Priorities                      []nhs.Code
	Test, ClinicalDetails, Priority string
	Planned, DueOn                  string // "yes" for a planned (surveillance or repeat) test, and its due date
}

// orderFields lists the order form's fields in page order.
var orderFields = []string{"test", "clinical_details", "priority", "due_on"}

// orderPriorities are the priority choices of the order form.
var orderPriorities = []nhs.Code{{Code: crs.OrderRoutine, Description: "Routine"}, {Code: crs.OrderUrgent, Description: "Urgent"},
	{Code: crs.OrderASAP, Description: "As soon as possible"}, {Code: crs.OrderStat, Description: "Stat (immediately)"}}

func (s *Server) ordersPage(r *http.Request, page *ordersPage) error {
	if s.Orders == nil {
		return errNoJourney
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Title, page.Banner, page.Priorities = "Orders", b, orderPriorities
	if page.Orders, err = s.Orders.PatientOrders(r.Context(), a, b.ID); err != nil {
		return err
	}
	tests, err := s.Orders.Catalogue(r.Context(), a)
	for _, t := range tests {
		page.Tests = append(page.Tests, nhs.Code{Code: t.Code, Description: t.Name})
	}
	return err
}

// handleOrders shows the tests ordered for the patient, newest first,
// with their status, and the form to order one.
func (s *Server) handleOrders(w http.ResponseWriter, r *http.Request) error {
	page := &ordersPage{Priority: crs.OrderRoutine}
	if err := s.ordersPage(r, page); err != nil {
		return err
	}
	return s.render(w, r, "orders", page)
}
