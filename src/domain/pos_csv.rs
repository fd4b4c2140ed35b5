//! The POS export (`store-assistant orders import FILE`): in-store purchases as CSV, parsed with
//! every problem found, by line number, so a file is fixed in one go.
//!
//! The header names the columns (any order; UTF-8, a BOM allowed):
//! `order_id,ordered_at,amount` are required; `store_code,status,refunded_amount,phone,member_id,
//! receipt_no,note` are optional. Pure: bytes in, rows or problems out; the transaction that
//! applies an import is in `services::orders`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::amount::Ntd;
use super::orders::{
    ExternalId, StatedStatus, check_not_future, parse_note, parse_ordered_at, parse_receipt_no,
};
use super::phone::TaiwanMobile;
use super::store_csv::{BOM, lines_not_utf8, unreadable};
use super::stores::StoreCode;

pub const REQUIRED: [&str; 3] = ["order_id", "ordered_at", "amount"];
pub const OPTIONAL: [&str; 7] = [
    "store_code",
    "status",
    "refunded_amount",
    "phone",
    "member_id",
    "receipt_no",
    "note",
];
/// A file with more lines is refused as a whole (split it): one import is one transaction.
pub const MAX_ROWS: usize = 50_000;

/// One valid line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosRow {
    pub line: u64,
    pub order_id: ExternalId,
    pub ordered_at: DateTime<Utc>,
    pub amount: Ntd,
    pub status: StatedStatus,
    pub store_code: Option<StoreCode>,
    pub phone: Option<TaiwanMobile>,
    pub member_id: Option<i32>,
    pub receipt_no: Option<String>,
    pub note: Option<String>,
}

/// One problem on one line (1 is the header), said in zh-TW and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: u64,
    pub zh: String,
    pub en: String,
}

impl LineProblem {
    pub fn new(line: u64, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            line,
            zh: format!("第 {line} 行：{}", zh.into()),
            en: format!("line {line}: {}", en.into()),
        }
    }
}

