package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// unsignedLettersPage is the data of the list of clinic letters not yet
// signed some days after the attendance.
type unsignedLettersPage struct {
	pageData
	Clinic  string
	Days    string
	Letters []*crs.ClinicalNote
	Now     time.Time
}

// handleUnsignedLetters lists the clinic letters of a clinic (or every
// clinic) not yet signed more than N days (7 unless given) after the
// attendance, longest waiting first.
func (s *Server) handleUnsignedLetters(w http.ResponseWriter, r *http.Request) error {
	if s.Notes == nil {
		return errNoNotes
	}
	page := &unsignedLettersPage{Clinic: strings.ToUpper(form(r, "clinic")), Days: form(r, "days"), Now: s.now()}
	page.Title, page.Nav = "Clinic letters not signed", "letters"
	if page.Days == "" {
		page.Days = "7"
	}
	days, err := strconv.Atoi(page.Days)
	if err != nil || days < 0 || days > 365 {
		page.Errors.add("days", "", "Enter the number of days since the attendance, from 0 to 365")
		return s.reshow(w, r, "letters_unsigned", page, nil)
	}
	if page.Letters, err = s.Notes.UnsignedLetters(r.Context(), actorOf(r), page.Clinic, time.Duration(days)*24*time.Hour); err != nil {
		return err
	}
	return s.render(w, r, "letters_unsigned", page)
}
