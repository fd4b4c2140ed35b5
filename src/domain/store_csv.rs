//! The store list as CSV (`store_code,store_name,group_name`): parsing an import with every problem
//! found, by line number, and writing an export that re-imports unchanged.
//!
//! Cells are spreadsheet-safe both ways (`domain::spreadsheet`): a name such as `=HYPERLINK(…)`
//! is exported as `'=HYPERLINK(…)` and imported back without the apostrophe.
//!
//! Pure: bytes in, rows or problems out. The transaction that applies an import is in
//! `services::stores`.

use std::collections::HashMap;

use super::spreadsheet::{cell_text, safe_cell};
use super::stores::{Name, NameError, StoreCode};

pub const HEADER: [&str; 3] = ["store_code", "store_name", "group_name"];
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One valid row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvStore {
    pub line: u64,
    pub code: StoreCode,
    pub name: Name,
    /// `None` when `group_name` is empty: the store is in no group.
    pub group: Option<Name>,
}

/// One problem, on one line of the file (1 = the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    pub line: u64,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    Empty,
    NotUtf8,
    WrongHeader {
        found: String,
    },
    WrongColumnCount {
        found: usize,
    },
    Unreadable {
        detail: String,
    },
    BadCode {
        code: String,
    },
    BadStoreName(NameError),
    BadGroupName(NameError),
    DuplicateCode {
        code: String,
        first_line: u64,
    },
    /// Two rows give two stores the same name (shoppers see store names: they are unique).
    DuplicateName {
        name: String,
        first_line: u64,
    },
    /// The name belongs to a store the file leaves alone (`code`), or, when `code` is `None`, to
    /// a store created while the file was being applied.
    NameInUse {
        name: String,
        code: Option<String>,
    },
    TwoGroups {
        code: String,
        first_line: u64,
        first_group: String,
        group: String,
    },
}

impl CsvProblem {
    /// The problem for a person, in Traditional Chinese.
    pub fn zh(&self) -> String {
        let line = self.line;
        match &self.kind {
            ProblemKind::Empty => {
                "檔案是空的：第一行必須是標題 store_code,store_name,group_name".to_owned()
            }
            ProblemKind::NotUtf8 => {
                format!("第 {line} 行：不是 UTF-8 編碼（請以「CSV UTF-8」格式另存）")
            }
            ProblemKind::WrongHeader { found } => format!(
                "第 {line} 行：標題必須是 store_code,store_name,group_name，檔案中是「{found}」"
            ),
            ProblemKind::WrongColumnCount { found } => {
                format!("第 {line} 行：應有 3 欄，實際有 {found} 欄")
            }
            ProblemKind::Unreadable { detail } => format!("第 {line} 行：無法讀取（{detail}）"),
            ProblemKind::BadCode { code } => {
                format!("第 {line} 行：門市代碼「{code}」不正確（2–20 個英文字母、數字、- 或 _）")
            }
            ProblemKind::BadStoreName(err) => format!("第 {line} 行：門市名稱{}", zh_name(*err)),
            ProblemKind::BadGroupName(err) => format!("第 {line} 行：群組名稱{}", zh_name(*err)),
            ProblemKind::DuplicateCode { code, first_line } => {
                format!("第 {line} 行：門市代碼 {code} 重複（第 {first_line} 行已出現）")
            }
            ProblemKind::DuplicateName { name, first_line } => format!(
                "第 {line} 行：門市名稱「{name}」重複（第 {first_line} 行已出現）；門市名稱不可重複"
            ),
            ProblemKind::NameInUse {
                name,
                code: Some(code),
            } => format!("第 {line} 行：門市名稱「{name}」已由門市 {code} 使用；門市名稱不可重複"),
            ProblemKind::NameInUse { name, code: None } => {
                format!("第 {line} 行：門市名稱「{name}」已有其他門市使用；門市名稱不可重複")
            }
            ProblemKind::TwoGroups {
                code,
                first_line,
                first_group,
                group,
            } => format!(
                "第 {line} 行：門市 {code} 被列在兩個群組（第 {first_line} 行是「{first_group}」，這一行是「{group}」）；一間門市只能屬於一個群組"
            ),
        }
    }

