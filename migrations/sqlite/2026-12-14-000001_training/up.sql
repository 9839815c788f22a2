-- Training (issue 21): sessions a workshop's manager records, from the national training plan
-- (研修研习培训) or a workstation or cultural bureau, with the workers who took part. The
-- officials' figures count the workers trained and the person-hours, by the session's last day.
CREATE TABLE training_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    programme TEXT NOT NULL,
    organiser_kind TEXT NOT NULL CHECK (organiser_kind IN ('university', 'workstation', 'cultural_bureau', 'association', 'workshop', 'other')),
    organiser_name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    -- Class hours (学时) per participant.
    hours INTEGER NOT NULL CHECK (hours > 0 AND hours <= 2000),
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX training_sessions_workshop ON training_sessions (workshop_id, ends_on);

CREATE TABLE training_attendances (
    session_id BIGINT NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    worker_id BIGINT NOT NULL REFERENCES workers (id),
    PRIMARY KEY (session_id, worker_id)
);
CREATE INDEX training_attendances_worker ON training_attendances (worker_id);
