//! The dependency direction that `src/lib.rs` states, checked on the source: a module may name
//! (`crate::x`) only the modules below it, and the inner layers stay free of web and SQL crates.
//! A new arrow that points the wrong way fails here with the file and line that drew it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which of our top-level modules each module may use. Anything not listed is refused.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("config", &["domain"]),
    ("db", &["domain", "config"]),
    ("line", &["domain", "config"]),
    ("sms", &["domain", "config"]),
    ("qr", &["domain"]),
    ("webshops", &["domain"]),
    ("metrics", &["line"]),
    (
        "services",
        &[
            "domain", "config", "db", "line", "sms", "qr", "webshops", "metrics",
        ],
    ),
    ("http", &["domain", "config", "db", "services", "webshops"]),
    (
        "emulator",
        &["domain", "config", "line", "sms", "services", "http"],
    ),
    ("telemetry", &["domain", "config", "http"]),
    (
        "startup",
        &[
            "domain",
            "config",
            "db",
            "line",
            "sms",
            "metrics",
            "services",
            "http",
            "emulator",
            "telemetry",
        ],
    ),
    (
        "cli",
        &["domain", "config", "db", "metrics", "services", "startup"],
    ),
];

/// Outside crates a layer must not touch: the inner layers know nothing of the web, and `domain`
/// nothing of SQL (beyond the derives that let sea-orm store its enums).
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    (
        "domain",
        &["actix_web", "askama", "reqwest", "sqlx", "tokio"],
    ),
    ("db", &["actix_web", "askama", "reqwest"]),
    ("services", &["actix_web", "askama"]),
    ("line", &["actix_web", "askama", "sea_orm"]),
    ("sms", &["actix_web", "askama", "sea_orm"]),
    ("webshops", &["actix_web", "askama", "sea_orm"]),
];

/// `domain` may use sea-orm only for these (value derives on its enums and newtypes).
const DOMAIN_SEA_ORM: &[&str] = &["DeriveActiveEnum", "DeriveValueType", "EnumIter"];

#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    what: String,
}

/// The arrows one file draws, as (line, our module or outside crate).
fn references(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                for name in inner.split(',') {
                    let name = name.trim().split("::").next().unwrap_or_default().trim();
                    if !name.is_empty() {
                        found.push((index + 1, name.to_owned()));
                    }
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((index + 1, name));
            }
            rest = after;
        }
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            if let Some((krate, _)) = word.split_once("::")
                && !["", "crate", "self", "super"].contains(&krate)
            {
                found.push((index + 1, format!("extern:{krate}:{word}")));
            }
        }
    }
    found
}

fn check_file(module: &str, file: &str, source: &str) -> Vec<Violation> {
    let allowed: BTreeMap<_, _> = ALLOWED.iter().copied().collect();
    let forbidden: BTreeMap<_, _> = FORBIDDEN_CRATES.iter().copied().collect();
    let Some(may_use) = allowed.get(module) else {
        return vec![Violation {
            file: file.to_owned(),
            line: 0,
            what: format!("module `{module}` has no entry in ALLOWED: say where it sits"),
        }];
    };
    let mut violations = Vec::new();
    if module == "domain" {
        for (index, line) in source.lines().enumerate() {
            let Some((_, group)) = line.split_once("sea_orm::{") else {
                continue;
            };
            let inner = group.split('}').next().unwrap_or_default();
            for name in inner.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if !DOMAIN_SEA_ORM.contains(&name) {
                    violations.push(Violation {
                        file: file.to_owned(),
                        line: index + 1,
                        what: format!("`domain` must not use `sea_orm::{name}`"),
                    });
                }
            }
        }
    }
    for (line, name) in references(source) {
        if let Some(external) = name.strip_prefix("extern:") {
            let (krate, path) = external.split_once(':').unwrap_or((external, ""));
            let refused = forbidden
                .get(module)
                .is_some_and(|crates| crates.contains(&krate));
            let sql_in_domain = module == "domain"
                && krate == "sea_orm"
                && !DOMAIN_SEA_ORM.iter().any(|allowed| path.ends_with(allowed))
                && !path.is_empty()
                && path != "sea_orm::";
            if refused || sql_in_domain {
                violations.push(Violation {
                    file: file.to_owned(),
                    line,
                    what: format!("`{module}` must not use `{path}`"),
                });
            }
            continue;
        }
        if name == module || !ALLOWED.iter().any(|(known, _)| *known == name) {
            continue;
        }
        if !may_use.contains(&name.as_str()) {
            violations.push(Violation {
                file: file.to_owned(),
                line,
                what: format!("`{module}` must not depend on `{name}`"),
            });
        }
    }
    violations
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_arrow_points_the_stated_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let source = std::fs::read_to_string(path).unwrap();
        violations.extend(check_file(
            &module,
            &relative.display().to_string(),
            &source,
        ));
    }
    assert!(
        violations.is_empty(),
        "dependencies against the direction in lib.rs:\n{}",
        violations
            .iter()
            .map(|v| format!("  src/{}:{}: {}", v.file, v.line, v.what))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(files.len() > 50, "the source tree was not found");
}

#[test]
fn the_check_catches_arrows_that_point_back() {
    let service = "use crate::http::error::AppError;\nuse crate::db::entities::stores;\n";
    assert_eq!(
        check_file("services", "services/x.rs", service),
        vec![Violation {
            file: "services/x.rs".into(),
            line: 1,
            what: "`services` must not depend on `http`".into(),
        }]
    );
    let grouped = "use crate::{db, startup};\n";
    assert_eq!(check_file("services", "services/y.rs", grouped).len(), 1);
    let domain =
        "use crate::db::entities::enums::Route;\nuse sea_orm::{DeriveActiveEnum, EnumIter};\n";
    assert_eq!(check_file("domain", "domain/z.rs", domain).len(), 1);
    let web = "use actix_web::HttpResponse;\n";
    assert_eq!(check_file("services", "services/w.rs", web).len(), 1);
    let sql = "fn f(db: &sea_orm::DatabaseConnection) {}\n";
    assert_eq!(check_file("domain", "domain/v.rs", sql).len(), 1);
    let grouped_sql = "use sea_orm::{EnumIter, DatabaseConnection};\n";
    assert_eq!(check_file("domain", "domain/t.rs", grouped_sql).len(), 1);
    let commented = "// crate::http is named in a comment only\n";
    assert!(check_file("services", "services/u.rs", commented).is_empty());
}
