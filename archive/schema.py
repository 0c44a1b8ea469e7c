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
)
