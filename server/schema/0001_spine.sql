-- The spine: clinic settings, users and sessions, workstations, the change feed, the audit log
-- and messages. Times are Unix seconds UTC; ids are explicit INTEGER PRIMARY KEY columns.

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  full_name TEXT NOT NULL DEFAULT '',
  roles INTEGER NOT NULL,                      -- CL_ROLE_* bits (server/auth.h)
  password_hash TEXT NOT NULL,                 -- scrypt$log2N$r$p$salt$hash
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,    -- in a row; reset by a good login
  locked_until INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_login_at INTEGER NOT NULL DEFAULT 0,
  password_changed_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);

-- A login. The token itself is never stored: only its SHA-256.
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  workstation TEXT NOT NULL,
  address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE workstations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  serial TEXT NOT NULL UNIQUE,                 -- certificate serial, hex
  created_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0
);

-- The change feed: one row per committed change, seq without gaps. Old rows are trimmed; a
-- subscriber asking for a trimmed seq is told to resync.
CREATE TABLE changes (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  topic TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  op INTEGER NOT NULL,
  scope_user INTEGER NOT NULL DEFAULT 0        -- 0: the whole topic; else only this user
);
CREATE INDEX changes_topic ON changes(topic, seq);

-- The audit log: append-only, hash-chained (server/audit.c).
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  username TEXT NOT NULL,
  workstation TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_user ON audit(username, seq);
CREATE INDEX audit_entity ON audit(entity, entity_id, seq);
CREATE INDEX audit_time ON audit(time, seq);
CREATE INDEX audit_entity_seq ON audit(entity, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  sender_id INTEGER NOT NULL REFERENCES users(id),
  addressed_to TEXT NOT NULL,                  -- a username, "role:<role>" or "all"
  body TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE TABLE message_recipients (
  message_id INTEGER NOT NULL REFERENCES messages(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  read_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_recipients_user ON message_recipients(user_id, message_id);
CREATE INDEX message_recipients_unread ON message_recipients(user_id, read_at, message_id);
