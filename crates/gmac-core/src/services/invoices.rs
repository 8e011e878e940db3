//! Invoices kept as issued (issue 10, point 5). A person's invoice for a month is a draft,
//! computed from the allocation, until someone who manages costs issues it once the month is
//! over: then it is numbered (`INV-2026-00001`, consecutive across the install), dated, names
//! its issuer, and is stored as it was. A later change of allocation never edits it: the
//! invoice says it is outdated, and issuing again adds a credit note that cancels it and a new
//! invoice that replaces it.

use chrono::Datelike;
use gmac_types::{
    ErrorCode, FieldError, Invoice, InvoiceKind, InvoiceLine, InvoiceQuery, IssueInvoice,
    Permission,
};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::invoice;
use crate::platform::change::Change;
use crate::services::cost_query::{month_bounds, visible_clients};
use crate::services::insights::draft_invoice;
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The scope key of invoices over every client's costs.
const EVERY_CLIENT: &str = "*";

fn scope_key(client_id: Option<&String>) -> String {
    client_id.map_or_else(|| EVERY_CLIENT.to_owned(), Clone::clone)
}

fn scope_target(scope: &str) -> Target {
    if scope == EVERY_CLIENT {
        Target::Global
    } else {
        Target::Client(scope.to_owned())
    }
}

fn to_dto(row: invoice::Model) -> Result<Invoice> {
    let lines: Vec<InvoiceLine> = serde_json::from_str(&row.lines)
        .map_err(|e| anyhow::anyhow!("invoice {} has unreadable lines: {e}", row.number))?;
    let total: Decimal = row
        .total
        .parse()
        .map_err(|e| anyhow::anyhow!("invoice {} has an unreadable total: {e}", row.number))?;
    Ok(Invoice {
        number: row.number,
        kind: if row.kind == "credit_note" {
            InvoiceKind::CreditNote
        } else {
            InvoiceKind::Invoice
        },
        issued_at: Some(row.issued_at),
        issuer: row.issuer,
        corrects: row.corrects,
        outdated: false,
        user_id: row.user_key,
        user_name: row.user_name,
        period: row.period,
        currency: row.currency,
        lines,
        total,
    })
}

/// The invoice in force for a person, month and scope: the latest document issued, unless it
/// is a credit note (which cancelled the invoice before it with nothing to replace it). A
/// credit note and its replacement are issued at the same instant; `INV-` sorts after `CN-`.
async fn in_force(
    conn: &impl ConnectionTrait,
    user_key: &str,
    period: &str,
    scope: &str,
) -> Result<Option<invoice::Model>> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::UserKey.eq(user_key))
        .filter(invoice::Column::Period.eq(period))
        .filter(invoice::Column::ScopeKey.eq(scope))
        .order_by_desc(invoice::Column::IssuedAt)
        .order_by_desc(invoice::Column::Number)
        .one(conn)
        .await?
        .filter(|row| row.kind == "invoice"))
}

/// Whether an issued invoice still says what the allocation says now.
fn same_figures(issued: &Invoice, now: &Invoice) -> bool {
    issued.currency == now.currency && issued.total == now.total && issued.lines == now.lines
}

/// A person's invoice for a month: the one issued (kept as issued, marked `outdated` when the
/// allocation changed since), or a draft. An invoice over every client's costs is shown as
/// issued only to those who see every client's costs.
pub async fn invoice(core: &Core, actor: &Actor, query: &InvoiceQuery) -> Result<Invoice> {
    let draft = draft_invoice(core, actor, query).await?;
    let sees_all = visible_clients(actor, query.client_id.as_ref())?.is_none();
    let scope = scope_key(query.client_id.as_ref());
    if scope == EVERY_CLIENT && !sees_all {
        return Ok(draft);
    }
    match in_force(&core.db, &query.user_id, &query.period, &scope).await? {
        Some(row) => {
            let mut issued = to_dto(row)?;
            issued.outdated = !same_figures(&issued, &draft);
            Ok(issued)
        }
        None => Ok(draft),
    }
}

/// An issued invoice or credit note by its number (404 where the caller does not see the
/// costs it covers).
pub async fn issued(core: &Core, actor: &Actor, number: &str) -> Result<Invoice> {
    actor.ensure_enrolled()?;
    let row = invoice::Entity::find()
        .filter(invoice::Column::Number.eq(number))
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    if !actor
        .permissions
        .can(Permission::CostsView, &scope_target(&row.scope_key))
    {
        return Err(Error::NotFound);
    }
    to_dto(row)
}