    /// The problem in English.
    pub fn en(&self) -> String {
        let line = self.line;
        match &self.kind {
            ProblemKind::Empty => {
                "the file is empty: the first line must be the header store_code,store_name,group_name".to_owned()
            }
            ProblemKind::NotUtf8 => format!("line {line}: not UTF-8 (save as \"CSV UTF-8\")"),
            ProblemKind::WrongHeader { found } => format!(
                "line {line}: the header must be store_code,store_name,group_name, found \"{found}\""
            ),
            ProblemKind::WrongColumnCount { found } => {
                format!("line {line}: expected 3 columns, found {found}")
            }
            ProblemKind::Unreadable { detail } => format!("line {line}: unreadable ({detail})"),
            ProblemKind::BadCode { code } => format!(
                "line {line}: store code \"{code}\" is invalid (2-20 letters, digits, '-' or '_')"
            ),
            ProblemKind::BadStoreName(err) => format!("line {line}: store name: {err}"),
            ProblemKind::BadGroupName(err) => format!("line {line}: group name: {err}"),
            ProblemKind::DuplicateCode { code, first_line } => {
                format!("line {line}: store code {code} is repeated (first on line {first_line})")
            }
            ProblemKind::DuplicateName { name, first_line } => format!(
                "line {line}: store name \"{name}\" is repeated (first on line {first_line}); store names are unique"
            ),
            ProblemKind::NameInUse { name, code: Some(code) } => format!(
                "line {line}: store name \"{name}\" is already used by store {code}; store names are unique"
            ),
            ProblemKind::NameInUse { name, code: None } => format!(
                "line {line}: store name \"{name}\" is already used by another store; store names are unique"
            ),
            ProblemKind::TwoGroups { code, first_line, first_group, group } => format!(
                "line {line}: store {code} is listed in two groups (\"{first_group}\" on line {first_line}, \"{group}\" here); a store is in at most one group"
            ),
        }
    }
}

fn zh_name(err: NameError) -> &'static str {
    match err {
        NameError::Empty => "不可空白",
        NameError::TooLong => "超過 100 個字",
        NameError::ControlCharacters => "包含換行或其他控制字元",
    }
}

/// Parses a whole import. Either every row is valid, or every problem found is returned, in line
/// order, so the file can be fixed in one go.
pub fn parse(bytes: &[u8]) -> Result<Vec<CsvStore>, Vec<CsvProblem>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => return Err(lines_not_utf8(bytes)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut problems = Vec::new();

    let header = loop {
        match records.next() {
            None => {
                return Err(vec![CsvProblem {
                    line: 1,
                    kind: ProblemKind::Empty,
                }]);
            }
            Some(Ok(record)) => break record,
            Some(Err(err)) => problems.push(unreadable(&err)),
        }
    };
    let header_line = header.position().map_or(1, |p| p.line());
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found != HEADER {
        problems.push(CsvProblem {
            line: header_line,
            kind: ProblemKind::WrongHeader {
                found: found.join(","),
            },
        });
        // Without the right header the columns mean nothing; stop here.
        return Err(problems);
    }

    let mut rows = Vec::new();
    let mut seen: HashMap<StoreCode, (u64, Option<String>)> = HashMap::new();
    let mut names: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                problems.push(unreadable(&err));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != HEADER.len() {
            problems.push(CsvProblem {
                line,
                kind: ProblemKind::WrongColumnCount {
                    found: record.len(),
                },
            });
            continue;
        }
        let mut problem = |kind| problems.push(CsvProblem { line, kind });
        let [code, name, group] = [0, 1, 2].map(|column| cell_text(record[column].trim()));
        let code = StoreCode::parse(code).map_err(|_| {
            problem(ProblemKind::BadCode {
                code: code.to_owned(),
            })
        });
        let name = Name::parse(name).map_err(|err| problem(ProblemKind::BadStoreName(err)));
        let group = if group.is_empty() {
            Ok(None)
        } else {
            Name::parse(group)
                .map(Some)
                .map_err(|err| problem(ProblemKind::BadGroupName(err)))
        };
        if let Ok(code) = &code {
            let group_text = group
                .as_ref()
                .ok()
                .and_then(|g| g.as_ref())
                .map(|g| g.to_string());
            match seen.get(code) {
                Some((first_line, first_group)) => {
                    let kind = if group.is_ok() && *first_group != group_text {
                        ProblemKind::TwoGroups {
                            code: code.to_string(),
                            first_line: *first_line,
                            first_group: first_group
                                .clone()
                                .unwrap_or_else(|| "（無群組）".to_owned()),
                            group: group_text.unwrap_or_else(|| "（無群組）".to_owned()),
                        }
                    } else {
                        ProblemKind::DuplicateCode {
                            code: code.to_string(),
                            first_line: *first_line,
                        }
                    };
                    problems.push(CsvProblem { line, kind });
                    continue;
                }
                None => {
                    seen.insert(code.clone(), (line, group_text));
                }
            }
        }
        if let Ok(name) = &name {
            match names.get(name.as_str()) {
                Some(first_line) => {
                    problems.push(CsvProblem {
                        line,
                        kind: ProblemKind::DuplicateName {
                            name: name.to_string(),
                            first_line: *first_line,
                        },
                    });
                    continue;
                }
                None => {
                    names.insert(name.to_string(), line);
                }
            }
        }
        if let (Ok(code), Ok(name), Ok(group)) = (code, name, group) {
            rows.push(CsvStore {
                line,
                code,
                name,
                group,
            });
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

pub(crate) fn unreadable(err: &csv::Error) -> CsvProblem {
    CsvProblem {
        line: err.position().map_or(0, |p| p.line()),
        kind: ProblemKind::Unreadable {
            detail: err.to_string(),
        },
    }
}

pub(crate) fn lines_not_utf8(bytes: &[u8]) -> Vec<CsvProblem> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| std::str::from_utf8(line).is_err())
        .map(|(index, _)| CsvProblem {
            line: index as u64 + 1,
            kind: ProblemKind::NotUtf8,
        })
        .collect()
}

