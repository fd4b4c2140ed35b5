use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MemberConflicts::Table)
                    .col(pk_auto(MemberConflicts::Id))
                    .col(text(MemberConflicts::LineUserId))
                    .col(text(MemberConflicts::PhoneE164))
                    .col(integer(MemberConflicts::LineMemberId))
                    .col(integer(MemberConflicts::PhoneMemberId))
                    .col(text_null(MemberConflicts::JourneyId))
                    .col(text(MemberConflicts::Status).default("open").check(
                        Expr::col(MemberConflicts::Status).is_in(["open", "merged", "kept_apart"]),
                    ))
                    .col(timestamp_with_time_zone(MemberConflicts::CreatedAt))
                    .col(timestamp_with_time_zone_null(MemberConflicts::ResolvedAt))
                    .col(integer_null(MemberConflicts::ResolvedByStaffId))
                    .col(text_null(MemberConflicts::ResolutionNote))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_conflicts_line_member_id")
                            .from(MemberConflicts::Table, MemberConflicts::LineMemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_conflicts_phone_member_id")
                            .from(MemberConflicts::Table, MemberConflicts::PhoneMemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_conflicts_resolved_by_staff_id")
                            .from(MemberConflicts::Table, MemberConflicts::ResolvedByStaffId)
                            .to(StaffAccounts::Table, StaffAccounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The same pair of members is one conflict, however often the shopper retries.
        manager
            .create_index(
                Index::create()
                    .name("idx_member_conflicts_pair")
                    .table(MemberConflicts::Table)
                    .col(MemberConflicts::LineMemberId)
                    .col(MemberConflicts::PhoneMemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_member_conflicts_status")
                    .table(MemberConflicts::Table)
                    .col(MemberConflicts::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberConflicts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MemberConflicts {
    Table,
    Id,
    LineUserId,
    #[sea_orm(iden = "phone_e164")]
    PhoneE164,
    LineMemberId,
    PhoneMemberId,
    JourneyId,
    Status,
    CreatedAt,
    ResolvedAt,
    ResolvedByStaffId,
    ResolutionNote,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
}
