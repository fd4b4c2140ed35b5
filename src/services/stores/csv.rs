//! The stores CSV: export in the import format, and the all-or-nothing import.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait,
};

use crate::db::entities::{store_groups, stores};
use crate::domain::store_csv::{self, CsvProblem, CsvStore, ExportRow, ProblemKind};
use crate::domain::stores::Name;
use crate::services::audit::{self, Actor, Change};
use crate::services::error::Error;

use super::groups::insert_group;
use super::{is_store_name_taken, list_stores, store_json};

/// Every store in the import format, by code.
pub async fn export_csv(db: &impl ConnectionTrait, actor: &Actor) -> Result<String, Error> {
    actor.scope.require_hq()?;
    let rows: Vec<ExportRow> = list_stores(db, actor)
        .await?
        .into_iter()
        .map(|s| ExportRow {
            code: s.code,
            name: s.name,
            group: s.group_name,
        })
        .collect();
    Ok(store_csv::write(&rows))
}

/// What an import changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub groups_created: Vec<String>,
    /// Stores that changed group: (code, from, to).
    pub moves: Vec<(String, Option<String>, Option<String>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has problems; nothing was changed.
    #[error("the file was refused")]
    Rejected(Vec<CsvProblem>),
    #[error(transparent)]
    Service(#[from] Error),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(err: sea_orm::DbErr) -> Self {
        ImportError::Service(err.into())
    }
}

/// A store name taken between the import's check and its write (a store created meanwhile)
/// refuses the file like a name the check found.
fn import_write_error(err: DbErr, row: &CsvStore) -> ImportError {
    if is_store_name_taken(&err) {
        ImportError::Rejected(vec![CsvProblem {
            line: row.line,
            kind: ProblemKind::NameInUse {
                name: row.name.to_string(),
                code: None,
            },
        }])
    } else {
        err.into()
    }
}

/// Applies a CSV file all or nothing: any problem refuses the whole file (with every problem by
/// line number); otherwise one transaction creates missing groups and stores and updates the
/// names and groups of existing store codes. Stores not in the file are left alone.
pub async fn import_csv(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: &[u8],
) -> Result<ImportSummary, ImportError> {
    actor.scope.require_hq().map_err(Error::from)?;
    let rows = store_csv::parse(bytes).map_err(ImportError::Rejected)?;
    let reason = "CSV 匯入 (CSV import)";
    let txn = db.begin().await?;
    let mut group_ids: HashMap<String, i32> = store_groups::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|g| (g.name, g.id))
        .collect();
    let mut existing: HashMap<String, stores::Model> = stores::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    // Names are unique: a row may not take the name of a store the file leaves alone. Checked
    // here to name every such line; the unique index still decides if a store is created meanwhile.
    let in_file: HashSet<&str> = rows.iter().map(|row| row.code.as_str()).collect();
    let kept_names: HashMap<&str, &str> = existing
        .values()
        .filter(|store| !in_file.contains(store.code.as_str()))
        .map(|store| (store.name.as_str(), store.code.as_str()))
        .collect();
    let clashes: Vec<CsvProblem> = rows
        .iter()
        .filter_map(|row| {
            kept_names.get(row.name.as_str()).map(|code| CsvProblem {
                line: row.line,
                kind: ProblemKind::NameInUse {
                    name: row.name.to_string(),
                    code: Some((*code).to_owned()),
                },
            })
        })
        .collect();
    if !clashes.is_empty() {
        return Err(ImportError::Rejected(clashes));
    }
    // Stores of the file that change name let go of their old one first, so a file may swap two
    // stores' names. The placeholder (a control character and the unique code) is no name a person
    // can enter, and it never outlives this transaction.
    for row in &rows {
        if let Some(store) = existing.get(row.code.as_str())
            && store.name != row.name.as_str()
        {
            stores::Entity::update_many()
                .col_expr(
                    stores::Column::Name,
                    Expr::value(format!("\u{1}{}", store.code)),
                )
                .filter(stores::Column::Id.eq(store.id))
                .exec(&txn)
                .await?;
        }
    }
    let names_by_id: HashMap<i32, String> = group_ids
        .iter()
        .map(|(name, id)| (*id, name.clone()))
        .collect();
    let mut summary = ImportSummary::default();
    let now = Utc::now();
    for row in rows {
        let group_id = match &row.group {
            None => None,
            Some(name) => match group_ids.get(name.as_str()) {
                Some(id) => Some(*id),
                None => {
                    let group = insert_group(&txn, actor, name, Some(reason)).await?;
                    group_ids.insert(group.name.clone(), group.id);
                    summary.groups_created.push(group.name);
                    Some(group.id)
                }
            },
        };
        let group_name = row.group.as_ref().map(Name::as_str);
        match existing.remove(row.code.as_str()) {
            Some(before) => {
                if before.name == row.name.as_str() && before.group_id == group_id {
                    summary.unchanged += 1;
                    continue;
                }
                let from = before.group_id.and_then(|id| names_by_id.get(&id).cloned());
                if before.group_id != group_id {
                    summary.moves.push((
                        before.code.clone(),
                        from.clone(),
                        group_name.map(str::to_owned),
                    ));
                }
                let mut active = before.clone().into_active_model();
                active.name = Set(row.name.to_string());
                active.group_id = Set(group_id);
                active.updated_at = Set(now);
                let after = active
                    .update(&txn)
                    .await
                    .map_err(|err| import_write_error(err, &row))?;
                audit::record(
                    &txn,
                    actor,
                    Change::new("store.update", "store", after.id)
                        .store(Some(after.id))
                        .before(store_json(&before, from.as_deref()))
                        .after(store_json(&after, group_name))
                        .reason(reason),
                )
                .await?;
                summary.updated += 1;
            }
            None => {
                let store = stores::ActiveModel {
                    code: Set(row.code.to_string()),
                    name: Set(row.name.to_string()),
                    group_id: Set(group_id),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .map_err(|err| import_write_error(err, &row))?;
                audit::record(
                    &txn,
                    actor,
                    Change::new("store.create", "store", store.id)
                        .store(Some(store.id))
                        .after(store_json(&store, group_name))
                        .reason(reason),
                )
                .await?;
                summary.created += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(summary)
}
