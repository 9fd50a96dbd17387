-- The words a facilitator expects to stand out in a relay, one per line (settings.keywords).
ALTER TABLE relays ADD COLUMN keywords TEXT NOT NULL DEFAULT '';

-- The analyst's correction of a question's form; the classifier's form stands where there is
-- none, so a correction survives every re-run of the analysis.
CREATE TABLE question_forms (
    question_id BIGINT PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
    form TEXT NOT NULL CHECK (form IN ('open', 'closed', 'mixed')),
    updated_at TIMESTAMP NOT NULL
);

-- A relay's own focus word lists, one entry per line; a relay without a row reads with its
-- language's default lists.
CREATE TABLE focus_lists (
    relay_id BIGINT PRIMARY KEY REFERENCES relays (id) ON DELETE CASCADE,
    inward TEXT NOT NULL,
    outward TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
