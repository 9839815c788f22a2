//! The worker's acknowledgement: a one-time code the workshop sends by SMS or WeChat, which
//! opens a page without a login showing nothing but that worker's own statement line.

use super::statements::keeper;
use super::Payouts;
use crate::accounts::secrets::token_hash;
use crate::db::audit::{self, AuditEvent};
use crate::db::payouts as q;
use crate::db::wages as w;
use crate::db::DbConn;
use crate::domain::account::Principal;
use crate::error::AppError;
use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

/// The characters of acknowledgement codes: Crockford's base32 (no I, L, O, U), easy to read
/// aloud and to type from an SMS.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 12 characters: 60 bits.
const CODE_LEN: usize = 12;

/// A new acknowledgement code.
fn new_code() -> String {
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rand::random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// A typed code, normalised (case, spaces and dashes ignored); `None` when it cannot be one.
pub fn normalise_code(text: &str) -> Option<String> {
    let code: String =
        text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// What the worker sees through their code: their own line, nothing else.
#[derive(Debug, Clone, Serialize)]
pub struct AckView {
    pub worker_name: String,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub period: String,
    pub amount_fen: i64,
    pub line_count: i32,
    pub method: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub acknowledged: bool,
}

impl Payouts {
    /// Makes a one-time acknowledgement code for a statement line (the manager or an
    /// operator), to send the worker by SMS or WeChat. Returns the code and its link.
    pub async fn ack_code(&self, who: &Principal, statement: i64) -> Result<(String, String), AppError> {
        let who = who.clone();
        let code = new_code();
        self.write(move |this, conn| this.ack_code_in(conn, &who, statement, &code)).await
    }

    /// [`Payouts::ack_code`] in the caller's transaction, for a code made by the caller.
    pub fn ack_code_in(
        &self,
        conn: &mut DbConn,
        who: &Principal,
        statement: i64,
        code: &str,
    ) -> Result<(String, String), AppError> {
        let row = w::statement(conn, statement)?.ok_or(AppError::NotFound)?;
        let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
        keeper(conn, who, payout.workshop_id)?;
        if row.acknowledged_at.is_some() {
            return Err(AppError::Conflict { key: "wage.error.acknowledged" });
        }
        let now = self.now();
        w::insert_ack(
            conn,
            &token_hash(code),
            statement,
            Some(who.user_id.get()),
            now,
            now + TimeDelta::days(self.config.ack_link_days),
        )?;
        audit::append(
            conn,
            AuditEvent::new(
                Some(who.user_id),
                "wage.ack_code",
                format!("statement:{statement}"),
                serde_json::json!({}),
            ),
            now,
        )?;
        let link = format!("{}/ack/{code}", self.public_url.trim_end_matches('/'));
        Ok((code.to_owned(), link))
    }

    /// A new acknowledgement code (for [`Payouts::ack_code_in`]).
    pub fn new_ack_code() -> String {
        new_code()
    }

    /// What a code shows: the worker's own line. Not found when the code is unknown, used or
    /// expired, so a guess learns nothing.
    pub async fn ack_view(&self, code: &str) -> Result<AckView, AppError> {
        let code = normalise_code(code).ok_or(AppError::NotFound)?;
        self.read(move |this, conn| {
            let statement = w::ack_statement(conn, &token_hash(&code), this.now())?.ok_or(AppError::NotFound)?;
            ack_view(conn, statement)
        })
        .await
    }

    /// The worker confirms receipt. The code then stops working.
    pub async fn acknowledge(&self, code: &str) -> Result<AckView, AppError> {
        let code = normalise_code(code).ok_or(AppError::NotFound)?;
        self.write(move |this, conn| this.acknowledge_in(conn, &code)).await
    }

    /// [`Payouts::acknowledge`] in the caller's transaction, for a normalised code.
    pub fn acknowledge_in(&self, conn: &mut DbConn, code: &str) -> Result<AckView, AppError> {
        let hash = token_hash(code);
        let now = self.now();
        let statement = w::ack_statement(conn, &hash, now)?.ok_or(AppError::NotFound)?;
        if !w::use_ack(conn, &hash, statement, now)? {
            return Err(AppError::NotFound);
        }
        audit::append(
            conn,
            AuditEvent::new(None, "wage.acknowledged", format!("statement:{statement}"), serde_json::json!({})),
            now,
        )?;
        ack_view(conn, statement)
    }
}

fn ack_view(conn: &mut DbConn, statement: i64) -> Result<AckView, AppError> {
    let row = w::statement(conn, statement)?.ok_or(AppError::NotFound)?;
    let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
    let (_, _, _, name_zh, name_en) = q::workshop_payee(conn, payout.workshop_id)?;
    Ok(AckView {
        worker_name: row.name_zh,
        workshop_name_zh: name_zh,
        workshop_name_en: name_en,
        period: payout.period,
        amount_fen: row.amount_fen,
        line_count: row.line_count,
        method: row.method,
        paid_on: row.paid_on,
        acknowledged: row.acknowledged_at.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_forgivingly_and_strictly() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(normalise_code(&code.to_lowercase()), Some(code.clone()));
        assert_eq!(normalise_code(&format!("{}-{}", &code[..6], &code[6..])), Some(code.clone()));
        assert_eq!(normalise_code("ABC"), None);
        assert_eq!(normalise_code("ILOUILOUILOU"), None);
    }
}
