//! At most one active (not revoked) QR token per store and one per clerk, as partial unique
//! indexes, so two concurrent "make sure this store has a token" calls cannot both create one.
//! Any duplicates an older version left are revoked first (the newest of each stays active).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const STORE_INDEX: &str = "uq_qr_tokens_active_store";
const CLERK_INDEX: &str = "uq_qr_tokens_active_clerk";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // `revoked_at = created_at`: a timestamp already stored in this backend's own format.
        db.execute_unprepared(
            "UPDATE qr_tokens SET revoked_at = created_at \
             WHERE revoked_at IS NULL AND clerk_id IS NULL AND id NOT IN ( \
               SELECT MAX(id) FROM qr_tokens \
               WHERE revoked_at IS NULL AND clerk_id IS NULL GROUP BY store_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE qr_tokens SET revoked_at = created_at \
             WHERE revoked_at IS NULL AND clerk_id IS NOT NULL AND id NOT IN ( \
               SELECT MAX(id) FROM qr_tokens \
               WHERE revoked_at IS NULL AND clerk_id IS NOT NULL GROUP BY clerk_id)",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name(STORE_INDEX)
                    .table(QrTokens::Table)
                    .col(QrTokens::StoreId)
                    .unique()
                    .and_where(Expr::col(QrTokens::RevokedAt).is_null())
                    .and_where(Expr::col(QrTokens::ClerkId).is_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(CLERK_INDEX)
                    .table(QrTokens::Table)
                    .col(QrTokens::ClerkId)
                    .unique()
                    .and_where(Expr::col(QrTokens::RevokedAt).is_null())
                    .and_where(Expr::col(QrTokens::ClerkId).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [STORE_INDEX, CLERK_INDEX] {
            manager
                .drop_index(Index::drop().name(name).table(QrTokens::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum QrTokens {
    Table,
    StoreId,
    ClerkId,
    RevokedAt,
}
