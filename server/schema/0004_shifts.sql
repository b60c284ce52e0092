-- Staff scheduling (issue 5, shifts part): desks, shifts, named weekly templates, the weeks
-- published, and shift swaps between two staff members. Instants are Unix seconds UTC; dates
-- 'YYYY-MM-DD' and minutes of the day are local to the clinic's time zone. Shifts are never
-- deleted: a cancelled one stays, marked, and one taken off by approved time off keeps the
-- request that took it. Request ids point into the approvals part's requests table (a later
-- migration), so they carry no foreign key.

-- Where staff work: front desk, phones, billing. min_staff is how many must be on duty whenever
-- the clinic is open (coverage gaps are measured against it; 0: no minimum).
CREATE TABLE desks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  min_staff INTEGER NOT NULL DEFAULT 1,
  active INTEGER NOT NULL DEFAULT 1,
  version INTEGER NOT NULL DEFAULT 1
);

-- One shift. date is the local date of starts_at (an overnight shift belongs to the day it
-- starts). state: draft (managers only), published (everyone), cancelled, off (approved time
-- off took it: timeoff_request_id). overtime: '' none, 'pending' (its request is waiting),
-- 'approved', 'denied' (the shift was cancelled for it); overtime_minutes is the minutes over
-- the daily or weekly limit when it was flagged.
CREATE TABLE shifts (
  id INTEGER PRIMARY KEY,
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  desk_id INTEGER NOT NULL REFERENCES desks(id),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  date TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'draft'
    CHECK (state IN ('draft', 'published', 'cancelled', 'off')),
  overtime TEXT NOT NULL DEFAULT ''
    CHECK (overtime IN ('', 'pending', 'approved', 'denied')),
  overtime_minutes INTEGER NOT NULL DEFAULT 0,
  overtime_request_id INTEGER NOT NULL DEFAULT 0,
  timeoff_request_id INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
-- A staff member's shifts by start: overlaps (bounded by the longest shift), the day's and the
-- week's hours for overtime, time off taking shifts.
CREATE INDEX shifts_staff ON shifts(staff_id, starts_at);
-- A day's shifts: lists, coverage, publishing a week.
CREATE INDEX shifts_date ON shifts(date, starts_at);

-- Named weekly templates: a template's rows say who works at which desk on which weekday.
CREATE TABLE shift_templates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL,
  updated_by INTEGER NOT NULL
);
CREATE TABLE shift_template_rows (
  id INTEGER PRIMARY KEY,
  template_id INTEGER NOT NULL REFERENCES shift_templates(id),
  weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
  start_minute INTEGER NOT NULL,               -- local, 0-1439
  end_minute INTEGER NOT NULL,                 -- local, 1-1440; not after start: the next day
  desk_id INTEGER NOT NULL REFERENCES desks(id),
  staff_id INTEGER NOT NULL REFERENCES staff(id)
);
CREATE INDEX shift_template_rows_template ON shift_template_rows(template_id, weekday, start_minute);

-- The weeks published (7 days from week_start), the last time and by whom.
CREATE TABLE shift_weeks (
  week_start TEXT PRIMARY KEY,
  published_at INTEGER NOT NULL,
  published_by INTEGER NOT NULL,
  shifts INTEGER NOT NULL DEFAULT 0            -- how many drafts the last publishing published
);

-- A swap: the proposer gives their shift for the other's. proposed -> accepted (then filed as a
-- request: request_id) -> approved; or declined (by the other), or withdrawn (by the proposer,
-- or because a shift was cancelled before it was accepted).
CREATE TABLE shift_swaps (
  id INTEGER PRIMARY KEY,
  proposer_id INTEGER NOT NULL REFERENCES staff(id),
  shift_id INTEGER NOT NULL REFERENCES shifts(id),
  other_id INTEGER NOT NULL REFERENCES staff(id),
  other_shift_id INTEGER NOT NULL REFERENCES shifts(id),
  state TEXT NOT NULL DEFAULT 'proposed'
    CHECK (state IN ('proposed', 'accepted', 'declined', 'withdrawn', 'approved')),
  request_id INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  decided_at INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX shift_swaps_proposer ON shift_swaps(proposer_id, state);
CREATE INDEX shift_swaps_other ON shift_swaps(other_id, state);
CREATE INDEX shift_swaps_shift ON shift_swaps(shift_id);
CREATE INDEX shift_swaps_other_shift ON shift_swaps(other_shift_id);
