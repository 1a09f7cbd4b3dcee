package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// withOrders gives the server the orders of the resource store, as
// cmd/crs wires them, and loads trust A's test catalogue.
func (e *env) withOrders() *fhir.OrderService {
	e.t.Helper()
	o := &fhir.OrderService{Store: e.db, Resources: store.NewResourceService(e.db)}
	e.server.Orders = o
	if _, err := o.LoadCatalogue(context.Background(), e.a.System, []crs.OrderableTest{
		{Code: "FBC", Name: "Full blood count", Kind: crs.TestPathology, Specimen: "Blood (EDTA)", Destination: "Pathology LIMS"},
		{Code: "CXR", Name: "Chest X-ray", Kind: crs.TestRadiology, Destination: "Radiology RIS"},
	}); err != nil {
		e.t.Fatal(err)
	}
	return o
}

// TestOrderPages orders a test from the patient's record, with the
// form's refusals beside their fields, cancels it, and keeps clerks out.
func TestOrderPages(t *testing.T) {
	e := newEnv(t)
	orders := e.withOrders()
	p := e.register(e.a, "Order", "Olive", crs.NewDate(1960, 2, 3), "9990000018", "SW1A 1AA")
	e.relate(p.ID, crs.RoleDoctor, crs.RoleNurse)
	doc := e.login(e.a, crs.RoleDoctor)
	wantBody(t, "record", doc.get("/patients/"+p.ID), "/patients/"+p.ID+"/orders")
	r := doc.get("/patients/" + p.ID + "/orders")
	wantStatus(t, "orders page", r, 200)
	wantBody(t, "orders page", r, "No tests ordered.", "Full blood count", "Chest X-ray", `name="priority"`)

	r = doc.post("/patients/"+p.ID+"/orders", url.Values{"test": {""}, "clinical_details": {""}, "priority": {"routine"}})
	wantStatus(t, "empty order", r, http.StatusUnprocessableEntity)
	wantBody(t, "empty order", r, `id="test-error"`, `id="clinical_details-error"`)

	r = doc.post("/patients/"+p.ID+"/orders", url.Values{"test": {"FBC"}, "clinical_details": {"Tired all the time"}, "priority": {"urgent"}})
	wantStatus(t, "place order", r, http.StatusSeeOther)
	list, err := orders.PatientOrders(context.Background(), e.a.Actor(crs.RoleDoctor), p.ID)
	if err != nil || len(list) != 1 || list[0].Priority != crs.OrderUrgent || list[0].Requester != e.a.Users[crs.RoleDoctor].Username {
		t.Fatalf("orders: %+v, %v", list, err)
	}
	r = doc.get(r.loc)
	wantBody(t, "orders after placing", r, list[0].PlacerNumber, "Tired all the time", "Urgent", "Placed", "Cancel order")

	wantStatus(t, "cancel order", doc.post("/orders/"+list[0].ID+"/cancel", url.Values{"reason": {"Duplicate request"}}), http.StatusSeeOther)
	wantBody(t, "orders after cancelling", doc.get("/patients/"+p.ID+"/orders"), "Cancelled", "Duplicate request")

	// A planned test needs its due date, beside the field; with one it is
	// shown planned.
	r = doc.post("/patients/"+p.ID+"/orders", url.Values{"test": {"CXR"}, "clinical_details": {"Surveillance"}, "priority": {"routine"}, "planned": {"yes"}, "due_on": {"31/02/2026"}})
	wantStatus(t, "planned, bad due date", r, http.StatusUnprocessableEntity)
	wantBody(t, "planned, bad due date", r, `id="due_on-error"`, "Date due must be a real date")
	r = doc.post("/patients/"+p.ID+"/orders", url.Values{"test": {"CXR"}, "clinical_details": {"Surveillance"}, "priority": {"routine"}, "planned": {"yes"}})
	wantStatus(t, "planned, no due date", r, http.StatusUnprocessableEntity)
	wantBody(t, "planned, no due date", r, `id="due_on-error"`, "Enter the date a planned test is due")
	r = doc.post("/patients/"+p.ID+"/orders", url.Values{"test": {"CXR"}, "clinical_details": {"Surveillance"}, "priority": {"routine"}, "planned": {"yes"}, "due_on": {"2026-04-02"}})
	wantStatus(t, "planned order", r, http.StatusSeeOther)
	wantBody(t, "orders after a planned one", doc.get(r.loc), "Planned, due 02-Apr-2026")

	clerk := e.login(e.a, crs.RoleClerk)
	wantStatus(t, "clerk's orders page", clerk.get("/patients/"+p.ID+"/orders"), http.StatusForbidden)
}
