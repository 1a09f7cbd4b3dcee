-- What a trust records about its estate when it sets itself up: whom a
-- ward or bay takes (male, female, mixed), whether a bed is available,
-- closed or out of use, and an emergency department's type (NHS Data
-- Dictionary EMERGENCY CARE DEPARTMENT TYPE, 01-03).
ALTER TABLE locations ADD COLUMN sex TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN ed_type TEXT NOT NULL DEFAULT '';
UPDATE locations SET status = 'available' WHERE kind = 'bed';
