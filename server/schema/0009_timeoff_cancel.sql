-- Approved time off can be cancelled (the vacation was called off): by whoever may decide it,
-- with a comment. The request ends 'cancelled' with who, when and why (the approval's who and
-- when stay); the shifts it took come back in the state they had; a provider's vacation block
-- is cancelled; the balance gets its minutes back (domain/approvals.c, docs/STAFF.md).

-- SQLite cannot change a CHECK constraint in place, so requests is made again with its
-- indexes. No table refers to it by a foreign key.
CREATE TABLE requests_new (
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
    CHECK (state IN ('pending', 'approved', 'denied', 'withdrawn', 'cancelled')),
  over_balance INTEGER NOT NULL DEFAULT 0,     -- time off over the available balance when filed
  overtime INTEGER NOT NULL DEFAULT 0,         -- about hours over the overtime limits
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL DEFAULT 0,       -- users.id of whoever filed it
  decided_at INTEGER NOT NULL DEFAULT 0,       -- approved, denied or withdrawn: when
  decided_by INTEGER NOT NULL DEFAULT 0,       -- users.id; 0: withdrawn by clinicd itself
  comment TEXT NOT NULL DEFAULT '',            -- the decider's comment, or why withdrawn
  override_used INTEGER NOT NULL DEFAULT 0,    -- approved below a desk minimum on an override
  version INTEGER NOT NULL DEFAULT 1,
  cancelled_at INTEGER NOT NULL DEFAULT 0,     -- approved, then cancelled: when
  cancelled_by INTEGER NOT NULL DEFAULT 0,     -- users.id
  cancel_comment TEXT NOT NULL DEFAULT ''      -- why
);
INSERT INTO requests_new (id, kind, requester_id, other_id, ref_id, ref2_id, starts_at, ends_at,
                          amount, category, details, state, over_balance, overtime, created_at,
                          created_by, decided_at, decided_by, comment, override_used, version)
  SELECT id, kind, requester_id, other_id, ref_id, ref2_id, starts_at, ends_at, amount, category,
         details, state, over_balance, overtime, created_at, created_by, decided_at, decided_by,
         comment, override_used, version
  FROM requests;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
CREATE INDEX requests_inbox ON requests(state, kind, created_at);
CREATE INDEX requests_requester ON requests(requester_id, kind, state, starts_at);
CREATE INDEX requests_ref ON requests(ref_id, kind, state);

-- The state a shift had before time off took it ('draft' or 'published'; '' for shifts taken
-- before this migration, which come back as drafts), so that a cancellation can give it back.
ALTER TABLE shifts ADD COLUMN off_from TEXT NOT NULL DEFAULT '';

-- The approved time off that made a provider's block (0: a block made in the schedule).
ALTER TABLE blocks ADD COLUMN request_id INTEGER NOT NULL DEFAULT 0;
