//! An issued invoice or credit note, kept as issued.

use sea_orm::entity::prelude::*;

/// An `invoices` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `INV-2026-00001` or `CN-2026-00001`, unique.
    pub number: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// The user billed, or `unallocated`.
    pub user_key: String,
    /// Their name when it was issued.
    pub user_name: String,
    /// `YYYY-MM`.
    pub period: String,
    /// The client whose costs it covers, or `*` for every client's.
    pub scope_key: String,
    pub currency: String,
    /// The lines as issued (JSON of `InvoiceLine`s).
    pub lines: String,
    /// The total as issued, exactly (a decimal string).
    pub total: String,
    /// Who issued it, as the install named itself then.
    pub issuer: String,
    /// The number of the invoice it cancels (a credit note) or replaces (a new invoice).
    pub corrects: Option<String>,
    /// The user who issued it.
    pub issued_by: Option<String>,
    pub issued_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
