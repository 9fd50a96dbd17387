//! Corpus export as CSV, JSON or XLSX, a page of rows at a time: an [`Encoder`] turns each
//! page into bytes, so an export never holds the corpus in memory, and [`stream`] reads each
//! page on a connection that it gives back before the bytes go out. Analysts get pseudonyms
//! only; names and emails are written only for facilitators and admins. Each row carries its
//! analysis ([`annotate`]): form, focus and expected keywords; an XLSX workbook has a second
//! sheet with the per-group summaries.

pub mod annotate;
pub mod file;
mod stream;

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

pub use self::annotate::{Annotator, Notes};
pub use self::stream::stream;
use crate::db::corpus::CorpusRow;
use crate::db::{DbConn, from_db};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
    /// An Excel workbook with one sheet.
    Xlsx,
}

impl Format {
    /// Parses `csv`, `json` or `xlsx`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xlsx => "xlsx",
        }
    }
}

/// Who reads the export: it decides whether names and emails are in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Pseudonyms only.
    Analyst,
    /// Pseudonyms, names and emails (facilitators and admins).
    Named,
}

const BASE_COLUMNS: [&str; 18] = [
    "question_id",
    "relay_id",
    "round",
    "round_name",
    "asker",
    "asker_group",
    "asker_name",
    "asker_email",
    "recipient",
    "recipient_group",
    "recipient_name",
    "recipient_email",
    "question",
    "asked_at",
    "status",
    "answer",
    "answered_at",
    "theme",
];

/// The analysis columns after the theme.
const ANALYSIS_COLUMNS: [&str; 3] = ["form", "focus", "keywords"];

const NAMED_ONLY: [&str; 4] = [
    "asker_name",
    "asker_email",
    "recipient_name",
    "recipient_email",
];

/// The columns `reader` gets, in order.
pub fn columns(reader: Reader) -> Vec<&'static str> {
    BASE_COLUMNS
        .iter()
        .copied()
        .filter(|c| reader == Reader::Named || !NAMED_ONLY.contains(c))
        .chain(ANALYSIS_COLUMNS)
        .chain(["starred"])
        .collect()
}

/// One row with its analysis `notes` as typed values, in the order of [`columns`].
pub fn values(row: &CorpusRow, notes: &Notes, reader: Reader) -> Vec<Value> {
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map_or(Value::Null, |t| {
            json!(from_db(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
    };
    let mut out = vec![
        json!(row.question_id),
        json!(row.relay_id),
        json!(row.round),
        json!(row.round_name),
        json!(row.asker),
        json!(row.asker_group),
    ];
    if reader == Reader::Named {
        out.extend([json!(row.asker_name), json!(row.asker_email)]);
    }
    out.extend([json!(row.recipient), json!(row.recipient_group)]);
    if reader == Reader::Named {
        out.extend([json!(row.recipient_name), json!(row.recipient_email)]);
    }
    out.extend([
        json!(row.question),
        time(Some(row.asked_at)),
        json!(row.status),
        json!(row.answer),
        time(row.answered_at),
        json!(row.theme),
        json!(notes.form.as_str()),
        json!(annotate::focus_name(notes.focus.focus())),
        // No hit is an empty cell in every format, as other missing values are.
        if notes.keywords.is_empty() {
            Value::Null
        } else {
            json!(notes.keywords)
        },
        json!(row.starred),
    ]);
    out
}

/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, a
/// tab or carriage return) as a formula. Such text gets a leading apostrophe, which every
/// spreadsheet shows as plain text. Participants write free text, so this is not optional.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => neutralise(s).into_owned(),
        other => other.to_string(),
    }
}

/// Writes rows as CSV.
pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
    reader: Reader,
}

impl<W: Write> CsvSink<W> {
    /// Starts the CSV with its header row.
    pub fn new(w: W, reader: Reader) -> anyhow::Result<Self> {
        let mut sink = Self::continued(w, reader);
        sink.out.write_record(columns(reader))?;
        Ok(sink)
    }

    /// Goes on with a CSV whose header row is already written.
    pub fn continued(w: W, reader: Reader) -> Self {
        Self {
            out: csv::Writer::from_writer(w),
            reader,
        }
    }

