-- Requests and approvals (issue 5, approvals part): the one request workflow every kind plugs
-- into, the time-off policy per type and the time-off balance ledger. Instants are Unix seconds
-- UTC; dates 'YYYY-MM-DD' in the clinic's time zone; amounts of time off in minutes. Requests are
-- never deleted: they end approved, denied or withdrawn, with who, when and a comment.

-- One request of any kind (domain/approvals.c has the kind table). The columns after `kind`
-- up to `details` are cl_request_t's (domain/staff_int.h); their meaning depends on the kind.
CREATE TABLE requests (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL
    CHECK (kind IN ('timeoff', 'swap', 'overtime', 'correction', 'expense')),
  requester_id INTEGER NOT NULL REFERENCES staff(id),
  other_id INTEGER NOT NULL DEFAULT 0,         -- swap: the other party's staff id
  ref_id INTEGER NOT NULL DEFAULT 0,           -- swap, overtime: a shift; correction: a punch
  ref2_id INTEGER NOT NULL DEFAULT 0,          -- swap: the other party's shift
  starts_at INTEGER NOT NULL DEFAULT 0,
  ends_at INTEGER NOT NULL DEFAULT 0,
  amount INTEGER NOT NULL DEFAULT 0,           -- expense: cents; time off: minutes; overtime: minutes
  category TEXT NOT NULL DEFAULT '',           -- time off: its type; expense: its category
  details TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'approved', 'denied', 'withdrawn')),
  over_balance INTEGER NOT NULL DEFAULT 0,     -- time off over the available balance when filed
  overtime INTEGER NOT NULL DEFAULT 0,         -- about hours over the overtime limits
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,       -- users.id of whoever filed it
  decided_at INTEGER NOT NULL DEFAULT 0,       -- approved, denied or withdrawn: when
  decided_by INTEGER NOT NULL DEFAULT 0,       -- users.id; 0: withdrawn by clinicd itself
  comment TEXT NOT NULL DEFAULT '',            -- the decider's comment, or why withdrawn
  override_used INTEGER NOT NULL DEFAULT 0,    -- approved below a desk minimum on an override
  version INTEGER NOT NULL DEFAULT 1
);
-- The inbox: pending requests by kind, oldest first; also every list filtered by state.
CREATE INDEX requests_inbox ON requests(state, kind, created_at);
-- One staff member's requests (mine, a report's; overlapping time off).
CREATE INDEX requests_requester ON requests(requester_id, kind, state, starts_at);
-- The requests of a shift or a punch (a cancelled shift withdraws its overtime request).
CREATE INDEX requests_ref ON requests(ref_id, kind, state);

-- Time off per type: what a completed pay period credits, up to an optional cap on the balance.
-- Unpaid time off has no balance (tracked = 0). effective_from: the day the rate was last set;
-- periods that ended before it earn nothing from it.
CREATE TABLE timeoff_policies (
  type TEXT PRIMARY KEY,
  tracked INTEGER NOT NULL DEFAULT 1,
  accrual_minutes INTEGER NOT NULL DEFAULT 0,
  cap_minutes INTEGER NOT NULL DEFAULT 0,      -- 0: no cap
  effective_from TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL DEFAULT 0,
  updated_by INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO timeoff_policies (type, tracked) VALUES
  ('vacation', 1), ('sick', 1), ('personal', 1), ('unpaid', 0);

-- The balance ledger: every credit and debit of a staff member's time off, with who, when and
-- why. entry: accrual (one per staff member, type and pay period: `period` is its first date;
-- written by clinicd, by_user 0), used (an approved request: minutes negative), adjustment (by
-- payroll, signed, with a reason). A balance is the sum of its rows.
CREATE TABLE timeoff_ledger (
  id INTEGER PRIMARY KEY,
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  type TEXT NOT NULL REFERENCES timeoff_policies(type),
  entry TEXT NOT NULL CHECK (entry IN ('accrual', 'used', 'adjustment')),
  minutes INTEGER NOT NULL,
  period TEXT NOT NULL DEFAULT '',
  request_id INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL,
  by_user INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX timeoff_ledger_staff ON timeoff_ledger(staff_id, type, entry, period);
-- At most one accrual per staff member, type and period, whoever reads the balance first.
CREATE UNIQUE INDEX timeoff_ledger_accrual ON timeoff_ledger(staff_id, type, period)
  WHERE entry = 'accrual';
