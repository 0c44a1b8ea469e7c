"""The archive's schema, as an ordered list of migrations.

`PRAGMA user_version` records how many migrations a database file has had;
opening a file runs the missing ones in one transaction each.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: participants, relationships, messages, jobs and the search index.
    """
    CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        alias TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('mentor', 'mentee')),
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'suspended')),
        created_at TEXT NOT NULL
    );

    CREATE TABLE relationships (
        id INTEGER PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
        started_at TEXT NOT NULL,
        ended_at TEXT
    );

    CREATE TABLE relationship_members (
        relationship_id INTEGER NOT NULL REFERENCES relationships(id),
        participant_id INTEGER NOT NULL REFERENCES participants(id),
        PRIMARY KEY (relationship_id, participant_id)
    );
    CREATE INDEX relationship_members_participant
        ON relationship_members (participant_id);

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        queue_id TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL,
        client_address TEXT NOT NULL,
        envelope_from TEXT NOT NULL,
        sender_id INTEGER NOT NULL REFERENCES participants(id),
        raw BLOB NOT NULL,
        status TEXT NOT NULL DEFAULT 'received' CHECK (status IN
            ('received', 'queued', 'held', 'delivered', 'failed', 'rejected')),
        original_message_id TEXT,
        relay_message_id TEXT UNIQUE,
        subject TEXT,
        body_text TEXT,
        delivered BLOB,
        hold_reason TEXT,
        flag TEXT,
        filtered_at TEXT
    );
    CREATE INDEX messages_original_id ON messages (original_message_id);

    CREATE TABLE message_recipients (
        message_id INTEGER NOT NULL REFERENCES messages(id),
        participant_id INTEGER NOT NULL REFERENCES participants(id),
        PRIMARY KEY (message_id, participant_id)
    );

    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id),
        kind TEXT NOT NULL,
        location TEXT NOT NULL,
        count INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        severity TEXT NOT NULL DEFAULT '',
        matched TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX findings_message ON findings (message_id);

    CREATE TABLE pipeline_jobs (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id),
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_until REAL NOT NULL DEFAULT 0
    );

    CREATE TABLE delivery_jobs (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id),
        recipient_id INTEGER NOT NULL REFERENCES participants(id),
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        finished_at REAL
    );
    CREATE INDEX delivery_jobs_due ON delivery_jobs (state, next_attempt_at);

    CREATE VIRTUAL TABLE message_search USING fts5 (subject, body);
    """,
    # 2: notices (failure and delay reports) in the delivery queue, parked
    # destinations, job states for held mail and warnings, auto-reply marks.
    # SQLite cannot drop NOT NULL from a column, so delivery_jobs is rebuilt:
    # a job now carries either a participant's message or a notice.
    """
    CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN
            ('failure', 'coordinator_failure', 'coordinator_delay')),
        about_job_id INTEGER REFERENCES delivery_jobs(id),
        recipient TEXT NOT NULL,
        content BLOB NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX notices_once_per_job ON notices (about_job_id, kind);

    CREATE TABLE delivery_jobs_rebuilt (
        id INTEGER PRIMARY KEY,
        message_id INTEGER REFERENCES messages(id),
        recipient_id INTEGER REFERENCES participants(id),
        notice_id INTEGER UNIQUE REFERENCES notices(id),
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sent', 'failed', 'held')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        finished_at REAL,
        first_failed_at REAL,
        warned_at REAL,
        CHECK (
            (message_id IS NOT NULL AND recipient_id IS NOT NULL
                AND notice_id IS NULL)
            OR (message_id IS NULL AND recipient_id IS NULL
                AND notice_id IS NOT NULL)
        )
    );
    INSERT INTO delivery_jobs_rebuilt (id, message_id, recipient_id, state,
        attempts, next_attempt_at, lease_until, created_at, last_error,
        finished_at)
    SELECT id, message_id, recipient_id, state, attempts, next_attempt_at,
        lease_until, created_at, last_error, finished_at FROM delivery_jobs;
    DROP TABLE delivery_jobs;
    ALTER TABLE delivery_jobs_rebuilt RENAME TO delivery_jobs;
    CREATE INDEX delivery_jobs_due ON delivery_jobs (state, next_attempt_at);
    CREATE INDEX delivery_jobs_message ON delivery_jobs (message_id);

    CREATE TABLE destinations (
        name TEXT PRIMARY KEY,
        next_attempt_at REAL NOT NULL,
        last_error TEXT NOT NULL DEFAULT ''
    );

    ALTER TABLE messages ADD COLUMN auto_submitted TEXT;
    ALTER TABLE messages ADD COLUMN reject_reason TEXT;
    CREATE INDEX messages_auto_replies ON messages (sender_id, received_at)
        WHERE auto_submitted IS NOT NULL;
    """,
    # 3: sender authentication. auth_results holds the SPF, DKIM and DMARC
    # results in Authentication-Results form (or why they were not checked);
    # auth_hold_reason is set when auth.policy "hold" held the message.
    """
    ALTER TABLE messages ADD COLUMN auth_results TEXT;
    ALTER TABLE messages ADD COLUMN auth_hold_reason TEXT;
    """,
    # 4: the SMTP session counts each sender's messages of the last hour.
    """
    CREATE INDEX messages_sender_received ON messages (sender_id, received_at);
    """,
    # 5: the web console: staff accounts, their sessions (the cookie carries
    # a random token, the table only its SHA-256), the audit log and the
    # safeguarding decisions. Triggers make the audit log and the decisions
    # append-only, and a message gets at most one release or rejection.
    """
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('coordinator', 'safeguarding', 'admin')),
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'disabled')),
        created_at TEXT NOT NULL
    );

    CREATE TABLE staff_sessions (
        token_hash TEXT PRIMARY KEY,
        staff_id INTEGER NOT NULL REFERENCES staff(id),
        csrf_token TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);

    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        staff_id INTEGER REFERENCES staff(id),
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        message_id INTEGER REFERENCES messages(id),
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id),
        staff_id INTEGER NOT NULL REFERENCES staff(id),
        action TEXT NOT NULL
            CHECK (action IN ('release', 'reject', 'escalate', 'note')),
        note TEXT NOT NULL DEFAULT '',
        decided_at TEXT NOT NULL
    );
    CREATE INDEX decisions_message ON decisions (message_id);
    CREATE UNIQUE INDEX decisions_one_outcome ON decisions (message_id)
        WHERE action IN ('release', 'reject');
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are final'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are final'); END;
    """,
    # 6: notices about a message as well as about a delivery job: alerts to
    # safeguarding officers and rejection notices to senders, at most one per
    # message, kind and recipient. SQLite cannot change a CHECK in place, so
    # notices is rebuilt with the same ids. Delivery jobs refer to notices,
    # so foreign keys are checked at the commit instead of at the DROP, and
    # the commit fails unless every notice a job refers to was copied back.
    """
    PRAGMA defer_foreign_keys = ON;
    CREATE TEMP TABLE notices_before AS SELECT * FROM notices;
    DROP TABLE notices;
    CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('failure', 'coordinator_failure',
            'coordinator_delay', 'safeguarding_alert', 'rejection')),
        about_job_id INTEGER REFERENCES delivery_jobs(id),
        about_message_id INTEGER REFERENCES messages(id),
        recipient TEXT NOT NULL,
        content BLOB NOT NULL,
        created_at REAL NOT NULL,
        CHECK (
            (kind IN ('safeguarding_alert', 'rejection')
                AND about_message_id IS NOT NULL AND about_job_id IS NULL)
            OR (kind NOT IN ('safeguarding_alert', 'rejection')
                AND about_message_id IS NULL)
        )
    );
    INSERT INTO notices (id, kind, about_job_id, recipient, content, created_at)
    SELECT id, kind, about_job_id, recipient, content, created_at
    FROM notices_before;
    DROP TABLE notices_before;
    CREATE UNIQUE INDEX notices_once_per_job ON notices (about_job_id, kind)
        WHERE about_job_id IS NOT NULL;
    CREATE UNIQUE INDEX notices_once_per_message
        ON notices (about_message_id, kind, recipient COLLATE NOCASE)
        WHERE about_message_id IS NOT NULL;
    """,
    # 7: running a programme. A relationship has a planned end and can be
    # paused until a date; the CHECK on status cannot change in place, so
    # relationships is rebuilt with the same ids (existing ones get the
    # default six-month term). Notices gain the scheduler's kinds (prompts to
    # quiet pairs, wind-down notices, coordinators' digests), and
    # programme_sends records each one sent, so a restart never sends one
    # twice. Staff accounts get an address for the digest.
    """
    PRAGMA defer_foreign_keys = ON;
    CREATE TEMP TABLE relationships_before AS SELECT * FROM relationships;
    DROP TABLE relationships;
    CREATE TABLE relationships (
        id INTEGER PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'paused', 'ended')),
        started_at TEXT NOT NULL,
        planned_end TEXT NOT NULL,
        paused_until TEXT,
        pause_reason TEXT NOT NULL DEFAULT '',
        ended_at TEXT,
        end_reason TEXT NOT NULL DEFAULT '',
        CHECK ((status = 'paused') = (paused_until IS NOT NULL))
    );
    INSERT INTO relationships (id, status, started_at, planned_end, ended_at)
    SELECT id, status, started_at, date(started_at, '+6 months'), ended_at
    FROM relationships_before;
    DROP TABLE relationships_before;

    CREATE TEMP TABLE notices_before AS SELECT * FROM notices;
    DROP TABLE notices;
    CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('failure', 'coordinator_failure',
            'coordinator_delay', 'safeguarding_alert', 'rejection',
            'prompt', 'wind_down', 'digest')),
        about_job_id INTEGER REFERENCES delivery_jobs(id),
        about_message_id INTEGER REFERENCES messages(id),
        about_relationship_id INTEGER REFERENCES relationships(id),
        recipient TEXT NOT NULL,
        content BLOB NOT NULL,
        created_at REAL NOT NULL,
        CHECK (
            (kind IN ('safeguarding_alert', 'rejection')
                AND about_message_id IS NOT NULL AND about_job_id IS NULL)
            OR (kind NOT IN ('safeguarding_alert', 'rejection')
                AND about_message_id IS NULL)
        ),
        CHECK (about_relationship_id IS NULL OR kind IN ('prompt', 'wind_down'))
    );
    INSERT INTO notices (id, kind, about_job_id, about_message_id, recipient,
        content, created_at)
    SELECT id, kind, about_job_id, about_message_id, recipient, content,
        created_at
    FROM notices_before;
    DROP TABLE notices_before;
    CREATE UNIQUE INDEX notices_once_per_job ON notices (about_job_id, kind)
        WHERE about_job_id IS NOT NULL;
    CREATE UNIQUE INDEX notices_once_per_message
        ON notices (about_message_id, kind, recipient COLLATE NOCASE)
        WHERE about_message_id IS NOT NULL;

    CREATE TABLE programme_sends (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('prompt', 'wind_down', 'digest')),
        -- What the send is about, unique per kind: a relationship and the
        -- start of its quiet gap, a relationship and its planned end, or a
        -- staff account and the ISO week.
        subject TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        UNIQUE (kind, subject)
    );

    ALTER TABLE staff ADD COLUMN email TEXT;
    """,
    # 8: data protection. Legal holds keep messages from retention and
    # erasure. original_removed_at marks a raw original that retention
    # replaced with an empty blob, and erased_at a participant whose name and
    # address were replaced; the trigger keeps an erased alias suspended.
    # The audit log and the decisions stay append-only, except that the
    # retention transaction may delete audit rows older than the cutoff it
    # writes into retention_unlock, and the decisions of the messages it
    # lists in purging_messages. It clears both before it commits. This
    # guards against mistakes, not against someone who can write the file.
    # audit_log is rebuilt with the same ids and without its foreign key to
    # messages, because an audit row outlives the message it names.
    """
    CREATE TABLE legal_holds (
        id INTEGER PRIMARY KEY,
        message_id INTEGER,
        participant_id INTEGER REFERENCES participants(id),
        reason TEXT NOT NULL CHECK (reason != ''),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        released_at TEXT,
        released_by TEXT,
        CHECK ((message_id IS NULL) != (participant_id IS NULL))
    );
    CREATE INDEX legal_holds_message ON legal_holds (message_id)
        WHERE released_at IS NULL;
    CREATE INDEX legal_holds_participant ON legal_holds (participant_id)
        WHERE released_at IS NULL;

    ALTER TABLE messages ADD COLUMN original_removed_at TEXT;
    ALTER TABLE participants ADD COLUMN erased_at TEXT;
    CREATE TRIGGER participants_erased_stay_suspended
    BEFORE UPDATE OF status ON participants
    WHEN OLD.erased_at IS NOT NULL AND NEW.status != 'suspended'
    BEGIN SELECT RAISE(ABORT, 'an erased participant stays suspended'); END;

    CREATE TRIGGER messages_under_legal_hold BEFORE DELETE ON messages
    WHEN EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
        AND (h.message_id = OLD.id OR h.participant_id = OLD.sender_id))
    BEGIN SELECT RAISE(ABORT, 'the message is under legal hold'); END;
    CREATE TRIGGER message_recipients_under_legal_hold
    BEFORE DELETE ON message_recipients
    WHEN EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
        AND (h.message_id = OLD.message_id
            OR h.participant_id = OLD.participant_id))
    BEGIN SELECT RAISE(ABORT, 'the message is under legal hold'); END;

    CREATE TABLE retention_unlock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        audit_before TEXT
    );
    INSERT INTO retention_unlock (id, audit_before) VALUES (1, NULL);
    CREATE TABLE purging_messages (message_id INTEGER PRIMARY KEY);

    CREATE TABLE audit_log_rebuilt (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        staff_id INTEGER REFERENCES staff(id),
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        message_id INTEGER,
        detail TEXT NOT NULL DEFAULT ''
    );
    INSERT INTO audit_log_rebuilt SELECT id, at, staff_id, username, action,
        message_id, detail FROM audit_log;
    DROP TABLE audit_log;
    ALTER TABLE audit_log_rebuilt RENAME TO audit_log;
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM retention_unlock
        WHERE id = 1 AND OLD.at < audit_before)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

    DROP TRIGGER decisions_no_delete;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
    WHEN NOT EXISTS (SELECT 1 FROM purging_messages
        WHERE message_id = OLD.message_id)
    BEGIN SELECT RAISE(ABORT, 'decisions are final'); END;
    """,
    # 9: the day a paused relationship started running again, so the
    # scheduler counts a pair's quiet days from then and not across the pause.
    """
    ALTER TABLE relationships ADD COLUMN resumed_on TEXT;
    """,
)