    /// Writes one row.
    pub fn row(&mut self, row: &CorpusRow, notes: &Notes) -> anyhow::Result<()> {
        self.out
            .write_record(values(row, notes, self.reader).iter().map(cell_text))?;
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> anyhow::Result<W> {
        self.out
            .into_inner()
            .map_err(|e| anyhow::anyhow!("flushing the CSV: {}", e.error()))
    }
}

/// Writes rows as a JSON array of objects, one object per line.
pub struct JsonSink<W: Write> {
    out: W,
    reader: Reader,
    columns: Vec<&'static str>,
    first: bool,
}

impl<W: Write> JsonSink<W> {
    /// Opens the array.
    pub fn new(mut w: W, reader: Reader) -> anyhow::Result<Self> {
        w.write_all(b"[")?;
        Ok(Self {
            out: w,
            reader,
            columns: columns(reader),
            first: true,
        })
    }

    /// Writes one row.
    pub fn row(&mut self, row: &CorpusRow, notes: &Notes) -> anyhow::Result<()> {
        let object: Map<String, Value> = self
            .columns
            .iter()
            .map(|c| c.to_string())
            .zip(values(row, notes, self.reader))
            .collect();
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, &object)?;
        Ok(())
    }

    /// Closes the array and returns the writer.
    pub fn finish(mut self) -> anyhow::Result<W> {
        self.out.write_all(b"\n]\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl JsonSink<Vec<u8>> {
    /// The bytes written so far, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// Writes rows into an Excel workbook in constant memory (rows go to a temporary file as they
/// come, not into a table in memory).
pub struct XlsxSink {
    workbook: rust_xlsxwriter::Workbook,
    reader: Reader,
    next_row: u32,
}

impl XlsxSink {
    /// A workbook with one sheet and its header row.
    pub fn new(reader: Reader) -> anyhow::Result<Self> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name("corpus")?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (i, c) in columns(reader).iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *c, &bold)?;
        }
        Ok(Self {
            workbook,
            reader,
            next_row: 1,
        })
    }

    /// Writes one row: numbers as numbers, booleans as booleans, text neutralised.
    pub fn row(&mut self, row: &CorpusRow, notes: &Notes) -> anyhow::Result<()> {
        let sheet = self
            .workbook
            .worksheet_from_index(0)
            .map_err(|e| anyhow::anyhow!("the corpus sheet: {e}"))?;
        write_cells(sheet, self.next_row, &values(row, notes, self.reader))?;
        self.next_row += 1;
        Ok(())
    }

    /// Adds the sheet of per-group summaries and saves the workbook to `path`.
    pub fn finish(mut self, groups: &[annotate::GroupSummary], path: &Path) -> anyhow::Result<()> {
        let sheet = self.workbook.add_worksheet();
        sheet.set_name("groups")?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (i, c) in GROUP_COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *c, &bold)?;
        }
        for (r, g) in groups.iter().enumerate() {
            write_cells(sheet, r as u32 + 1, &group_values(g))?;
        }
        self.workbook.save(path)?;
        Ok(())
    }
}

/// Writes typed values into one row of a sheet: numbers as numbers, booleans as booleans, text
/// neutralised.
fn write_cells(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    values: &[Value],
) -> anyhow::Result<()> {
    for (i, v) in values.iter().enumerate() {
        let col = i as u16;
        match v {
            Value::Null => {}
            Value::Bool(b) => {
                sheet.write_boolean(row, col, *b)?;
            }
            Value::Number(n) => {
                sheet.write_number(row, col, n.as_f64().unwrap_or_default())?;
            }
            Value::String(s) => {
                sheet.write_string(row, col, neutralise(s))?;
            }
            other => {
                sheet.write_string(row, col, other.to_string())?;
            }
        }
    }
    Ok(())
}

/// The columns of the XLSX sheet of per-group summaries.
const GROUP_COLUMNS: [&str; 14] = [
    "group",
    "asked",
    "received",
    "answered",
    "answered_share",
    "median_answer_minutes",
    "profile",
    "participation",
    "open",
    "closed",
    "mixed",
    "inward",
    "outward",
    "neither",
];

fn group_values(g: &annotate::GroupSummary) -> Vec<Value> {
    let p = &g.profile;
    vec![
        json!(g.group),
        json!(p.asked),
        json!(p.received),
        json!(p.answered),
        json!(p.answered_share),
        json!(p.median_answer_minutes),
        serde_json::to_value(p.profile).unwrap_or(Value::Null),
        json!(p.participation),
        json!(g.forms.open),
        json!(g.forms.closed),
        json!(g.forms.mixed),
        json!(g.focus.inward),
        json!(g.focus.outward),
        json!(g.focus.neither),
    ]
}