/// The next number of `prefix` (`INV` or `CN`) in `year`: one more than the highest so far.
async fn next_number(conn: &impl ConnectionTrait, prefix: &str, year: i32) -> Result<String> {
    let start = format!("{prefix}-{year}-");
    let highest = invoice::Entity::find()
        .filter(invoice::Column::Number.starts_with(&start))
        .all(conn)
        .await?
        .iter()
        .filter_map(|row| row.number.strip_prefix(&start)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Ok(format!("{start}{:05}", highest + 1))
}

/// Whether `period` (`YYYY-MM`) is over on `today`: an invoice is issued only then.
fn check_month_over(period: &str, today: chrono::NaiveDate) -> Result<()> {
    match month_bounds(period) {
        Some((_, last)) if last < today => Ok(()),
        Some(_) => Err(Error::Validation(vec![FieldError::new(
            "period",
            "month_not_over",
            "An invoice is issued once its month is over; until then it is a draft.",
        )])),
        None => Err(Error::Validation(vec![FieldError::new(
            "period",
            "invalid_month",
            "Give the period as YYYY-MM.",
        )])),
    }
}

/// Issues a person's invoice for a month that is over; needs `costs.manage` where it applies
/// (every client's costs: everywhere). Issued already with the same figures: that invoice,
/// unchanged (`false`). Issued with other figures: a credit note cancelling it and a new
/// invoice replacing it (or the credit note alone when nothing is left to bill).
pub async fn issue(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: &IssueInvoice,
) -> Result<(Invoice, bool)> {
    let scope = scope_key(input.client_id.as_ref());
    actor.require_on(Permission::CostsManage, &scope_target(&scope))?;
    check_month_over(&input.period, core.now().date_naive())?;
    let query = InvoiceQuery {
        user_id: input.user_id.clone(),
        period: input.period.clone(),
        client_id: input.client_id.clone(),
    };
    let draft = draft_invoice(core, actor, &query).await?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    // One issue at a time on PostgreSQL (SQLite writes one transaction at a time anyway): the
    // invoice in force and the next number are read and written together.
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7264901)")
            .await?;
    }
    let current = in_force(&txn, &input.user_id, &input.period, &scope).await?;
    if let Some(row) = &current {
        let issued = to_dto(row.clone())?;
        if same_figures(&issued, &draft) {
            return Ok((issued, false));
        }
    } else if draft.lines.is_empty() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "Nothing was allocated to them that month: there is nothing to invoice.",
        ));
    }
    let row = |number: String, kind: &str, lines: &[InvoiceLine], total: Decimal| {
        Ok::<_, Error>(invoice::Model {
            id: core.new_id(),
            number,
            kind: kind.to_owned(),
            user_key: input.user_id.clone(),
            user_name: draft.user_name.clone(),
            period: input.period.clone(),
            scope_key: scope.clone(),
            currency: draft.currency.clone(),
            lines: serde_json::to_string(lines).map_err(anyhow::Error::from)?,
            total: total.to_string(),
            issuer: core.invoice_issuer.clone(),
            corrects: current.as_ref().map(|c| c.number.clone()),
            issued_by: Some(actor.user_id.clone()),
            issued_at: now,
        })
    };
    let mut written = Vec::new();
    if let Some(old) = &current {
        let old = to_dto(old.clone())?;
        let lines: Vec<InvoiceLine> = old
            .lines
            .iter()
            .map(|l| InvoiceLine {
                description: l.description.clone(),
                amount: -l.amount,
            })
            .collect();
        let mut credit = row(
            next_number(&txn, "CN", now.year()).await?,
            "credit_note",
            &lines,
            -old.total,
        )?;
        credit.currency = old.currency;
        written.push(credit);
    }
    if !draft.lines.is_empty() {
        written.push(row(
            next_number(&txn, "INV", now.year()).await?,
            "invoice",
            &draft.lines,
            draft.total,
        )?);
    }
    for model in &written {
        invoice::Entity::insert(invoice::ActiveModel::from(model.clone()))
            .exec_without_returning(&txn)
            .await?;
    }
    let numbers: Vec<&str> = written.iter().map(|w| w.number.as_str()).collect();
    let entry = AuditEntry::success(actor.audit_actor(), "invoice.issue")
        .target(
            "invoice",
            numbers.last().copied().unwrap_or_default().to_owned(),
        )
        .scope(&scope_target(&scope))
        .details(serde_json::json!({
            "user_id": input.user_id,
            "period": input.period,
            "issued": numbers,
            "corrects": current.as_ref().map(|c| c.number.clone()),
            "total": draft.total.to_string(),
        }));
    txn.commit(core, meta, entry).await?;
    let last = written
        .pop()
        .ok_or_else(|| anyhow::anyhow!("an issue wrote no document"))?;
    Ok((to_dto(last)?, true))
}
