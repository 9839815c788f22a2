-- The annual evaluation (年度评估, issue 21): every document built for a region (or the whole
-- country) and a year, with the last journal entry its figures include and the SHA-256 of the
-- journal-derived figures of that year and the one before, so that `audit verify` recomputes
-- it from the journal alone.
CREATE TABLE report_annuals (
    id INTEGER PRIMARY KEY,
    region_code TEXT,
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2999),
    upto_entry_id BIGINT NOT NULL,
    digest TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
