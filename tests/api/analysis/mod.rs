//! The analysis of a relay's questions: themes, words, the network and the report (`themes`),
//! keywords, forms, focus, profiles and their exports (`depth`).

mod depth;
mod themes;