/// Parses a whole file: every row valid, or every problem found, in line order.
pub fn parse(bytes: &[u8], now: DateTime<Utc>) -> Result<Vec<PosRow>, Vec<LineProblem>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(lines_not_utf8(bytes)
            .into_iter()
            .map(|p| {
                LineProblem::new(
                    p.line,
                    "不是 UTF-8 編碼（請以「CSV UTF-8」格式另存）",
                    "not UTF-8 (save as \"CSV UTF-8\")",
                )
            })
            .collect());
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return Err(vec![LineProblem::new(
                1,
                format!(
                    "檔案是空的：第一行必須是標題，至少包含 {}",
                    REQUIRED.join(",")
                ),
                format!(
                    "the file is empty: the first line must be a header with at least {}",
                    REQUIRED.join(",")
                ),
            )]);
        }
        Some(Err(err)) => {
            let problem = unreadable(&err);
            return Err(vec![LineProblem::new(
                problem.line,
                problem.zh(),
                problem.en(),
            )]);
        }
        Some(Ok(header)) => header,
    };
    let columns = Columns::read(&header)?;

    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let problem = unreadable(&err);
                problems.push(LineProblem::new(problem.line, problem.zh(), problem.en()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|field| field.trim().is_empty()) {
            continue; // a blank line, as spreadsheets leave at the end
        }
        if record.len() != columns.count {
            problems.push(LineProblem::new(
                line,
                format!("應有 {} 欄，實際有 {} 欄", columns.count, record.len()),
                format!("expected {} columns, found {}", columns.count, record.len()),
            ));
            continue;
        }
        if rows.len() + problems.len() >= MAX_ROWS {
            problems.push(LineProblem::new(
                line,
                format!("檔案超過 {MAX_ROWS} 筆，請分成多個檔案匯入"),
                format!("more than {MAX_ROWS} rows; split the file"),
            ));
            break;
        }
        if let Some(order_id) = columns.get(&record, "order_id") {
            if let Some(first) = seen.get(order_id) {
                problems.push(LineProblem::new(
                    line,
                    format!("訂單編號 {order_id} 重複（第 {first} 行已出現）"),
                    format!("order_id {order_id} is repeated (first on line {first})"),
                ));
                continue;
            }
            seen.insert(order_id.to_owned(), line);
        }
        match parse_row(&columns, &record, line, now) {
            Ok(row) => rows.push(row),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// Where each known column is.
struct Columns {
    count: usize,
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn read(header: &csv::StringRecord) -> Result<Self, Vec<LineProblem>> {
        let mut index = HashMap::new();
        let mut problems = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            match REQUIRED
                .iter()
                .chain(OPTIONAL.iter())
                .find(|known| **known == name)
            {
                Some(known) if index.contains_key(known) => problems.push(LineProblem::new(
                    1,
                    format!("欄位 {known} 出現兩次"),
                    format!("column {known} appears twice"),
                )),
                Some(known) => {
                    index.insert(*known, i);
                }
                None => problems.push(LineProblem::new(
                    1,
                    format!(
                        "不認得的欄位「{name}」；可用的欄位：{},{}",
                        REQUIRED.join(","),
                        OPTIONAL.join(",")
                    ),
                    format!(
                        "unknown column \"{name}\"; the columns are {},{}",
                        REQUIRED.join(","),
                        OPTIONAL.join(",")
                    ),
                )),
            }
        }
        for required in REQUIRED {
            if !index.contains_key(required) {
                problems.push(LineProblem::new(
                    1,
                    format!("缺少必要欄位 {required}"),
                    format!("the required column {required} is missing"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                count: header.len(),
                index,
            })
        } else {
            Err(problems)
        }
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.index
            .get(name)
            .and_then(|i| record.get(*i))
            .map(str::trim)
            .filter(|value| !value.is_empty())
    }
}

fn parse_row(
    columns: &Columns,
    record: &csv::StringRecord,
    line: u64,
    now: DateTime<Utc>,
) -> Result<PosRow, Vec<LineProblem>> {
    let mut problems = Vec::new();
    let mut problem = |zh: String, en: String| problems.push(LineProblem::new(line, zh, en));
    let field = |name| columns.get(record, name);

    let order_id = ExternalId::parse(field("order_id").unwrap_or_default())
        .map_err(|err| problem(err.message_zh().to_owned(), format!("order_id: {err}")));
    let ordered_at = parse_ordered_at(field("ordered_at").unwrap_or_default())
        .and_then(|at| check_not_future(at, now).map(|()| at))
        .map_err(|err| problem(err.message_zh().to_owned(), err.to_string()));
    let amount = Ntd::parse(field("amount").unwrap_or_default()).map_err(|err| {
        problem(
            format!(
                "金額「{}」：{}",
                field("amount").unwrap_or_default(),
                err.message_zh()
            ),
            format!("amount: {}", err.message_en()),
        )
    });
    let refunded_amount = match field("refunded_amount") {
        None => Ok(None),
        Some(text) => Ntd::parse(text).map(|a| Some(a.get())).map_err(|err| {
            problem(
                format!("退款金額「{text}」：{}", err.message_zh()),
                format!("refunded_amount: {}", err.message_en()),
            )
        }),
    };
    let store_code = match field("store_code") {
        None => Ok(None),
        Some(text) => StoreCode::parse(text).map(Some).map_err(|_| {
            problem(
                format!("門市代碼「{text}」不正確（2–20 個英文字母、數字、- 或 _）"),
                format!("store_code \"{text}\" is invalid"),
            )
        }),
    };
    let phone = match field("phone") {
        None => Ok(None),
        Some(text) => TaiwanMobile::parse(text).map(Some).map_err(|err| {
            problem(
                format!("手機「{text}」：{}", err.message_zh()),
                format!("phone: {}", err.message_en()),
            )
        }),
    };
    let member_id = match field("member_id") {
        None => Ok(None),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| {
                problem(
                    format!("會員編號「{text}」必須是正整數"),
                    format!("member_id \"{text}\" must be a positive whole number"),
                )
            }),
    };
    let receipt_no = parse_receipt_no(field("receipt_no"))
        .map_err(|err| problem(err.message_zh().to_owned(), err.to_string()));
    let note = parse_note(field("note"))
        .map_err(|err| problem(err.message_zh().to_owned(), err.to_string()));
    let status = match (&amount, &refunded_amount) {
        (Ok(amount), Ok(refunded)) => StatedStatus::parse(field("status"), *refunded, *amount)
            .map_err(|err| problem(err.message_zh().to_owned(), err.to_string())),
        _ => Err(()),
    };
    match (
        order_id, ordered_at, amount, status, store_code, phone, member_id, receipt_no, note,
    ) {
        (
            Ok(order_id),
            Ok(ordered_at),
            Ok(amount),
            Ok(status),
            Ok(store_code),
            Ok(phone),
            Ok(member_id),
            Ok(receipt_no),
            Ok(note),
        ) => Ok(PosRow {
            line,
            order_id,
            ordered_at,
            amount,
            status,
            store_code,
            phone,
            member_id,
            receipt_no,
            note,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    }

    fn problems(text: &str) -> Vec<(u64, String)> {
        parse(text.as_bytes(), now())
            .expect_err("the file is refused")
            .into_iter()
            .map(|p| (p.line, p.en))
            .collect()
    }

    #[test]
    fn a_good_file_with_bom_and_any_column_order_parses() {
        let text = "\u{FEFF}store_code,order_id,ordered_at,amount,status,refunded_amount,phone,member_id,receipt_no,note\n\
                    A01,P-1,2026-11-28 14:03,\"1,200\",paid,,0912-345-678,,AB-12345678,\n\
                    a01,P-2,2026/11/29 10:00,１５００,已退款,500,,42,,換貨\n\
                    ,,,,,,,,,\n";
        let rows = parse(text.as_bytes(), now()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].order_id.as_str(), "P-1");
        assert_eq!(rows[0].amount.get(), 1200);
        assert_eq!(rows[0].store_code.as_ref().unwrap().as_str(), "A01");
        assert_eq!(rows[0].phone.as_ref().unwrap().e164(), "+886912345678");
        assert_eq!(rows[0].receipt_no.as_deref(), Some("AB-12345678"));
        assert_eq!(rows[0].status, StatedStatus::Paid);
        assert_eq!(rows[1].status, StatedStatus::Refunded { total: 500 });
        assert_eq!(rows[1].member_id, Some(42));
        assert_eq!(rows[1].note.as_deref(), Some("換貨"));
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn only_the_required_columns_are_needed() {
        let rows = parse(b"order_id,ordered_at,amount\nP1,2026-11-28,100\n", now()).unwrap();
        assert_eq!(rows[0].status, StatedStatus::Paid);
        assert_eq!(rows[0].store_code, None);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_reason() {
        let text = "order_id,ordered_at,amount,phone,member_id,status,refunded_amount\n\
                    P1,2026-11-28 10:00,0,,,,\n\
                    P2,yesterday,100,,,,\n\
                    P3,2026-11-28 10:00,12.5,02-2345-6789,,,\n\
                    P4,2026-11-28 10:00,100,,abc,,\n\
                    P1,2026-11-28 10:00,100,,,,\n\
                    P5,2027-01-01 10:00,100,,,,\n\
                    P6,2026-11-28 10:00,100,,,refunded,200\n\
                    P7,2026-11-28 10:00\n";
        let found = problems(text);
        let lines: Vec<u64> = found.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![2, 3, 4, 4, 5, 6, 7, 8, 9], "{found:#?}");
        assert!(found[0].1.contains("cannot be 0"));
        assert!(found[1].1.contains("ordered_at"));
        assert!(found[2].1.contains("whole number"));
        assert!(found[3].1.contains("phone"));
        assert!(found[4].1.contains("member_id"));
        assert!(found[5].1.contains("repeated (first on line 2)"));
        assert!(found[6].1.contains("future"));
        assert!(found[7].1.contains("larger than the order"));
        assert!(found[8].1.contains("expected 7 columns, found 2"));
    }

    #[test]
    fn a_header_without_the_required_columns_or_with_unknown_ones_is_refused() {
        let found = problems("order,when,amount\n");
        assert!(found.iter().all(|(line, _)| *line == 1));
        assert!(
            found
                .iter()
                .any(|(_, en)| en.contains("unknown column \"order\""))
        );
        assert!(
            found
                .iter()
                .any(|(_, en)| en.contains("order_id is missing"))
        );
        assert!(problems("")[0].1.contains("empty"));
    }

    #[test]
    fn big5_files_are_refused_by_line() {
        let mut bytes =
            b"order_id,ordered_at,amount,note\nP1,2026-11-28,100,ok\nP2,2026-11-28,100,".to_vec();
        bytes.extend_from_slice(&[0xA5, 0x78, 0xA5, 0x5F]);
        bytes.push(b'\n');
        let found = parse(&bytes, now()).unwrap_err();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        assert!(found[0].zh.contains("UTF-8"));
    }

    proptest::proptest! {
        #[test]
        fn the_parser_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse(&bytes, now());
        }
    }
}
