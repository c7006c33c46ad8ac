-- Terminals: the secret is sealed (AES-256-GCM under the server's key, the terminal id
-- as associated data), not hashed: HMAC needs the secret itself to check a signature.
CREATE TABLE terminals (
    id            TEXT PRIMARY KEY,
    store         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    secret_sealed BYTEA NOT NULL,
    enrolled_at   BIGINT NOT NULL,
    revoked_at    BIGINT
);

-- One-time enrolment codes, kept as SHA-256: the code is a bearer credential.
CREATE TABLE enrol_codes (
    code_hash  TEXT PRIMARY KEY,
    store      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    terminal   TEXT
);

-- payload is jsonb so the chain's reports can read into it; it is compared by
-- version, never byte for byte.
CREATE TABLE records (
    terminal    TEXT NOT NULL,
    topic       TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     BIGINT NOT NULL CHECK (version >= 1),
    payload     JSONB NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (terminal, topic, id)
);

CREATE TABLE nonces (
    terminal   TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (terminal, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

-- Master data: the cursor comes from the one row of master_seq, updated inside the
-- writing transaction. Its row lock makes writers commit in cursor order, which a
-- sequence would not: a reader could otherwise pass a cursor still uncommitted.
CREATE TABLE master_seq (one INTEGER PRIMARY KEY CHECK (one = 1), value BIGINT NOT NULL);
INSERT INTO master_seq (one, value) VALUES (1, 0);

CREATE TABLE master (
    topic      TEXT NOT NULL,
    id         TEXT NOT NULL,
    cursor     BIGINT NOT NULL UNIQUE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    payload    JSONB NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (topic, id)
);
CREATE INDEX master_topic_cursor ON master (topic, cursor);
