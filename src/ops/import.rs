//! Reading a participant import: a CSV file as spreadsheets export it, or a JSON array. Pure
//! functions; each bad line is reported with its number and the good ones are kept.

use actix_web::http::StatusCode;

use crate::error::AppError;
use crate::ops::participants::{ImportRow, Rejected, validate_rows};

/// Rows that parsed (with their line numbers) and lines that did not.
pub type Parsed = (Vec<(usize, ImportRow)>, Vec<Rejected>);

/// How an import's body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `text/csv`
    Csv,
    /// `application/json`: an array of participants.
    Json,
}

impl BodyFormat {
    /// The format a `Content-Type` names, or 415 for any other.
    pub fn of(content_type: &str) -> Result<Self, AppError> {
        let content_type = content_type.to_ascii_lowercase();
        if content_type.starts_with("text/csv") {
            Ok(Self::Csv)
        } else if content_type.starts_with("application/json") {
            Ok(Self::Json)
        } else {
            Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send participants as application/json or text/csv",
            ))
        }
    }
}

/// An import read and checked: the rows to store, and every line left out, in line order.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Rows that passed.
    pub rows: Vec<ImportRow>,
    /// Lines left out, and why.
    pub rejected: Vec<Rejected>,
}

/// Reads an import body written in `format` and checks its rows.
pub fn read(format: BodyFormat, data: &[u8]) -> Result<Checked, AppError> {
    let (rows, mut rejected) = match format {
        BodyFormat::Csv => parse_csv(data)?,
        BodyFormat::Json => parse_json(data)?,
    };
    let (rows, bad) = validate_rows(rows);
    rejected.extend(bad);
    rejected.sort_by_key(|r| r.line);
    Ok(Checked { rows, rejected })
}

const COLUMNS: [&str; 5] = ["name", "email", "group", "title", "organisation"];

/// Where each known column stands in a CSV import's header.
struct Columns {
    count: usize,
    name: Option<usize>,
    email: Option<usize>,
    group: Option<usize>,
    title: Option<usize>,
    organisation: Option<usize>,
}

impl Columns {
    /// Reads the header: unknown columns are reported (and ignored); a missing `name`, `email`
    /// or `group` fails the import.
    fn from_header(headers: &csv::StringRecord) -> Result<(Self, Vec<Rejected>), AppError> {
        let names: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let unknown = names
            .iter()
            .filter(|n| !COLUMNS.contains(&n.as_str()))
            .map(|n| Rejected {
                line: 1,
                reason: format!("unknown column {n:?} (ignored)"),
            })
            .collect();
        for required in ["name", "email", "group"] {
            if !names.iter().any(|n| n == required) {
                return Err(AppError::validation(format!(
                    "the CSV header needs the column {required:?} \
                     (columns: name,email,group,title,organisation)"
                )));
            }
        }
        let col = |name: &str| names.iter().position(|n| n == name);
        let columns = Self {
            count: names.len(),
            name: col("name"),
            email: col("email"),
            group: col("group"),
            title: col("title"),
            organisation: col("organisation"),
        };
        Ok((columns, unknown))
    }

    /// The participant a record describes, or none when it has more fields than the header.
    fn row(&self, record: &csv::StringRecord) -> Option<ImportRow> {
        if record.len() > self.count {
            return None;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_string();
        let opt = |i: Option<usize>| Some(get(i)).filter(|s| !s.is_empty());
        Some(ImportRow {
            name: get(self.name),
            email: get(self.email),
            group: get(self.group),
            title: opt(self.title),
            organisation: opt(self.organisation),
        })
    }
}

/// Parses a CSV import. Returns the rows that parsed (with their line numbers) and the lines
/// that did not, among them a row whose quote is never closed and the lines it swallowed. A
/// header without `name`, `email` or `group` fails the whole import.
pub fn parse_csv(data: &[u8]) -> Result<Parsed, AppError> {
    // A spreadsheet's UTF-8 export often starts with a byte-order mark.
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::bad_request("malformed_csv", format!("cannot read the CSV header: {e}"))
        })?
        .clone();
    let (columns, mut rejected) = Columns::from_header(&headers)?;
    let mut rows = Vec::new();
    // Where the last record starts (byte, line): a quote left open swallows the rest into it.
    let mut last_start = None;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                last_start = e.position().map(|p| (p.byte() as usize, line));
                rejected.push(Rejected {
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        last_start = record.position().map(|p| (p.byte() as usize, line));
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        match columns.row(&record) {
            Some(row) => rows.push((line, row)),
            None => rejected.push(Rejected {
                line,
                reason: "more fields than the header has columns".into(),
            }),
        }
    }
    if let Some((byte, line)) = last_start
        && let Some(tail) = data.get(byte..)
        && ends_in_open_quote(tail)
    {
        rows.retain(|(l, _)| *l != line);
        rejected.retain(|r| r.line != line);
        rejected.extend(open_quote_report(tail, line));
    }
    Ok((rows, rejected))
}

