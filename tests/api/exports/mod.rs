//! Corpus exports: JSON, CSV and XLSX over the API and the CLI (`corpus`), and downloads to
//! clients that stop reading (`slow_clients`).

mod corpus;
mod slow_clients;
