-- Terminals: the secret is sealed (AES-256-GCM under the server's key, the terminal id
-- as associated data), not hashed: HMAC needs the secret itself to check a signature.
CREATE TABLE terminals (
    id            TEXT PRIMARY KEY,
    store         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    secret_sealed BLOB NOT NULL,
    enrolled_at   INTEGER NOT NULL,
    revoked_at    INTEGER
);

-- One-time enrolment codes, kept as SHA-256: the code is a bearer credential.
CREATE TABLE enrol_codes (
    code_hash  TEXT PRIMARY KEY,
    store      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    terminal   TEXT
);

CREATE TABLE records (
    terminal    TEXT NOT NULL,
    topic       TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    payload     TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (terminal, topic, id)
);

CREATE TABLE nonces (
    terminal   TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (terminal, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

-- Master data: one row per (topic, id), its cursor moved to the next value of
-- master_seq on every change, so a pull after cursor C sees every change since C.
CREATE TABLE master_seq (one INTEGER PRIMARY KEY CHECK (one = 1), value INTEGER NOT NULL);
INSERT INTO master_seq (one, value) VALUES (1, 0);

CREATE TABLE master (
    topic      TEXT NOT NULL,
    id         TEXT NOT NULL,
    cursor     INTEGER NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0,
    payload    TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (topic, id)
);
CREATE INDEX master_topic_cursor ON master (topic, cursor);
