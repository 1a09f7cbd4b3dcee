package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/opencrs/crs"
)

// historyPage is the data of a patient's history page.
type historyPage struct {
	pageData
	Events []historyEvent
}

// historyEvent is one change to the record as the history page shows it.
type historyEvent struct {
	*crs.Event
	Effective time.Time // shown only when it differs from when it was recorded
	Changes   []change
}

// change is one field changed by an update, from old to new.
type change struct {
	Field, Old, New string
}

// handleHistory lists the changes to a patient's record, newest first:
// when each was recorded and took effect, who made it in which role, what
// it was and, for updates, each field's old and new value.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	events, err := s.Patients.PatientHistory(r.Context(), a, b.ID)
	if err != nil {
		return err
	}
	page := &historyPage{}
	page.Title, page.Banner = "History", b
	for _, e := range events {
		h := historyEvent{Event: e, Changes: changesOf(e.Data)}
		if !e.EffectiveAt.IsZero() && !e.EffectiveAt.Equal(e.RecordedAt) {
			h.Effective = e.EffectiveAt
		}
		page.Events = append(page.Events, h)
	}
	return s.render(w, r, "history", page)
}

// changesOf reads the "changes" of an event's data: {field: [old, new]}.
func changesOf(data json.RawMessage) []change {
	var d struct {
		Changes map[string][2]any `json:"changes"`
	}
	if len(data) == 0 || json.Unmarshal(data, &d) != nil {
		return nil
	}
	out := make([]change, 0, len(d.Changes))
	for f, v := range d.Changes {
		out = append(out, change{Field: sentence(f), Old: valueText(v[0]), New: valueText(v[1])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func valueText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
