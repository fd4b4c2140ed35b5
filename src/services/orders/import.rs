//! The POS import (`store-assistant orders import FILE`): all or nothing. Every line is checked
//! first (the file's own rules in `domain::pos_csv`, then the store codes against the database);
//! one bad line refuses the whole file with every problem listed by line. A good file is applied
//! in one transaction, each line as an in-store order of the source `pos`, so importing the same
//! file again adds nothing (each order is already there) and a later export with refunds books
//! only the refunds.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

use super::{Booking, ChangedAmount, OrderError, ingest_in, retrying};
use crate::db::entities::enums::SalesChannel;
use crate::db::entities::stores;
use crate::domain::orders::{CustomerRef, EntryStore, OrderInput, OrderSource, POS_SOURCE};
use crate::domain::pos_csv::{self, LineProblem, PosRow};
use crate::services::audit::{self, Actor, Change};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    /// Lines whose order was imported before (refunds they state may still have been booked).
    pub already_imported: usize,
    pub refunds_booked: usize,
    /// New orders no store was credited for (unknown member, not bound, before the binding, …).
    pub unattributed: usize,
}

/// Applies a POS file; `OrderError::FileRejected` lists every problem, and then nothing changed.
pub async fn import_csv(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: &[u8],
) -> Result<ImportSummary, OrderError> {
    actor.scope.require_hq()?;
    let rows = pos_csv::parse(bytes, Utc::now()).map_err(OrderError::FileRejected)?;
    retrying(db, async |txn| {
        let store_ids: HashMap<String, i32> = stores::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|s| (s.code, s.id))
            .collect();
        let unknown: Vec<LineProblem> = rows
            .iter()
            .filter_map(|row| {
                let code = row.store_code.as_ref()?;
                (!store_ids.contains_key(code.as_str())).then(|| {
                    LineProblem::new(
                        row.line,
                        format!("沒有門市代碼為 {code} 的門市"),
                        format!("no store has the code {code}"),
                    )
                })
            })
            .collect();
        if !unknown.is_empty() {
            return Err(OrderError::FileRejected(unknown));
        }
        let booking = Booking::load(txn, actor.staff_id, ChangedAmount::Refuse).await?;
        let mut summary = ImportSummary::default();
        let mut problems = Vec::new();
        for row in &rows {
            let entry_store = row
                .store_code
                .as_ref()
                .and_then(|code| store_ids.get(code.as_str()))
                .map(|id| EntryStore::Id(*id));
            match ingest_in(txn, &booking, &order_of(row, entry_store)).await {
                Ok(recorded) => {
                    if recorded.created {
                        summary.created += 1;
                        if recorded.order.sale.credited_store_id.is_none() {
                            summary.unattributed += 1;
                        }
                    } else {
                        summary.already_imported += 1;
                    }
                    summary.refunds_booked += recorded.refunds_booked;
                }
                Err(OrderError::DifferentOrder { existing }) => problems.push(LineProblem::new(
                    row.line,
                    format!(
                        "訂單 {} 先前已匯入，金額為 NT${}，與這一行不同",
                        row.order_id.as_str(),
                        existing.sale.amount
                    ),
                    format!(
                        "order {} was imported before with the amount {}, not this line's",
                        row.order_id.as_str(),
                        existing.sale.amount
                    ),
                )),
                Err(err) => return Err(err),
            }
        }
        if !problems.is_empty() {
            return Err(OrderError::FileRejected(problems));
        }
        audit::record(
            txn,
            actor,
            Change::new("orders.import", "orders", POS_SOURCE)
                .after(json!({
                    "lines": rows.len(),
                    "created": summary.created,
                    "already_imported": summary.already_imported,
                    "refunds_booked": summary.refunds_booked,
                    "unattributed": summary.unattributed,
                }))
                .reason("POS 匯入 (POS import)"),
        )
        .await?;
        Ok(summary)
    })
    .await
}

fn order_of(row: &PosRow, entry_store: Option<EntryStore>) -> OrderInput {
    OrderInput {
        source: OrderSource::any(POS_SOURCE).expect("`pos` is a valid source"),
        external_id: row.order_id.clone(),
        channel: SalesChannel::InStore,
        amount: row.amount,
        ordered_at: row.ordered_at,
        customer: CustomerRef {
            member_id: row.member_id,
            line_user_id: None,
            phone: row.phone.clone(),
        },
        status: row.status,
        refunds: Vec::new(),
        entry_store,
        receipt_no: row.receipt_no.clone(),
        note: row.note.clone(),
    }
}