/// Whether `tail`, CSV text from the start of a record to the end of the input, ends inside a
/// quoted field. The csv reader takes a quote left open as closed at the end of the input, so
/// the lines after it silently become part of one field. Closing the quote ourselves and adding
/// a row reads the same rows plus that one exactly when the quote was open: after any other
/// ending the added quote is read as a character, or opens a new field that swallows the row.
fn ends_in_open_quote(tail: &[u8]) -> bool {
    let read = |bytes: &[u8]| -> Vec<csv::ByteRecord> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes)
            .byte_records()
            .filter_map(Result::ok)
            .collect()
    };
    let mut closed = tail.to_vec();
    closed.extend_from_slice(b"\"\nend");
    let mut expected = read(tail);
    expected.push(csv::ByteRecord::from(vec!["end"]));
    read(&closed) == expected
}

/// The rejections for a quote opened on `line` and never closed: that line, and every
/// non-blank line after it that the quote swallowed.
fn open_quote_report(tail: &[u8], line: usize) -> Vec<Rejected> {
    let swallowed: Vec<usize> = tail
        .split(|&b| b == b'\n')
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim_ascii().is_empty())
        .map(|(k, _)| line + k)
        .collect();
    let mut report = vec![Rejected {
        line,
        reason: format!(
            "a quote (\") opens on this line and is never closed, so this row and the {} \
             line(s) after it were not imported",
            swallowed.len()
        ),
    }];
    report.extend(swallowed.into_iter().map(|l| Rejected {
        line: l,
        reason: format!("not imported: inside the quote left open on line {line}"),
    }));
    report
}

/// Parses a JSON import: an array of objects, each read on its own so one bad row is reported
/// without losing the others.
pub fn parse_json(data: &[u8]) -> Result<Parsed, AppError> {
    let value: serde_json::Value = serde_json::from_slice(data).map_err(|e| {
        AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    let serde_json::Value::Array(items) = value else {
        return Err(AppError::validation("send an array of participants"));
    };
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<ImportRow>(item) {
            Ok(row) => rows.push((i + 1, row)),
            Err(e) => rejected.push(Rejected {
                line: i + 1,
                reason: e.to_string(),
            }),
        }
    }
    Ok((rows, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_left_open_at_the_end_is_found_and_no_other_ending_is_taken_for_one() {
        for open in [
            "Ann,\"ann@x.dk,North\nBob,bob@x.dk,South\n",
            "Ann,ann@x.dk,\"North",
            "\"Ann",
            "\"",
            "Ann,\"ab\"\"cd",
            "Ann,\"a,b\"\"\n",
            "Ann,ann@x.dk,North,\"\r\nBob,bob@x.dk,South\r\n",
        ] {
            assert!(ends_in_open_quote(open.as_bytes()), "{open:?}");
        }
        for closed in [
            "Ann,ann@x.dk,North\n",
            "Ann,ann@x.dk,North",
            "Ann,ann@x.dk,North,,,",
            "Ann,ann@x.dk,",
            "Ann,ann@x.dk,\"North\"",
            "Ann,ann@x.dk,\"North\"\n",
            "Ann,\"ab\"\"cd\"",
            "\"Storm, Karen\",\"line one\nline two\",North\n",
            "Ann \"Annie\" Berg,ann@x.dk,North\n",
            "Ann,5\" screen,North",
            "",
        ] {
            assert!(!ends_in_open_quote(closed.as_bytes()), "{closed:?}");
        }
    }

    #[test]
    fn an_unterminated_quote_rejects_its_row_and_each_line_it_swallowed() {
        let csv = "name,email,group\nAnn,ann@x.dk,North\nBob,\"bob@x.dk,South\nCarl,carl@x.dk,North\n\nDina,dina@x.dk,South\n";
        let (rows, rejected) = parse_csv(csv.as_bytes()).unwrap();
        let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2], "only the row before the quote is kept");
        let report: Vec<usize> = rejected.iter().map(|r| r.line).collect();
        assert_eq!(report, vec![3, 4, 6]);
        assert!(rejected[0].reason.contains("never closed"), "{rejected:?}");
        assert!(rejected[0].reason.contains("2 line"), "{rejected:?}");
        assert!(rejected[1].reason.contains("line 3"), "{rejected:?}");
        // A legitimately quoted line break is no such thing.
        let fine = "name,email,group\n\"Storm,\nKaren\",karen@x.dk,\"Stat\"\nAnn,ann@x.dk,North";
        let (rows, rejected) = parse_csv(fine.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rejected.is_empty(), "{rejected:?}");
    }
}
