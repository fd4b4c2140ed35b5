//! One row per member moved by an HQ binding change (a rebinding, a bulk reassignment or its
//! undo): where the member's binding was before and where the change put it. `binding_changes`
//! holds the batch (who, when, why); these rows let an undo restore each member's own previous
//! store and clerk, which differ member by member when a whole store is reassigned.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BindingChangeMembers::Table)
                    .col(pk_auto(BindingChangeMembers::Id))
                    .col(integer(BindingChangeMembers::ChangeId))
                    .col(integer(BindingChangeMembers::MemberId))
                    // Plain ids (history survives deletions).
                    .col(integer(BindingChangeMembers::FromStoreId))
                    .col(integer_null(BindingChangeMembers::FromClerkId))
                    .col(integer(BindingChangeMembers::ToStoreId))
                    .col(integer_null(BindingChangeMembers::ToClerkId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_binding_change_members_change_id")
                            .from(BindingChangeMembers::Table, BindingChangeMembers::ChangeId)
                            .to(BindingChanges::Table, BindingChanges::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_binding_change_members_member_id")
                            .from(BindingChangeMembers::Table, BindingChangeMembers::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A member appears at most once in a change.
        manager
            .create_index(
                Index::create()
                    .name("idx_binding_change_members_change_member")
                    .table(BindingChangeMembers::Table)
                    .col(BindingChangeMembers::ChangeId)
                    .col(BindingChangeMembers::MemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_binding_change_members_member_id")
                    .table(BindingChangeMembers::Table)
                    .col(BindingChangeMembers::MemberId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BindingChangeMembers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum BindingChangeMembers {
    Table,
    Id,
    ChangeId,
    MemberId,
    FromStoreId,
    FromClerkId,
    ToStoreId,
    ToClerkId,
}

#[derive(DeriveIden)]
enum BindingChanges {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}