/// Rows read from the database per query while exporting.
pub const PAGE_SIZE: i64 = 2000;

/// Where an export has got to in a relay's corpus: the pages come in question id order, each
/// from its own query, so no connection or transaction is held from one page to the next.
#[derive(Debug, Clone)]
pub struct Cursor {
    relay_id: i64,
    after: i64,
    done: bool,
}

impl Cursor {
    /// The start of `relay_id`'s corpus.
    pub fn new(relay_id: i64) -> Self {
        Self {
            relay_id,
            after: 0,
            done: false,
        }
    }

    /// The next page of up to [`PAGE_SIZE`] rows, or `None` past the last.
    pub fn next_page(&mut self, conn: &mut DbConn) -> diesel::QueryResult<Option<Vec<CorpusRow>>> {
        if self.done {
            return Ok(None);
        }
        let rows = CorpusRow::page(conn, self.relay_id, self.after, PAGE_SIZE)?;
        self.done = (rows.len() as i64) < PAGE_SIZE;
        match rows.last() {
            Some(last) => {
                self.after = last.question_id;
                Ok(Some(rows))
            }
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }
}

/// Turns corpus rows into one format's bytes, a page at a time.
pub struct Encoder {
    out: Out,
    annotator: Annotator,
}

enum Out {
    Csv { reader: Reader, started: bool },
    Json(JsonSink<Vec<u8>>),
    Xlsx(Box<XlsxSink>, annotate::Summary),
}

/// The end of an export: the last bytes, or (XLSX, a zip whose directory comes last) the whole
/// workbook in a temporary file.
pub enum Tail {
    /// Bytes that follow the pages'.
    Bytes(Vec<u8>),
    /// The complete file; it is deleted when dropped.
    File(tempfile::NamedTempFile),
}

impl Encoder {
    /// An encoder for `format`, writing the columns `reader` may see, each row read by
    /// `annotator`.
    pub fn new(format: Format, reader: Reader, annotator: Annotator) -> anyhow::Result<Self> {
        let out = match format {
            Format::Csv => Out::Csv {
                reader,
                started: false,
            },
            Format::Json => Out::Json(JsonSink::new(Vec::new(), reader)?),
            Format::Xlsx => Out::Xlsx(Box::new(XlsxSink::new(reader)?), Default::default()),
        };
        Ok(Self { out, annotator })
    }

    /// Encodes `rows` and returns the bytes ready to go out (none for XLSX, which goes to its
    /// temporary file until [`Encoder::finish`]).
    pub fn page(&mut self, rows: &[CorpusRow]) -> anyhow::Result<Vec<u8>> {
        let notes: Vec<Notes> = rows.iter().map(|r| self.annotator.notes(r)).collect();
        let pairs = rows.iter().zip(&notes);
        match &mut self.out {
            Out::Csv { reader, started } => {
                let mut sink = if *started {
                    CsvSink::continued(Vec::new(), *reader)
                } else {
                    CsvSink::new(Vec::new(), *reader)?
                };
                *started = true;
                for (row, n) in pairs {
                    sink.row(row, n)?;
                }
                sink.finish()
            }
            Out::Json(sink) => {
                for (row, n) in pairs {
                    sink.row(row, n)?;
                }
                Ok(sink.take())
            }
            Out::Xlsx(sink, summary) => {
                summary.add(&self.annotator, rows, &notes);
                for (row, n) in pairs {
                    sink.row(row, n)?;
                }
                Ok(Vec::new())
            }
        }
    }

