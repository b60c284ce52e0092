-- Staff members and their credentials (issue 5, staff part). A user is always a staff member: the
-- trigger below makes the staff row of every user in the transaction that inserts the user,
-- whichever path inserts it (the UserAdd handler, `clinicd user add`, `clinicd init`, tests), and
-- the backfill makes one for each user that exists already. A staff member may have no account.
-- Staff rows are never deleted: a staff member who leaves is marked with the date and reason.

CREATE TABLE staff (
  id INTEGER PRIMARY KEY,
  user_id INTEGER UNIQUE REFERENCES users(id), -- NULL: no user account; roles are the user's
  full_name TEXT NOT NULL,
  job_title TEXT NOT NULL DEFAULT '',
  supervisor_id INTEGER REFERENCES staff(id),  -- NULL: nobody (the chain never loops: staff.c)
  employment_type TEXT NOT NULL DEFAULT 'full_time'
    CHECK (employment_type IN ('full_time', 'part_time', 'per_diem')),
  hire_date TEXT NOT NULL DEFAULT '',          -- YYYY-MM-DD; '' not recorded (made with a user)
  phone TEXT NOT NULL DEFAULT '',              -- digits only, as stored
  email TEXT NOT NULL DEFAULT '',
  pay_type TEXT NOT NULL DEFAULT 'hourly' CHECK (pay_type IN ('hourly', 'salaried')),
  active INTEGER NOT NULL DEFAULT 1,           -- 0: left
  left_on TEXT NOT NULL DEFAULT '',            -- YYYY-MM-DD, when active = 0
  left_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,       -- a user id; 0: clinicd itself (user trigger)
  updated_at INTEGER NOT NULL,
  updated_by INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX staff_supervisor ON staff(supervisor_id);
CREATE INDEX staff_name ON staff(full_name, id);

INSERT INTO staff (user_id, full_name, created_at, updated_at)
SELECT id, CASE WHEN full_name <> '' THEN full_name ELSE username END, created_at, created_at
FROM users ORDER BY id;

CREATE TRIGGER users_make_staff AFTER INSERT ON users
WHEN NOT EXISTS (SELECT 1 FROM staff WHERE user_id = NEW.id)
BEGIN
  INSERT INTO staff (user_id, full_name, created_at, updated_at)
  VALUES (NEW.id, CASE WHEN NEW.full_name <> '' THEN NEW.full_name ELSE NEW.username END,
          NEW.created_at, NEW.created_at);
END;

-- Credentials and licences. A renewal keeps the old row (replaced_by the new one); a removal
-- keeps the row (removed_at/by). Current rows have removed_at = 0.
CREATE TABLE credentials (
  id INTEGER PRIMARY KEY,
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  kind TEXT NOT NULL
    CHECK (kind IN ('cpr_bls', 'state_license', 'certification', 'other')),
  name TEXT NOT NULL,
  number TEXT NOT NULL DEFAULT '',
  issuer TEXT NOT NULL DEFAULT '',
  issued_on TEXT NOT NULL DEFAULT '',          -- YYYY-MM-DD or ''
  expires_on TEXT NOT NULL DEFAULT '',         -- YYYY-MM-DD; '' never expires
  warned_on TEXT NOT NULL DEFAULT '',          -- when the 30-day warning went out; '' not yet
  replaced_by INTEGER NOT NULL DEFAULT 0,      -- a renewal: the credential that replaced it
  removed_at INTEGER NOT NULL DEFAULT 0,       -- 0 while current (renewed or removed: set)
  removed_by INTEGER NOT NULL DEFAULT 0,
  removed_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  updated_by INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX credentials_staff ON credentials(staff_id, removed_at);
-- The dashboard and the daily check: current credentials by expiry.
CREATE INDEX credentials_expiry ON credentials(removed_at, expires_on);