/// One store as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub code: String,
    pub name: String,
    pub group: Option<String>,
}

/// Writes the header and the rows in the import format (no BOM; callers add one for spreadsheets),
/// every cell spreadsheet-safe.
pub fn write(rows: &[ExportRow]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut write_all = || -> Result<Vec<u8>, csv::Error> {
        writer.write_record(HEADER)?;
        for row in rows {
            writer.write_record([
                safe_cell(&row.code),
                safe_cell(&row.name),
                safe_cell(row.group.as_deref().unwrap_or("")),
            ])?;
        }
        writer.flush()?;
        Ok(writer.get_ref().clone())
    };
    // Writing to memory cannot fail, and every field is valid UTF-8.
    let bytes = write_all().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(result: Result<Vec<CsvStore>, Vec<CsvProblem>>) -> Vec<(u64, ProblemKind)> {
        result
            .expect_err("the file is refused")
            .into_iter()
            .map(|p| (p.line, p.kind))
            .collect()
    }

    #[test]
    fn a_good_file_with_bom_parses() {
        let text =
            "\u{FEFF}store_code,store_name,group_name\ntp01,台北信義店,北區\nks01, 高雄店 ,\n";
        let rows = parse(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].code.as_str(), "TP01");
        assert_eq!(rows[0].group.as_ref().unwrap().as_str(), "北區");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].name.as_str(), "高雄店");
        assert_eq!(rows[1].group, None);
    }

    #[test]
    fn every_problem_is_listed_by_line() {
        let long = "店".repeat(101);
        let text = format!(
            "store_code,store_name,group_name\nA1,甲,北區\nB1,,北區\nC1,{long},\nA1,甲,南區\nD1,丁\nX,壞代碼,\nB2,乙,北區\nb2,乙,北區\n"
        );
        let found = kinds(parse(text.as_bytes()));
        assert_eq!(
            found,
            vec![
                (3, ProblemKind::BadStoreName(NameError::Empty)),
                (4, ProblemKind::BadStoreName(NameError::TooLong)),
                (
                    5,
                    ProblemKind::TwoGroups {
                        code: "A1".into(),
                        first_line: 2,
                        first_group: "北區".into(),
                        group: "南區".into()
                    }
                ),
                (6, ProblemKind::WrongColumnCount { found: 2 }),
                (7, ProblemKind::BadCode { code: "X".into() }),
                (
                    9,
                    ProblemKind::DuplicateCode {
                        code: "B2".into(),
                        first_line: 8
                    }
                ),
            ]
        );
    }

    #[test]
    fn a_store_name_twice_is_refused_by_line() {
        let text = "store_code,store_name,group_name\nA1,台北店,\nB1, 台北店 ,北區\nC1,高雄店,\nD1,台北店,\n";
        assert_eq!(
            kinds(parse(text.as_bytes())),
            vec![
                (
                    3,
                    ProblemKind::DuplicateName {
                        name: "台北店".into(),
                        first_line: 2
                    }
                ),
                (
                    5,
                    ProblemKind::DuplicateName {
                        name: "台北店".into(),
                        first_line: 2
                    }
                ),
            ]
        );
        let problem = CsvProblem {
            line: 3,
            kind: ProblemKind::DuplicateName {
                name: "台北店".into(),
                first_line: 2,
            },
        };
        assert!(
            problem
                .zh()
                .contains("第 3 行：門市名稱「台北店」重複（第 2 行已出現）")
        );
        assert!(
            problem
                .en()
                .contains("line 3: store name \"台北店\" is repeated")
        );
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let found = kinds(parse(b"code,name,group\nA1,a,\n"));
        assert_eq!(found.len(), 1);
        assert!(matches!(found[0], (1, ProblemKind::WrongHeader { .. })));
        assert!(matches!(kinds(parse(b""))[0], (1, ProblemKind::Empty)));
    }

    #[test]
    fn bad_encoding_names_the_lines() {
        let mut bytes = b"store_code,store_name,group_name\nA1,ok,\nB1,".to_vec();
        bytes.extend_from_slice(&[0xA5, 0x78, 0xA5, 0x5F]); // Big5 「台北」
        bytes.extend_from_slice(b",\n");
        assert_eq!(kinds(parse(&bytes)), vec![(3, ProblemKind::NotUtf8)]);
    }

    #[test]
    fn quoted_fields_and_line_breaks_inside_names() {
        let rows =
            parse("store_code,store_name,group_name\nA1,\"甲, 乙\",\"北區\"\n".as_bytes()).unwrap();
        assert_eq!(rows[0].name.as_str(), "甲, 乙");
        let found = kinds(parse(
            "store_code,store_name,group_name\nA1,\"甲\n乙\",\n".as_bytes(),
        ));
        assert_eq!(
            found,
            vec![(2, ProblemKind::BadStoreName(NameError::ControlCharacters))]
        );
    }

    #[test]
    fn export_reimports_unchanged() {
        let rows = vec![
            ExportRow {
                code: "A1".into(),
                name: "台北, \"信義\" 店".into(),
                group: Some("北區".into()),
            },
            ExportRow {
                code: "B2".into(),
                name: "<script>".into(),
                group: None,
            },
            ExportRow {
                code: "-C3".into(),
                name: "=HYPERLINK(\"https://evil.example\")".into(),
                group: Some("@南區".into()),
            },
            ExportRow {
                code: "D4".into(),
                name: "'=已有撇號".into(),
                group: Some("'一般".into()),
            },
        ];
        let text = write(&rows);
        assert!(
            text.contains("'-C3,\"'=HYPERLINK(\"\"https://evil.example\"\")\",'@南區\n"),
            "{text}"
        );
        assert!(text.contains("D4,''=已有撇號,'一般\n"), "{text}");
        let parsed = parse(write(&rows).as_bytes()).unwrap();
        let back: Vec<ExportRow> = parsed
            .into_iter()
            .map(|r| ExportRow {
                code: r.code.to_string(),
                name: r.name.into_string(),
                group: r.group.map(Name::into_string),
            })
            .collect();
        assert_eq!(back, rows);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn name() -> impl Strategy<Value = String> {
            // Printable text without leading/trailing spaces, as `Name::parse` keeps it.
            "[a-zA-Z0-9台北信義高雄店區,\"' <>&;=｜+@-]{1,40}"
                .prop_map(|s| s.trim().to_owned())
                .prop_filter("non-empty after trimming", |s| !s.is_empty())
        }

        proptest! {
            #[test]
            fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                let _ = parse(&bytes);
            }

            #[test]
            fn written_rows_parse_back(
                rows in proptest::collection::btree_map("[A-Z0-9_-]{2,20}", (name(), proptest::option::of(name())), 0..20)
                    .prop_filter("store names are unique", |rows| {
                        let names: std::collections::HashSet<_> = rows.values().map(|(name, _)| name).collect();
                        names.len() == rows.len()
                    })
            ) {
                let rows: Vec<ExportRow> = rows
                    .into_iter()
                    .map(|(code, (name, group))| ExportRow { code, name, group })
                    .collect();
                let parsed = parse(write(&rows).as_bytes()).expect("valid rows parse");
                prop_assert_eq!(parsed.len(), rows.len());
                for (row, back) in rows.iter().zip(parsed) {
                    prop_assert_eq!(back.code.as_str(), row.code.as_str());
                    prop_assert_eq!(back.name.as_str(), row.name.as_str());
                    prop_assert_eq!(back.group.as_ref().map(Name::as_str), row.group.as_deref());
                }
            }
        }
    }
}
