-- The front desk: patients, the schedule and the patient flow. Dates are 'YYYY-MM-DD' in the
-- clinic's time zone; instants are Unix seconds UTC; minutes of the day are 0-1439 local time.
-- Clinical and scheduling records are never deleted: they are cancelled, merged or corrected.

CREATE TABLE patients (
  id INTEGER PRIMARY KEY,
  record_number TEXT NOT NULL UNIQUE,          -- "P0000123": the chart number people say
  first_name TEXT NOT NULL,                    -- legal
  middle_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL,                     -- legal
  preferred_name TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL,                    -- YYYY-MM-DD
  sex TEXT NOT NULL,                           -- female, male, other, unknown
  phone_mobile TEXT NOT NULL DEFAULT '',       -- digits only, as stored
  phone_home TEXT NOT NULL DEFAULT '',
  phone_work TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  address_line1 TEXT NOT NULL DEFAULT '',
  address_line2 TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT '',
  postal_code TEXT NOT NULL DEFAULT '',
  preferred_contact TEXT NOT NULL DEFAULT 'phone', -- phone, sms, email, mail
  emergency_name TEXT NOT NULL DEFAULT '',
  emergency_relation TEXT NOT NULL DEFAULT '',
  emergency_phone TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  merged_into INTEGER NOT NULL DEFAULT 0,      -- 0, or the patient this record was merged into
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  updated_at INTEGER NOT NULL,
  updated_by INTEGER NOT NULL REFERENCES users(id),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX patients_birth ON patients(birth_date);

-- Search keys: every name token of a patient (first, middle, last, preferred), folded (lower
-- case, accents removed), and every phone number's digits. Kept by the patients handlers in the
-- same transaction as the patient row.
CREATE TABLE patient_keys (
  key TEXT NOT NULL,                           -- "n:smith" for a name token, "p:5551234567" for a phone
  patient_id INTEGER NOT NULL REFERENCES patients(id),
  PRIMARY KEY (key, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_keys_patient ON patient_keys(patient_id);

CREATE TABLE insurance (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patients(id),
  rank INTEGER NOT NULL,                       -- 1 primary, 2 secondary, ...
  payer TEXT NOT NULL,
  member_id TEXT NOT NULL,
  group_number TEXT NOT NULL DEFAULT '',
  subscriber_name TEXT NOT NULL DEFAULT '',
  subscriber_relation TEXT NOT NULL DEFAULT 'self',
  effective_from TEXT NOT NULL DEFAULT '',
  effective_to TEXT NOT NULL DEFAULT '',
  removed_at INTEGER NOT NULL DEFAULT 0,       -- 0 while current; an edit that changes the list
  removed_by INTEGER NOT NULL DEFAULT 0        -- keeps the old rows, marked with who and when
);
CREATE INDEX insurance_patient ON insurance(patient_id, removed_at, rank);

-- A merge: `merged_id` was folded into `kept_id`; what moved is listed so it can be undone.
CREATE TABLE patient_merges (
  id INTEGER PRIMARY KEY,
  kept_id INTEGER NOT NULL REFERENCES patients(id),
  merged_id INTEGER NOT NULL REFERENCES patients(id),
  reason TEXT NOT NULL,
  merged_at INTEGER NOT NULL,
  merged_by INTEGER NOT NULL REFERENCES users(id),
  undone_at INTEGER NOT NULL DEFAULT 0,
  undone_by INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX patient_merges_merged ON patient_merges(merged_id, undone_at);
CREATE TABLE patient_merge_moves (
  merge_id INTEGER NOT NULL REFERENCES patient_merges(id),
  entity TEXT NOT NULL,                        -- "appointment", "waitlist", "series"
  entity_id INTEGER NOT NULL,
  PRIMARY KEY (merge_id, entity, entity_id)
) WITHOUT ROWID;

CREATE TABLE providers (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users(id),        -- the clinician's login; NULL for none
  name TEXT NOT NULL UNIQUE,
  specialty TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  version INTEGER NOT NULL DEFAULT 1
);
-- A clinician's login is linked to one provider at most.
CREATE UNIQUE INDEX providers_user ON providers(user_id) WHERE user_id IS NOT NULL;

CREATE TABLE rooms (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  active INTEGER NOT NULL DEFAULT 1,
  version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE appointment_types (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  default_minutes INTEGER NOT NULL,
  color TEXT NOT NULL DEFAULT '#4a90d9',
  needs_room INTEGER NOT NULL DEFAULT 1,
  active INTEGER NOT NULL DEFAULT 1,
  version INTEGER NOT NULL DEFAULT 1
);

-- When the clinic is open, per weekday (0 Sunday .. 6 Saturday); no row, or closed = 1: closed
-- that day. A row, once set, stays (closing a day sets closed), so its version keeps counting.
CREATE TABLE clinic_hours (
  weekday INTEGER PRIMARY KEY,
  open_minute INTEGER NOT NULL,
  close_minute INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE holidays (
  date TEXT PRIMARY KEY,
  name TEXT NOT NULL
);

-- A provider's weekly template: the hours they see patients on each weekday (several rows a
-- day for split shifts).
CREATE TABLE provider_hours (
  id INTEGER PRIMARY KEY,
  provider_id INTEGER NOT NULL REFERENCES providers(id),
  weekday INTEGER NOT NULL,
  start_minute INTEGER NOT NULL,
  end_minute INTEGER NOT NULL
);
CREATE INDEX provider_hours_provider ON provider_hours(provider_id, weekday);

-- Time a provider (or a room) cannot be booked: lunch, meetings, vacation. Instants, so that a
-- block may span days. Indexed by end: "blocks that end after t" are the few still ahead, where
-- an index by start would walk a provider's whole history.
CREATE TABLE blocks (
  id INTEGER PRIMARY KEY,
  provider_id INTEGER REFERENCES providers(id),
  room_id INTEGER REFERENCES rooms(id),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  cancelled INTEGER NOT NULL DEFAULT 0,
  created_by INTEGER NOT NULL REFERENCES users(id),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX blocks_provider ON blocks(provider_id, ends_at);
CREATE INDEX blocks_room ON blocks(room_id, ends_at);
CREATE INDEX blocks_ends ON blocks(ends_at);

-- A recurring series: its rule; each occurrence is an ordinary appointment row that points
-- back here, so an exception (moved, cancelled) is just that row changed.
CREATE TABLE appointment_series (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patients(id),
  provider_id INTEGER NOT NULL REFERENCES providers(id),
  type_id INTEGER NOT NULL REFERENCES appointment_types(id),
  room_id INTEGER REFERENCES rooms(id),
  rule TEXT NOT NULL,                          -- "weekly:1" (every week), "weekly:2", "monthly:1"
  first_date TEXT NOT NULL,
  count INTEGER NOT NULL,
  start_minute INTEGER NOT NULL,               -- local minute of the day of each occurrence
  minutes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id)
);

-- An appointment and its place in the day's flow. A cancelled or no-show appointment keeps its
-- row; only active ones (state not cancelled/no_show) hold their provider, room and patient time.
CREATE TABLE appointments (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patients(id),
  provider_id INTEGER NOT NULL REFERENCES providers(id),
  room_id INTEGER REFERENCES rooms(id),        -- set when booked with a room, or when roomed
  type_id INTEGER NOT NULL REFERENCES appointment_types(id),
  series_id INTEGER REFERENCES appointment_series(id),
  date TEXT NOT NULL,                          -- local date of starts_at, for the day's board
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',             -- why the patient comes
  overbooked INTEGER NOT NULL DEFAULT 0,       -- booked over a conflict by explicit override
  state TEXT NOT NULL DEFAULT 'scheduled',     -- scheduled, arrived, roomed, intake_done,
                                               -- ready, with_provider, checked_out, no_show, cancelled
  state_at INTEGER NOT NULL,                   -- when the current state began
  cancel_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX appointments_provider ON appointments(provider_id, starts_at);
CREATE INDEX appointments_room ON appointments(room_id, starts_at);
CREATE INDEX appointments_patient ON appointments(patient_id, starts_at);
CREATE INDEX appointments_date ON appointments(date, starts_at);
CREATE INDEX appointments_series ON appointments(series_id, starts_at) WHERE series_id IS NOT NULL;

-- Every state change of an appointment: who moved it, when, from and to what.
CREATE TABLE flow_events (
  id INTEGER PRIMARY KEY,
  appointment_id INTEGER NOT NULL REFERENCES appointments(id),
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  by_user INTEGER NOT NULL REFERENCES users(id),
  room_id INTEGER REFERENCES rooms(id),
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX flow_events_appointment ON flow_events(appointment_id, at);

-- Check-in details and intake (vitals) of an appointment; a correction is a new row.
CREATE TABLE check_ins (
  id INTEGER PRIMARY KEY,
  appointment_id INTEGER NOT NULL REFERENCES appointments(id),
  demographics_confirmed INTEGER NOT NULL,
  insurance_confirmed INTEGER NOT NULL,
  copay_cents INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL,
  by_user INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX check_ins_appointment ON check_ins(appointment_id);

CREATE TABLE vitals (
  id INTEGER PRIMARY KEY,
  appointment_id INTEGER NOT NULL REFERENCES appointments(id),
  systolic INTEGER NOT NULL DEFAULT 0,         -- mmHg; 0 = not taken
  diastolic INTEGER NOT NULL DEFAULT 0,
  pulse INTEGER NOT NULL DEFAULT 0,            -- per minute
  respirations INTEGER NOT NULL DEFAULT 0,     -- per minute
  temperature_dc INTEGER NOT NULL DEFAULT 0,   -- tenths of a degree Celsius
  spo2 INTEGER NOT NULL DEFAULT 0,             -- percent
  height_mm INTEGER NOT NULL DEFAULT 0,
  weight_g INTEGER NOT NULL DEFAULT 0,
  pain INTEGER NOT NULL DEFAULT -1,            -- 0-10; -1 = not asked
  allergies TEXT NOT NULL DEFAULT '',
  medications TEXT NOT NULL DEFAULT '',
  chief_complaint TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL,
  by_user INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX vitals_appointment ON vitals(appointment_id);

-- Check-out of an appointment: whether a follow-up was booked, and which appointment it is.
CREATE TABLE check_outs (
  id INTEGER PRIMARY KEY,
  appointment_id INTEGER NOT NULL REFERENCES appointments(id),
  followup_booked INTEGER NOT NULL DEFAULT 0,
  followup_appointment_id INTEGER REFERENCES appointments(id), -- NULL: none named
  at INTEGER NOT NULL,
  by_user INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX check_outs_appointment ON check_outs(appointment_id);

-- Patients who want an earlier slot; offered one when a cancellation frees it.
CREATE TABLE waitlist (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES patients(id),
  provider_id INTEGER REFERENCES providers(id), -- NULL: any provider
  type_id INTEGER NOT NULL REFERENCES appointment_types(id),
  earliest_date TEXT NOT NULL,
  latest_date TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'waiting',       -- waiting, offered, booked, removed
  offered_provider_id INTEGER REFERENCES providers(id), -- when offered: the freed slot
  offered_starts_at INTEGER NOT NULL DEFAULT 0,
  offered_at INTEGER NOT NULL DEFAULT 0,
  appointment_id INTEGER REFERENCES appointments(id), -- when booked
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX waitlist_state ON waitlist(state, latest_date);
CREATE INDEX waitlist_patient ON waitlist(patient_id);
