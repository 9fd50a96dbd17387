//! Email: every email of a relay over SMTP to a real small server, outages and refusals
//! (`smtp`).

mod smtp;
