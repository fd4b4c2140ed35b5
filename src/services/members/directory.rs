//! Names of stores, groups and clerks by id, loaded once per request: member pages, binding
//! changes and reports show many rows that point at the same few stores and clerks.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::db::entities::{staff_accounts, store_groups, stores};
use crate::domain::access::Scope;
use crate::domain::stores::binding_label;

use super::{clerk_label, is_clerk};

pub(crate) struct Directory {
    pub stores: HashMap<i32, stores::Model>,
    pub groups: HashMap<i32, String>,
    pub staff: HashMap<i32, staff_accounts::Model>,
}

impl Directory {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        Ok(Self {
            stores: stores::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect(),
            groups: store_groups::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|g| (g.id, g.name))
                .collect(),
            staff: staff_accounts::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect(),
        })
    }

    pub fn store_code(&self, store_id: i32) -> String {
        self.stores
            .get(&store_id)
            .map(|s| s.code.clone())
            .unwrap_or_else(|| format!("#{store_id}"))
    }

    pub fn store_name(&self, store_id: i32) -> String {
        self.stores
            .get(&store_id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("門市 #{store_id}"))
    }

    /// "北區｜台北信義店", as members read their binding.
    pub fn store_label(&self, store_id: i32) -> String {
        match self.stores.get(&store_id) {
            Some(store) => binding_label(self.group_of(store_id).as_deref(), &store.name),
            None => format!("門市 #{store_id}"),
        }
    }

    pub fn group_of(&self, store_id: i32) -> Option<String> {
        self.stores
            .get(&store_id)
            .and_then(|s| s.group_id)
            .and_then(|g| self.groups.get(&g).cloned())
    }

    pub fn clerk(&self, staff_id: i32) -> Option<String> {
        self.staff
            .get(&staff_id)
            .and_then(|s| clerk_label(Some(&s.display_name), Some(&s.username)))
    }

    /// "小美 (TP01)": a clerk with their store, for menus and change summaries.
    pub fn clerk_with_store(&self, staff_id: i32) -> String {
        match self.staff.get(&staff_id) {
            Some(account) => {
                let name = self.clerk(staff_id).unwrap_or_default();
                match account.store_id {
                    Some(store_id) => format!("{name} ({})", self.store_code(store_id)),
                    None => name,
                }
            }
            None => format!("人員 #{staff_id}"),
        }
    }

    /// The stores the scope reaches, by code.
    pub fn stores_in(&self, scope: Scope) -> Vec<&stores::Model> {
        let mut list: Vec<&stores::Model> = self
            .stores
            .values()
            .filter(|s| scope.can_view_store(s.id))
            .collect();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        list
    }

    pub fn groups_sorted(&self) -> Vec<(i32, String)> {
        let mut list: Vec<(i32, String)> =
            self.groups.iter().map(|(id, n)| (*id, n.clone())).collect();
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    }

    /// The clerks (store staff accounts) the scope reaches: (id, "TP01 · 小美"), by store code.
    pub fn clerks_in(&self, scope: Scope) -> Vec<(i32, String)> {
        let mut list: Vec<(String, i32, String)> = self
            .staff
            .values()
            .filter(|s| is_clerk(s))
            .filter(|s| s.store_id.is_some_and(|id| scope.can_view_store(id)))
            .map(|s| {
                let code = self.store_code(s.store_id.unwrap_or_default());
                let name = self.clerk(s.id).unwrap_or_default();
                let inactive = if s.active { "" } else { "（已停用）" };
                (
                    format!("{code} {name}"),
                    s.id,
                    format!("{code} · {name}{inactive}"),
                )
            })
            .collect();
        list.sort();
        list.into_iter().map(|(_, id, label)| (id, label)).collect()
    }
}
