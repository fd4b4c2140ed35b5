//! CSV cells that a spreadsheet opens as text, never as a formula ("CSV injection"), and the way
//! back on import, so that export → import gives back exactly the names that went out.
//!
//! The rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
//! Excel, Numbers and Google Sheets; such a cell is written with a leading `'`, which spreadsheets
//! read as "this is text". So that the way back is exact, text that already starts with
//! apostrophes followed by one of those characters gets one more, and an import takes one off.

/// Characters that make a spreadsheet treat a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Does the text start with `'`s (possibly none) followed by a formula character?
fn needs_apostrophe(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// The cell to export: `=HYPERLINK(…)` becomes `'=HYPERLINK(…)`; other text is unchanged.
pub fn safe_cell(text: &str) -> String {
    if needs_apostrophe(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The text of an imported cell: the inverse of [`safe_cell`]. `'-折扣店` is `-折扣店`; an
/// apostrophe before anything else (`'一般`) is part of the text.
pub fn cell_text(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_cells_get_an_apostrophe() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(safe_cell("+886"), "'+886");
        assert_eq!(safe_cell("-折扣店"), "'-折扣店");
        assert_eq!(safe_cell("\tx"), "'\tx");
        assert_eq!(safe_cell("\rx"), "'\rx");
        assert_eq!(safe_cell("小明"), "小明");
        assert_eq!(safe_cell("a=b"), "a=b");
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn apostrophes_before_a_formula_get_one_more_and_others_none() {
        assert_eq!(safe_cell("'=x"), "''=x");
        assert_eq!(safe_cell("''-x"), "'''-x");
        assert_eq!(safe_cell("'一般"), "'一般");
        assert_eq!(safe_cell("'"), "'");
    }

    #[test]
    fn import_takes_off_exactly_the_apostrophe_export_added() {
        assert_eq!(cell_text("'=HYPERLINK(\"x\")"), "=HYPERLINK(\"x\")");
        assert_eq!(cell_text("'-折扣店"), "-折扣店");
        assert_eq!(cell_text("''=x"), "'=x");
        assert_eq!(cell_text("'一般"), "'一般");
        assert_eq!(cell_text("-折扣店"), "-折扣店");
        assert_eq!(cell_text("'"), "'");
    }

    proptest! {
        #[test]
        fn export_then_import_is_the_identity(text in "['=+@\\-\t\ra-z台北 ]{0,12}") {
            let exported = safe_cell(&text);
            prop_assert_eq!(cell_text(&exported), text.as_str());
        }

        #[test]
        fn an_exported_cell_never_starts_a_formula(text in "['=+@\\-\t\ra-z台北 ]{0,12}") {
            prop_assert!(!safe_cell(&text).starts_with(FORMULA_STARTS));
        }
    }
}
