//! The web pages and their assets as a browser fetches them, and the routes the console reads
//! (`assets`).

mod assets;
