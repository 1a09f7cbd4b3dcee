package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// closeFields lists the close form's fields in page order.
var closeFields = []string{"closed_on", "reason", "rtt_status"}

// handleCloseReferral closes (discharges) a referral that needs no
// further outpatient care, with the reason and, on an RTT pathway, the
// status of the decision: 34 no treatment needed stops the clock.
func (s *Server) handleCloseReferral(w http.ResponseWriter, r *http.Request) error {
	page := &referralPage{ClosedOn: form(r, "closed_on"), Reason: form(r, "reason"), RTTStatus: form(r, "rtt_status")}
	if err := s.loadReferral(r, page); err != nil {
		return err
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	switch {
	case page.Referral.Status != crs.ReferralOpen:
		return crs.Errorf(crs.ECONFLICT, "The referral is already closed.")
	case page.Live:
		return crs.Errorf(crs.ECONFLICT, "The referral has a booked appointment: cancel it first, then close the referral.")
	}
	c := crs.ReferralClosure{Reason: page.Reason}
	var msg string
	c.On, msg = readDate(r, "closed_on", "Date closed")
	page.Errors.dateError("closed_on", msg)
	c.RTTStatus = readRTT(&page.Errors, "rtt_status", page.RTTStatus)
	fp := formPost{name: "referral", page: page, order: closeFields, fallback: "reason"}
	fp.check(c.Validate(s.now()))
	return s.submit(w, r, fp, func() (string, string, error) {
		msg := "Referral closed"
		if c.RTTStatus != 0 {
			msg += " with RTT status " + c.RTTStatus.String()
		}
		err := s.Referrals.CloseReferral(r.Context(), a, page.Referral.ID, c)
		return "/referrals/" + page.Referral.ID, msg, err
	})
}
