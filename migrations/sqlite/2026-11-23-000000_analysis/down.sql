DROP INDEX questions_relay_order;
DROP TABLE question_themes;
DROP TABLE themes;
