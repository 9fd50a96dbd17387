-- A participant's pending questions are now found through their open deliveries (indexed by
-- recipient). This index took a random page for every question asked and another for every
-- answer: a fifth of the pages a busy relay wrote at each commit.
DROP INDEX questions_recipient;
