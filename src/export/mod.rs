//! Corpus export as CSV, JSON or XLSX, one row at a time: the rows come from
//! [`crate::db::corpus::for_each`] and go straight to a writer, so an export never holds the
//! corpus in memory. Analysts get pseudonyms only; names and emails are written only for
//! facilitators and admins.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::db::corpus::CorpusRow;
use crate::db::from_db;

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
        .chain(["starred"])
        .collect()
}

/// One row as typed values, in the order of [`columns`].
pub fn values(row: &CorpusRow, reader: Reader) -> Vec<Value> {
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

/// Something corpus rows are written to, one at a time.
pub trait RowSink {
    /// Writes one row.
    fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()>;
}

impl<W: Write> RowSink for CsvSink<W> {
    fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()> {
        CsvSink::row(self, row)
    }
}

impl<W: Write> RowSink for JsonSink<W> {
    fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()> {
        JsonSink::row(self, row)
    }
}

impl RowSink for XlsxSink {
    fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()> {
        XlsxSink::row(self, row)
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
        let mut out = csv::Writer::from_writer(w);
        out.write_record(columns(reader))?;
        Ok(Self { out, reader })
    }

    /// Writes one row.
    pub fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()> {
        self.out
            .write_record(values(row, self.reader).iter().map(cell_text))?;
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
    pub fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()> {
        let object: Map<String, Value> = self
            .columns
            .iter()
            .map(|c| c.to_string())
            .zip(values(row, self.reader))
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
    pub fn row(&mut self, row: &CorpusRow) -> anyhow::Result<()> {
        let sheet = self
            .workbook
            .worksheet_from_index(0)
            .map_err(|e| anyhow::anyhow!("the corpus sheet: {e}"))?;
        for (i, v) in values(row, self.reader).iter().enumerate() {
            let col = i as u16;
            match v {
                Value::Null => {}
                Value::Bool(b) => {
                    sheet.write_boolean(self.next_row, col, *b)?;
                }
                Value::Number(n) => {
                    sheet.write_number(self.next_row, col, n.as_f64().unwrap_or_default())?;
                }
                Value::String(s) => {
                    sheet.write_string(self.next_row, col, neutralise(s))?;
                }
                other => {
                    sheet.write_string(self.next_row, col, other.to_string())?;
                }
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Saves the workbook to `path`.
    pub fn finish(mut self, path: &Path) -> anyhow::Result<()> {
        self.workbook.save(path)?;
        Ok(())
    }
}

/// Rows read from the database per query while exporting.
pub const PAGE_SIZE: i64 = 2000;

/// Writes the whole corpus of `relay_id` to `out` and returns the number of rows. `progress`
/// hears the running count every page. An XLSX workbook is a zip whose directory comes last, so
/// it is built in a temporary file (in constant memory) and then copied to `out`.
pub fn write_corpus<W: Write>(
    conn: &mut crate::db::DbConn,
    relay_id: i64,
    format: Format,
    reader: Reader,
    mut out: W,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let mut n = 0u64;
    let mut feed = |sink: &mut dyn RowSink| -> anyhow::Result<u64> {
        crate::db::corpus::for_each(conn, relay_id, PAGE_SIZE, |row| -> anyhow::Result<()> {
            sink.row(&row)?;
            n += 1;
            if n.is_multiple_of(PAGE_SIZE as u64) {
                progress(n);
            }
            Ok(())
        })
    };
    let total = match format {
        Format::Csv => {
            let mut sink = CsvSink::new(&mut out, reader)?;
            let total = feed(&mut sink)?;
            sink.finish()?;
            total
        }
        Format::Json => {
            let mut sink = JsonSink::new(&mut out, reader)?;
            let total = feed(&mut sink)?;
            sink.finish()?;
            total
        }
        Format::Xlsx => {
            let mut sink = XlsxSink::new(reader)?;
            let total = feed(&mut sink)?;
            let file = tempfile::NamedTempFile::new()?;
            sink.finish(file.path())?;
            std::io::copy(&mut std::fs::File::open(file.path())?, &mut out)?;
            total
        }
    };
    out.flush()?;
    progress(total);
    Ok(total)
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
            status: "answered".into(),
            answer: Some("=HYPERLINK(\"http://x\")".into()),
            answered_at: Some(t),
            theme_id: None,
            theme: None,
            starred: true,
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
        assert_eq!(cols.len(), values(&row(), Reader::Analyst).len());
        assert_eq!(
            columns(Reader::Named).len(),
            values(&row(), Reader::Named).len()
        );
        let mut sink = CsvSink::new(Vec::new(), Reader::Analyst).unwrap();
        sink.row(&row()).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert!(!text.contains("Anne") && !text.contains("@kommune.dk"));
        assert!(text.contains("P001"));
    }

    #[test]
    fn csv_quotes_and_neutralises_and_json_keeps_the_text() {
        let mut sink = CsvSink::new(Vec::new(), Reader::Named).unwrap();
        sink.row(&row()).unwrap();
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
        sink.row(&row()).unwrap();
        sink.row(&row()).unwrap();
        let parsed: Value = serde_json::from_slice(&sink.finish().unwrap()).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 2);
        assert_eq!(parsed[0]["answer"], "=HYPERLINK(\"http://x\")");
        assert_eq!(parsed[0]["starred"], true);
        assert_eq!(parsed[0]["round"], 1);
    }

    #[test]
    fn an_empty_json_export_is_an_empty_array() {
        let sink = JsonSink::new(Vec::new(), Reader::Analyst).unwrap();
        let parsed: Value = serde_json::from_slice(&sink.finish().unwrap()).unwrap();
        assert_eq!(parsed, json!([]));
    }
}
