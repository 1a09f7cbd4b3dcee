package store

import (
	"context"
	"strings"

	"github.com/opencrs/crs"
)

// KH03Setup records which wards are day-only, through the one write path.
type KH03Setup struct{ db *DB }

// NewKH03Setup returns the KH03 setup over db.
func NewKH03Setup(db *DB) *KH03Setup { return &KH03Setup{db: db} }

var _ crs.KH03Setup = (*KH03Setup)(nil)

// SetWardDayOnly marks a ward day-only or open overnight.
func (s *KH03Setup) SetWardDayOnly(ctx context.Context, a crs.Actor, wardCode string, dayOnly bool) error {
	return s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		code := strings.TrimSpace(wardCode)
		var id string
		if err := tx.QueryRow(`SELECT id FROM locations WHERE org_id = $1 AND kind = 'ward' AND code = $2`, tx.actor.OrgID, code).Scan(&id); err != nil {
			return notFound(err, "no ward with code %s", code)
		}
		if _, err := tx.Exec(`UPDATE locations SET day_only = $1 WHERE id = $2`, oneIf(dayOnly), id); err != nil {
			return err
		}
		summary := "ward " + code + " open overnight"
		if dayOnly {
			summary = "ward " + code + " day-only"
		}
		return tx.EmitData(&crs.Event{Type: crs.EventLocationChanged, SubjectID: id, EffectiveAt: tx.now, Summary: summary},
			"location", map[string]any{"location_id": id, "code": code, "day_only": dayOnly})
	})
}
