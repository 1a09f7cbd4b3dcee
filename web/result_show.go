package web

import (
	"net/http"
	"sort"
	"time"

	"github.com/opencrs/crs"
)

// resultPage is the data of one result's page: the current version and
// the versions it replaced.
type resultPage struct {
	pageData
	Patient  *crs.Patient
	Result   *crs.Result   // the current version
	Versions []*crs.Result // every version, the current one first
	// Review is whether a clinician has acknowledged the result, when
	// results are filed to the resource store; Trends are the earlier
	// values of each of its tests.
	Review *crs.ResultReview
	Trends []resultTrend
}

// resultTrend is the values one test took in the patient's results,
// oldest first: the trend a clinician reads a new value against.
type resultTrend struct {
	Test   string
	Points []trendPoint
}

type trendPoint struct {
	At       time.Time
	Value    string
	Units    string
	Flags    string
	Abnormal bool
	Current  bool // the value of the result shown
}

// trends gathers, for each observation of cur, the values of the same
// test (OBX-3 code) in the patient's current results, oldest first;
// tests with no other value are left out.
func trends(cur *crs.Result, all []*crs.Result) []resultTrend {
	var out []resultTrend
	for _, o := range cur.Observations {
		if o.Code == "" {
			continue
		}
		t := resultTrend{Test: o.Name}
		if t.Test == "" {
			t.Test = o.Code
		}
		for _, r := range all {
			for _, x := range r.Observations {
				if x.Code == o.Code && x.Units == o.Units {
					t.Points = append(t.Points, trendPoint{At: r.ObservedAt, Value: x.Value, Units: x.Units, Flags: x.Flags, Abnormal: x.Abnormal(), Current: r.ID == cur.ID})
				}
			}
		}
		if len(t.Points) > 1 {
			sort.SliceStable(t.Points, func(i, j int) bool { return t.Points[i].At.Before(t.Points[j].At) })
			out = append(out, t)
		}
	}
	return out
}

// handleResult shows one result of the patient's record with its history:
// each earlier version (a preliminary, a value since corrected) below the
// current one.
func (s *Server) handleResult(w http.ResponseWriter, r *http.Request) error {
	if s.Results == nil {
		return errNoResults
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &resultPage{Patient: p}
	page.Title, page.Banner = "Result", b
	if page.Versions, err = s.Results.ResultHistory(r.Context(), actorOf(r), p.ID, r.PathValue("result")); err != nil {
		return err
	}
	page.Result = page.Versions[0]
	all, err := s.Results.FindResults(r.Context(), actorOf(r), p.ID)
	if err != nil {
		return err
	}
	page.Trends = trends(page.Result, all)
	if s.Reviews != nil {
		switch rv, err := s.Reviews.ResultReviewOf(r.Context(), actorOf(r), page.Result.ID); crs.ErrorCode(err) {
		case "":
			page.Review = rv
		case crs.ENOTFOUND: // filed before results went to the resource store
		default:
			return err
		}
	}
	return s.render(w, r, "result", page)
}