    /// Ends the output. Building the XLSX file takes a while: run this off async threads.
    pub fn finish(self) -> anyhow::Result<Tail> {
        match self.out {
            Out::Csv { reader, started } if !started => {
                Ok(Tail::Bytes(CsvSink::new(Vec::new(), reader)?.finish()?))
            }
            Out::Csv { .. } => Ok(Tail::Bytes(Vec::new())),
            Out::Json(sink) => Ok(Tail::Bytes(sink.finish()?)),
            Out::Xlsx(sink, summary) => {
                let file = tempfile::NamedTempFile::new()?;
                sink.finish(&summary.groups(&self.annotator), file.path())?;
                Ok(Tail::File(file))
            }
        }
    }
}

/// Writes the whole corpus of `relay_id` to `out` on one connection and returns the number of
/// rows (the export benchmark's path; the server and the CLI use [`stream`]). `progress` hears
/// the running count every page.
pub fn write_corpus<W: Write>(
    conn: &mut DbConn,
    relay_id: i64,
    format: Format,
    reader: Reader,
    mut out: W,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let mut encoder = Encoder::new(format, reader, Annotator::load(conn, relay_id)?)?;
    let mut cursor = Cursor::new(relay_id);
    let mut n = 0u64;
    while let Some(rows) = cursor.next_page(conn)? {
        out.write_all(&encoder.page(&rows)?)?;
        n += rows.len() as u64;
        progress(n);
    }
    match encoder.finish()? {
        Tail::Bytes(bytes) => out.write_all(&bytes)?,
        Tail::File(file) => {
            std::io::copy(&mut file.reopen()?, &mut out)?;
        }
    }
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CorpusRow {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(8, 30, 0)
            .unwrap();
        CorpusRow {
            question_id: 7,
            relay_id: 1,
            round: Some(1),
            round_name: Some("Dag 1".into()),
            asker: "P001".into(),
            asker_group: "Kommune".into(),
            asker_name: "Anne Andersen".into(),
            asker_email: "anne@kommune.dk".into(),
            recipient: "P002".into(),
            recipient_group: "Stat".into(),
            recipient_name: "Bo Berg".into(),
            recipient_email: "bo@stat.dk".into(),
            question: "Hvordan, \"konkret\", måler I værdi for borgerne?".into(),
            asked_at: t,
            status: crate::relay::QuestionStatus::Answered,
            answer: Some("=HYPERLINK(\"http://x\")".into()),
            answered_at: Some(t),
            theme_id: None,
            theme: None,
            starred: true,
        }
    }

    fn notes() -> Notes {
        Notes {
            form: crate::analysis::QuestionForm::Open,
            focus: crate::analysis::FocusCounts {
                inward: 0,
                outward: 2,
            },
            keywords: "borger".into(),
        }
    }

    #[test]
    fn formula_triggers_get_an_apostrophe_and_nothing_else_changes() {
        for bad in ["=1+1", "+45 12", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["Hvad nu?", "1+1", " =x", "", "æøå"] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn an_analyst_gets_no_name_or_email_column() {
        let cols = columns(Reader::Analyst);
        assert!(
            !cols
                .iter()
                .any(|c| c.ends_with("_name") && *c != "round_name")
        );
        assert!(!cols.iter().any(|c| c.ends_with("_email")));
        assert_eq!(cols.len(), values(&row(), &notes(), Reader::Analyst).len());
        assert_eq!(
            columns(Reader::Named).len(),
            values(&row(), &notes(), Reader::Named).len()
        );
        let mut sink = CsvSink::new(Vec::new(), Reader::Analyst).unwrap();
        sink.row(&row(), &notes()).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert!(!text.contains("Anne") && !text.contains("@kommune.dk"));
        assert!(text.contains("P001"));
    }

    #[test]
    fn csv_quotes_and_neutralises_and_json_keeps_the_text() {
        let mut sink = CsvSink::new(Vec::new(), Reader::Named).unwrap();
        sink.row(&row(), &notes()).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("question_id,relay_id,round,round_name,asker,")
        );
        let line = lines.next().unwrap();
        assert!(line.contains("\"Hvordan, \"\"konkret\"\", måler I værdi for borgerne?\""));
        assert!(line.contains("\"'=HYPERLINK(\"\"http://x\"\")\""));
        assert!(line.contains("2026-12-07T08:30:00Z"));

        let mut sink = JsonSink::new(Vec::new(), Reader::Named).unwrap();
        sink.row(&row(), &notes()).unwrap();
        sink.row(&row(), &notes()).unwrap();
        let parsed: Value = serde_json::from_slice(&sink.finish().unwrap()).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 2);
        assert_eq!(parsed[0]["answer"], "=HYPERLINK(\"http://x\")");
        assert_eq!(parsed[0]["starred"], true);
        assert_eq!(parsed[0]["round"], 1);
        assert_eq!(parsed[0]["form"], "open");
        assert_eq!(parsed[0]["focus"], "outward");
        assert_eq!(parsed[0]["keywords"], "borger");
    }

    #[test]
    fn an_empty_json_export_is_an_empty_array() {
        let sink = JsonSink::new(Vec::new(), Reader::Analyst).unwrap();
        let parsed: Value = serde_json::from_slice(&sink.finish().unwrap()).unwrap();
        assert_eq!(parsed, json!([]));
    }
}
