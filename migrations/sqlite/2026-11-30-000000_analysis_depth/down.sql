DROP TABLE focus_lists;
DROP TABLE question_forms;
ALTER TABLE relays DROP COLUMN keywords;
