//! Store names are unique: shoppers see the name as their binding ("您已綁定：台北信義店"), and web
//! shops such as CYBERBIZ tell stores apart by name. The deployment is one merchant, so the index
//! covers the whole table. Names are stored trimmed (the application trims every name it writes),
//! so the index compares trimmed names.
//!
//! An older database may hold the same name twice, or a name with spaces around it. Before the
//! index is made, names are trimmed and repeats renamed deterministically: the oldest store (lowest
//! id) keeps the name, each later one gets " (2)", " (3)", … — the first number that no other
//! store uses — so the upgrade never fails on existing data.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_stores_name";
/// The application's longest name; a suffix shortens the name rather than exceed it.
const MAX_NAME_CHARS: usize = 100;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, name FROM stores ORDER BY id",
            ))
            .await?;
        let stores = rows
            .iter()
            .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "name")?)))
            .collect::<Result<Vec<(i32, String)>, DbErr>>()?;
        for (id, name) in renames(&stores) {
            db.execute(
                &Query::update()
                    .table(Stores::Table)
                    .value(Stores::Name, name)
                    .and_where(Expr::col(Stores::Id).eq(id))
                    .to_owned(),
            )
            .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Stores::Table)
                    .col(Stores::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Stores::Table).to_owned())
            .await
    }
}

/// The stores (in id order) whose name must change, with their new names: trimmed, and repeats
/// numbered.
fn renames(stores: &[(i32, String)]) -> Vec<(i32, String)> {
    // Every name's first holder keeps it, so no numbered name can take a name that exists.
    let mut taken = HashSet::new();
    let keepers: HashSet<i32> = stores
        .iter()
        .filter(|(_, name)| taken.insert(name.trim().to_owned()))
        .map(|(id, _)| *id)
        .collect();
    let mut renames = Vec::new();
    for (id, name) in stores {
        let trimmed = name.trim();
        if keepers.contains(id) {
            if trimmed != name {
                renames.push((*id, trimmed.to_owned()));
            }
            continue;
        }
        let numbered = (2..)
            .map(|n| numbered(trimmed, n))
            .find(|candidate| taken.insert(candidate.clone()))
            .expect("some number is free");
        renames.push((*id, numbered));
    }
    renames
}

/// "台北店 (2)", the name shortened if the suffix would make it longer than the longest name.
fn numbered(name: &str, n: u32) -> String {
    let suffix = format!(" ({n})");
    let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(room).collect();
    format!("{}{suffix}", base.trim_end())
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
    Name,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stores(names: &[&str]) -> Vec<(i32, String)> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| (i as i32 + 1, (*name).to_owned()))
            .collect()
    }

    #[test]
    fn the_oldest_keeps_the_name_and_repeats_are_numbered() {
        let renamed = renames(&stores(&[
            "台北店",
            "高雄店",
            "台北店",
            " 台北店 ",
            "高雄店",
        ]));
        assert_eq!(
            renamed,
            vec![
                (3, "台北店 (2)".to_owned()),
                (4, "台北店 (3)".to_owned()),
                (5, "高雄店 (2)".to_owned()),
            ]
        );
    }

    #[test]
    fn a_number_another_store_already_uses_is_skipped() {
        let renamed = renames(&stores(&["台北店", "台北店", "台北店 (2)"]));
        assert_eq!(renamed, vec![(2, "台北店 (3)".to_owned())]);
    }

    #[test]
    fn names_are_trimmed_and_unique_names_stay() {
        assert_eq!(
            renames(&stores(&["  台中店", "台南店"])),
            vec![(1, "台中店".to_owned())]
        );
        assert!(renames(&stores(&["a", "b", "c"])).is_empty());
    }

    #[test]
    fn a_long_name_is_shortened_to_fit_its_number() {
        let long = "店".repeat(MAX_NAME_CHARS);
        let renamed = renames(&stores(&[&long, &long]));
        let (id, name) = &renamed[0];
        assert_eq!(*id, 2);
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with("店 (2)"));
    }
}
