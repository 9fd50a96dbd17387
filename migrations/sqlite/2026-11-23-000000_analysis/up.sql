-- The analyst's themes. Clustering makes unpinned themes; an analyst's edit (create, rename,
-- merge, split) pins a theme, and a re-run of the clustering keeps pinned themes as they are.
CREATE TABLE themes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    -- Suggested label words, a JSON array of strings, most telling first.
    label_words TEXT NOT NULL DEFAULT '[]',
    is_pinned BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX themes_relay ON themes (relay_id);

-- Which theme a question is in (at most one). `is_pinned`: the analyst placed it by hand, so a
-- re-run leaves it. `score`: closeness to the theme's centre when clustering placed it (the
-- representative questions are the closest).
CREATE TABLE question_themes (
    question_id BIGINT PRIMARY KEY NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    theme_id BIGINT NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    is_pinned BOOLEAN NOT NULL DEFAULT 0,
    score DOUBLE PRECISION,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX question_themes_theme ON question_themes (theme_id);

-- The corpus is read in id order a page at a time (exports, analysis): with this index each
-- page is a range scan instead of a sort of the whole relay.
CREATE INDEX questions_relay_order ON questions (relay_id, id);
