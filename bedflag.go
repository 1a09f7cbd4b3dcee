package crs

// Bed flags are the warnings of the clinical record the bed board shows
// on an occupied bed, so the ward sees who must be nursed apart and who
// may fall without opening each record.
const (
	BedFlagIsolation = "isolation" // isolation or an infection risk: nurse apart (side room, precautions)
	BedFlagFalls     = "falls"     // at risk of falls: falls care plan, bed low, help to walk
)

// BedFlags are the flags in the order the board shows them, with the
// words of each tag.
var BedFlags = []struct{ Flag, Name string }{
	{BedFlagIsolation, "Isolation"},
	{BedFlagFalls, "Falls risk"},
}

// BedFlagConcepts are the SNOMED CT concepts that flag a bed when the
// patient has a current problem (active, recurrence or relapse, not
// refuted or entered in error) coded with one of them: a nurse records
// it on the problem list (as an alert, so the banner shows it too) and
// ends it by resolving the problem. A concept must be a finding,
// disorder or situation (the problem list refuses a procedure such as
// 40174006 Isolation procedure).
var BedFlagConcepts = map[string]string{
	"266096002": BedFlagIsolation, // Carrier of methicillin resistant Staphylococcus aureus (MRSA carrier)
	"129839007": BedFlagFalls,     // At risk for falls
}

// BedFlagName is the words of a flag's tag on the board.
func BedFlagName(flag string) string {
	for _, f := range BedFlags {
		if f.Flag == flag {
			return f.Name
		}
	}
	return flag
}
