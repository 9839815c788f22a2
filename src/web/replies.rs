//! The small JSON answers of the API's state-changing calls, typed so that the OpenAPI
//! document describes each one and a generated client can read it.

use serde::Serialize;
use utoipa::ToSchema;

/// The call did what it was asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// Always `true`.
    pub ok: bool,
}

/// `{"ok": true}`.
pub const DONE: Done = Done { ok: true };

/// The call created something; `id` names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The new row's id (a worker, product, photo, return request or refund).
    pub id: i64,
}

/// Where a product stands after a call moved it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductMoved {
    /// `in_review` or `archived`.
    #[schema(example = "in_review")]
    pub status: String,
}

/// An e-mail is on its way, if the address may receive it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sent {
    /// Always `true`: the answer never tells whether an account exists.
    pub sent: bool,
}

/// What a run of pending Stripe transfers did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransfersSent {
    /// Transfers Stripe accepted.
    pub sent: usize,
    /// Transfers refused or cut off, left pending for the next run.
    pub failed: usize,
}

/// The Stripe connected account now on a workshop.
#[derive(Debug, Serialize, ToSchema)]
pub struct StripeAccount {
    /// Stripe's account id, `acct_…`.
    pub account: String,
}

/// A one-time code with which a worker acknowledges a wage payment, and its link.
#[derive(Debug, Serialize, ToSchema)]
pub struct AckCode {
    /// The code to read out or print.
    pub code: String,
    /// The link that opens the acknowledgement page with the code filled in.
    pub link: String,
}

/// A bearer token for an app, and whose it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// Send as `Authorization: Bearer …`.
    pub token: String,
    /// The signed-in user.
    pub user: super::auth::UserView,
}
