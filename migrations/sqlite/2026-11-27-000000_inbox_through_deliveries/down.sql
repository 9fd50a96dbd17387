CREATE INDEX questions_recipient ON questions (recipient_id, status);
