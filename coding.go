package crs

import (
	"context"
	"strconv"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Event types of clinical coding.
const (
	EventEpisodeCoded      = "episode.coded"      // a clinical coder coded (or recoded) a consultant episode
	EventTerminologyLoaded = "terminology.loaded" // a trust loaded its code list of ICD-10 or OPCS-4
)

// ActCodeEpisodes is coding finished consultant episodes with diagnoses
// and procedures from the patient's notes.
const ActCodeEpisodes Activity = "code_episodes"

// RoleCoder is a clinical coder: reads the record and codes finished
// consultant episodes for the Commissioning Data Set.
const RoleCoder Role = "coder"

func init() {
	activityNames[ActCodeEpisodes] = "coding episodes"
	roleActivities[RoleCoder] = []Activity{ActSearchPatients, ActViewDemographics, ActViewClinical, ActCodeEpisodes, ActViewReports}
	roleNames[RoleCoder] = "Clinical coder"
}

// MaxDiagnoses and MaxProcedures are how many codes one episode holds:
// a primary diagnosis and up to 19 secondary ones, up to 24 procedures,
// as the admitted patient care CDS carries them.
const (
	MaxDiagnoses  = 20
	MaxProcedures = 24
)

// ProcedureCode is one OPCS-4 procedure of an episode and the day it was
// carried out.
type ProcedureCode struct {
	Code string // OPCS-4, normalised (A011)
	Date Date
}

// EpisodeCoding is what a clinical coder records for one finished
// consultant episode: the primary diagnosis first, then secondary
// diagnoses (ICD-10), and the procedures (OPCS-4), the primary procedure
// first.
type EpisodeCoding struct {
	EpisodeID  string
	Diagnoses  []string // ICD-10, normalised (A000); the first is the primary diagnosis
	Procedures []ProcedureCode
	CodedAt    time.Time
	CodedBy    string
}

// Normalise checks the form of every code, normalises it and reports each
// bad one against its field: diagnosis_1 ... and procedure_1 ....
func (c *EpisodeCoding) Normalise() error {
	var es Errors
	if len(c.Diagnoses) == 0 || c.Diagnoses[0] == "" {
		es = append(es, FieldErrorf("diagnosis_1", "give the primary diagnosis (ICD-10, for example J18.9)"))
	}
	if len(c.Diagnoses) > MaxDiagnoses {
		es = append(es, FieldErrorf("diagnosis_1", "an episode holds at most %d diagnoses", MaxDiagnoses))
	}
	if len(c.Procedures) > MaxProcedures {
		es = append(es, FieldErrorf("procedure_1", "an episode holds at most %d procedures", MaxProcedures))
	}
	seen := map[string]bool{}
	for i, d := range c.Diagnoses {
		if d == "" {
			continue
		}
		n, err := nhs.NormaliseICD10(d)
		field := fieldN("diagnosis", i)
		if err != nil {
			es = append(es, FieldErrorf(field, "%v", err))
			continue
		}
		if seen["d"+n] {
			es = append(es, FieldErrorf(field, "diagnosis %s is given twice", nhs.DisplayCode(n)))
		}
		seen["d"+n], c.Diagnoses[i] = true, n
	}
	for i, p := range c.Procedures {
		n, err := nhs.NormaliseOPCS4(p.Code)
		if err != nil {
			es = append(es, FieldErrorf(fieldN("procedure", i), "%v", err))
			continue
		}
		c.Procedures[i].Code = n
	}
	return es.Err()
}

func fieldN(name string, i int) string { return name + "_" + strconv.Itoa(i+1) }

// CodingEpisode is a finished consultant episode as the coder sees it:
// whose, when, under whom, and what it is coded with so far.
type CodingEpisode struct {
	EpisodeID         string
	SpellID           string
	PatientID         string
	MRN               string
	Name              string
	Seq               int
	ConsultantCode    string
	TreatmentFunction string
	Start, End        time.Time
	Coding            *EpisodeCoding // nil until coded
}

// CodingCompleteness is how many of the consultant episodes that finished
// in a month were coded, in total and by treatment function.
type CodingCompleteness struct {
	Month      string // YYYY-MM
	Finished   int
	Coded      int
	Share      float64 // Coded / Finished; 0 when nothing finished
	ByFunction []CodingLine
}

// CodingLine is the coding completeness of one treatment function.
type CodingLine struct {
	TreatmentFunction string
	Finished, Coded   int
}

// CodingService is clinical coding: the worklist of finished consultant
// episodes waiting to be coded, the coding of each, the trust's code
// lists of ICD-10 and OPCS-4 codes, and the completeness of coding.
type CodingService interface {
	// LoadCodeList replaces the trust's code list of a classification
	// (nhs.ICD10 or nhs.OPCS4) with codes; it returns how many it holds.
	LoadCodeList(ctx context.Context, a Actor, system string, codes []nhs.Code) (int, error)
	// LookupCode returns the description of a code on the trust's list,
	// ENOTFOUND when it is not on it.
	LookupCode(ctx context.Context, a Actor, system, code string) (string, error)
	// CodeNames returns the trust's whole code list of a classification,
	// description by code, in one read (empty when none is loaded), for
	// pages that write many codes in words.
	CodeNames(ctx context.Context, a Actor, system string) (map[string]string, error)
	// Worklist lists the trust's finished consultant episodes not yet
	// coded, those that ended longest ago first, at most limit.
	Worklist(ctx context.Context, a Actor, limit int) ([]*CodingEpisode, error)
	// FindEpisode returns one consultant episode with its coding.
	FindEpisode(ctx context.Context, a Actor, episodeID string) (*CodingEpisode, error)
	// CodeEpisode records the coding of a finished episode, replacing any
	// earlier coding; every code must be of the trust's loaded list.
	CodeEpisode(ctx context.Context, a Actor, c *EpisodeCoding) error
	// Completeness counts the episodes that finished in month (YYYY-MM)
	// and how many of them are coded.
	Completeness(ctx context.Context, a Actor, month string) (*CodingCompleteness, error)
}
