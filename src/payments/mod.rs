//! Payment providers behind one interface. Offline payment (bank transfer or cash on delivery,
//! confirmed by staff) is the zero-setup default and needs no code here: its confirmation is an
//! order move. Stripe, when `STRIPE_SECRET_KEY` is set, takes PaymentIntents, refunds and signed
//! webhooks through async-stripe ([`stripe`]).

pub mod stripe;

use crate::config::StripeConfig;
use crate::error::AppError;
pub use stripe::{IntentState, IntentStatus, StripeGateway, VerifiedEvent};

/// The providers this deployment has.
#[derive(Clone, Default)]
pub struct Payments {
    stripe: Option<StripeGateway>,
}

impl Payments {
    /// Offline only, or Stripe too when configured.
    pub fn new(stripe: Option<StripeConfig>) -> anyhow::Result<Payments> {
        Ok(Payments { stripe: stripe.map(StripeGateway::new).transpose()? })
    }

    /// Whether buyers may pay by Stripe.
    pub fn stripe_enabled(&self) -> bool {
        self.stripe.is_some()
    }

    /// The Stripe gateway, or a 404 where Stripe is not configured (the webhook URL, the pay step).
    pub fn stripe(&self) -> Result<&StripeGateway, AppError> {
        self.stripe.as_ref().ok_or(AppError::NotFound)
    }
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider could not be reached or failed; try again later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (a declined card, a bad parameter).
    #[error("payment provider refused: {message}")]
    Refused { code: Option<String>, message: String },
}

impl From<PaymentError> for AppError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Unavailable(cause) => AppError::Unavailable(cause),
            PaymentError::Refused { code, message } => {
                tracing::warn!(?code, %message, "payment provider refused a request");
                AppError::Conflict { key: "payment.error.refused" }
            }
        }
    }
}
