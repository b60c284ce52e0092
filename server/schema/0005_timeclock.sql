-- The time clock: the clinic's pay policy, punches (clock in, clock out) with their breaks, and
-- every earlier version of a corrected punch. Instants are Unix seconds UTC; dates 'YYYY-MM-DD'
-- in the clinic's time zone. Punches are never deleted and never edited in place but by an
-- approved correction, which keeps the version it replaced in punch_history.

-- One row (id 1): how pay periods fall and which minutes are overtime (domain/timeclock*.c).
CREATE TABLE pay_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  period TEXT NOT NULL DEFAULT 'weekly',       -- weekly, biweekly, semimonthly (1st-15th, 16th-end)
  anchor TEXT NOT NULL DEFAULT '2024-01-07',   -- a first day of a period (a Sunday); weeks for
                                               -- weekly overtime begin on its weekday
  daily_overtime_minutes INTEGER NOT NULL DEFAULT 0,     -- 0: no daily overtime
  weekly_overtime_minutes INTEGER NOT NULL DEFAULT 2400, -- 40 hours; 0: no weekly overtime
  break_after_minutes INTEGER NOT NULL DEFAULT 360,      -- a longer shift owes an unpaid break
  break_minutes INTEGER NOT NULL DEFAULT 30,             -- deducted when none was punched
  updated_at INTEGER NOT NULL DEFAULT 0,
  updated_by INTEGER NOT NULL DEFAULT 0,       -- a user id; 0: the default
  version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO pay_policy (id) VALUES (1);

-- One shift on the clock. out_at is 0 while the punch is open; a staff member has at most one
-- open punch (punches_one_open). The workstation and the user of each end are recorded.
CREATE TABLE punches (
  id INTEGER PRIMARY KEY,
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  in_at INTEGER NOT NULL,
  out_at INTEGER NOT NULL DEFAULT 0,
  in_workstation TEXT NOT NULL DEFAULT '',
  in_user INTEGER NOT NULL DEFAULT 0,          -- users.id; 0: written by a correction
  out_workstation TEXT NOT NULL DEFAULT '',
  out_user INTEGER NOT NULL DEFAULT 0,
  request_id INTEGER NOT NULL DEFAULT 0,       -- the correction that wrote this version; 0: punched
  created_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX punches_one_open ON punches(staff_id) WHERE out_at = 0;
CREATE INDEX punches_staff ON punches(staff_id, in_at);
CREATE INDEX punches_in ON punches(in_at);

-- Breaks within a punch; end_at is 0 while open, at most one open per punch. Unpaid breaks are
-- deducted from the worked time, paid ones are not.
CREATE TABLE breaks (
  id INTEGER PRIMARY KEY,
  punch_id INTEGER NOT NULL REFERENCES punches(id),
  start_at INTEGER NOT NULL,
  end_at INTEGER NOT NULL DEFAULT 0,
  paid INTEGER NOT NULL DEFAULT 0,
  workstation TEXT NOT NULL DEFAULT '',        -- where the break began
  request_id INTEGER NOT NULL DEFAULT 0        -- a break added by a correction: its request
);
CREATE UNIQUE INDEX breaks_one_open ON breaks(punch_id) WHERE end_at = 0;
CREATE INDEX breaks_punch ON breaks(punch_id, start_at);

-- Every version of a punch that a correction replaced, as it was, with the request that
-- replaced it and who approved it.
CREATE TABLE punch_history (
  id INTEGER PRIMARY KEY,
  punch_id INTEGER NOT NULL REFERENCES punches(id),
  version INTEGER NOT NULL,
  in_at INTEGER NOT NULL,
  out_at INTEGER NOT NULL,
  in_workstation TEXT NOT NULL,
  in_user INTEGER NOT NULL,
  out_workstation TEXT NOT NULL,
  out_user INTEGER NOT NULL,
  request_id INTEGER NOT NULL,                 -- what wrote that version (0: punched)
  replaced_by_request INTEGER NOT NULL,
  replaced_at INTEGER NOT NULL,
  replaced_by INTEGER NOT NULL,                -- users.id of the approver
  UNIQUE (punch_id, version)
);
