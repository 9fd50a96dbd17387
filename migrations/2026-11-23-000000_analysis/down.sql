DROP TABLE question_themes;
DROP TABLE themes;
