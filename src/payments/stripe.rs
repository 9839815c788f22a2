//! Stripe through async-stripe: PaymentIntents in the configured currency with the configured
//! payment method types, refunds, and webhook events verified against the endpoint's signing
//! secret. Every call that creates something carries an idempotency key, so a retry after a
//! timeout never charges or refunds twice. `STRIPE_API_BASE` points the client at a local
//! Stripe-compatible server in tests.

use super::PaymentError;
use crate::config::StripeConfig;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_connect::account::{
    CreateAccount, CreateAccountCapabilities, CreateAccountCapabilitiesTransfers, CreateAccountType,
};
use stripe_connect::transfer::CreateTransfer;
use stripe_core::payment_intent::{CancelPaymentIntent, CreatePaymentIntent, RetrievePaymentIntent};
use stripe_core::refund::CreateRefund;
use stripe_shared::{PaymentIntent, PaymentIntentAllowedPaymentMethodTypes, PaymentIntentStatus};
use stripe_webhook::{EventObject, Webhook};

/// A configured Stripe account.
#[derive(Clone)]
pub struct StripeGateway {
    client: stripe::Client,
    config: StripeConfig,
}

/// Where a PaymentIntent stands, in the terms the order cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    Succeeded,
    /// Declined or not yet paid: the buyer may try again with another method.
    AwaitingPayment,
    /// Being processed or waiting for the buyer (3-D Secure, a wallet app).
    Processing,
    Cancelled,
}

impl IntentStatus {
    /// The stable name the API answers with (`awaiting_payment`), never the Debug form.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::Succeeded => "succeeded",
            IntentStatus::AwaitingPayment => "awaiting_payment",
            IntentStatus::Processing => "processing",
            IntentStatus::Cancelled => "cancelled",
        }
    }
}

/// A PaymentIntent as read back from Stripe.
#[derive(Debug, Clone)]
pub struct IntentState {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    pub client_secret: Option<String>,
}

/// A webhook event whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    pub id: String,
    /// e.g. `payment_intent.succeeded`.
    pub kind: String,
    /// The PaymentIntent it is about, for the events this application acts on.
    pub intent: Option<String>,
}

fn unavailable(e: StripeError) -> PaymentError {
    match e {
        StripeError::Stripe(api, status) if status < 500 && status != 429 => PaymentError::Refused {
            // The code's stable name (`card_declined`), never its Debug form.
            code: api.code.as_ref().map(|c| c.as_str().to_owned()),
            message: api.message.clone().unwrap_or_else(|| format!("status {status}")),
        },
        other => PaymentError::Unavailable(other.to_string()),
    }
}

fn key(text: &str) -> Result<RequestStrategy, PaymentError> {
    IdempotencyKey::new(text)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentError::Unavailable(format!("idempotency key: {e}")))
}

impl StripeGateway {
    /// Builds the client (no request is made).
    pub fn new(config: StripeConfig) -> anyhow::Result<StripeGateway> {
        // Both of rustls' crypto providers are compiled in (through different crates), so it
        // cannot pick one itself; an error only means one was installed already.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut builder = stripe::ClientBuilder::new(config.secret_key.clone()).timeout(Duration::from_secs(20));
        if let Some(base) = &config.api_base {
            builder = builder.url(base.clone());
        }
        let client = builder.build().map_err(|e| anyhow::anyhow!("Stripe client: {e}"))?;
        Ok(StripeGateway { client, config })
    }

    /// The publishable key for Stripe.js, when configured.
    pub fn publishable_key(&self) -> Option<&str> {
        self.config.publishable_key.as_deref()
    }

    /// The payment method types offered.
    pub fn method_types(&self) -> &[String] {
        &self.config.method_types
    }

    /// The PaymentIntent parameters for an order (also what the unit tests check, since no
    /// local server can show Alipay or WeChat Pay).
    pub fn intent_request(&self, order_number: &str, amount_fen: i64) -> Result<CreatePaymentIntent, PaymentError> {
        let currency = stripe_types::Currency::from_str(&self.config.currency)
            .map_err(|_| PaymentError::Unavailable(format!("unknown currency {}", self.config.currency)))?;
        let methods: Vec<PaymentIntentAllowedPaymentMethodTypes> = self
            .config
            .method_types
            .iter()
            .filter_map(|m| PaymentIntentAllowedPaymentMethodTypes::from_str(m).ok())
            .collect();
        let metadata = HashMap::from([("order".to_owned(), order_number.to_owned())]);
        Ok(CreatePaymentIntent::new(amount_fen, currency).allowed_payment_method_types(methods).metadata(metadata))
    }

    /// Creates the PaymentIntent of an order. The order number is the idempotency key, so two
    /// buyers' tabs asking at once get one intent.
    pub async fn create_intent(&self, order_number: &str, amount_fen: i64) -> Result<IntentState, PaymentError> {
        let request = self.intent_request(order_number, amount_fen)?;
        let intent = request
            .customize()
            .request_strategy(key(&format!("gongfang-intent-{order_number}"))?)
            .send(&self.client)
            .await
            .map_err(unavailable)?;
        Ok(state(&intent))
    }

    /// Reads a PaymentIntent back (its current state decides, whatever order events came in).
    pub async fn retrieve(&self, id: &str) -> Result<IntentState, PaymentError> {
        let intent = RetrievePaymentIntent::new(id).send(&self.client).await.map_err(unavailable)?;
        Ok(state(&intent))
    }

    /// Cancels a PaymentIntent, so that it can no longer be paid. Stripe refuses (a 4xx) an
    /// intent that succeeded meanwhile: read it back then.
    pub async fn cancel_intent(&self, id: &str) -> Result<IntentState, PaymentError> {
        let intent = CancelPaymentIntent::new(id).send(&self.client).await.map_err(unavailable)?;
        Ok(state(&intent))
    }

    /// Refunds `amount_fen` of a PaymentIntent; `idempotency` names the refund so that a retry
    /// returns the first refund instead of making a second. Returns Stripe's refund id.
    pub async fn refund(&self, intent: &str, amount_fen: i64, idempotency: &str) -> Result<String, PaymentError> {
        let refund = CreateRefund::new()
            .payment_intent(intent)
            .amount(amount_fen)
            .customize()
            .request_strategy(key(idempotency)?)
            .send(&self.client)
            .await
            .map_err(unavailable)?;
        Ok(refund.id.to_string())
    }

    /// Sends `amount_fen` to a connected account. `idempotency` names the payout, so a retry
    /// after a timeout or a crash returns the first transfer instead of paying twice. Returns
    /// Stripe's transfer id.
    pub async fn transfer(
        &self,
        destination: &str,
        amount_fen: i64,
        group: &str,
        idempotency: &str,
    ) -> Result<String, PaymentError> {
        let currency = stripe_types::Currency::from_str(&self.config.currency)
            .map_err(|_| PaymentError::Unavailable(format!("unknown currency {}", self.config.currency)))?;
        let transfer = CreateTransfer::new(currency, destination)
            .amount(amount_fen)
            .transfer_group(group)
            .customize()
            .request_strategy(key(idempotency)?)
            .send(&self.client)
            .await
            .map_err(unavailable)?;
        Ok(transfer.id.to_string())
    }

    /// Creates an Express connected account for a workshop (operators do this once per
    /// workshop; the workshop finishes onboarding on Stripe). Returns the account id.
    pub async fn create_account(&self, email: &str, idempotency: &str) -> Result<String, PaymentError> {
        let mut capabilities = CreateAccountCapabilities::new();
        capabilities.transfers = Some(CreateAccountCapabilitiesTransfers { requested: Some(true) });
        let account = CreateAccount::new()
            .type_(CreateAccountType::Express)
            .capabilities(capabilities)
            .country("CN")
            .email(email)
            .customize()
            .request_strategy(key(idempotency)?)
            .send(&self.client)
            .await
            .map_err(unavailable)?;
        Ok(account.id.to_string())
    }

    /// Checks a webhook's `Stripe-Signature` against the signing secret (and that it is at
    /// most five minutes old) and reads the event.
    pub fn verify(&self, payload: &str, signature: &str) -> Result<VerifiedEvent, PaymentError> {
        let event = Webhook::construct_event(payload, signature, &self.config.webhook_secret)
            .map_err(|e| PaymentError::Refused { code: Some("signature".into()), message: e.to_string() })?;
        let intent = match &event.data.object {
            EventObject::PaymentIntentSucceeded(pi)
            | EventObject::PaymentIntentPaymentFailed(pi)
            | EventObject::PaymentIntentCanceled(pi)
            | EventObject::PaymentIntentProcessing(pi)
            | EventObject::PaymentIntentRequiresAction(pi)
            | EventObject::PaymentIntentAmountCapturableUpdated(pi)
            | EventObject::PaymentIntentCreated(pi)
            | EventObject::PaymentIntentPartiallyFunded(pi) => Some(pi.id.to_string()),
            _ => None,
        };
        Ok(VerifiedEvent { id: event.id.to_string(), kind: event.type_.as_str().to_owned(), intent })
    }
}

fn state(intent: &PaymentIntent) -> IntentState {
    let status = match &intent.status {
        PaymentIntentStatus::Succeeded => IntentStatus::Succeeded,
        PaymentIntentStatus::Canceled => IntentStatus::Cancelled,
        PaymentIntentStatus::RequiresPaymentMethod | PaymentIntentStatus::RequiresConfirmation => {
            IntentStatus::AwaitingPayment
        }
        _ => IntentStatus::Processing,
    };
    IntentState {
        id: intent.id.to_string(),
        status,
        amount: intent.amount,
        currency: intent.currency.to_string().to_ascii_lowercase(),
        client_secret: intent.client_secret.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(methods: &[&str]) -> StripeGateway {
        let config = StripeConfig {
            secret_key: "sk_test_unit".into(),
            webhook_secret: "whsec_unit".into(),
            publishable_key: None,
            api_base: Some("http://127.0.0.1:9/".into()),
            currency: "cny".into(),
            method_types: methods.iter().map(|m| (*m).to_owned()).collect(),
        };
        StripeGateway::new(config).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn intents_are_in_cny_with_the_configured_methods() {
        // What no local server can show: the parameters sent for Alipay and WeChat Pay.
        let request = gateway(&["card", "alipay", "wechat_pay"]).intent_request("GF20261129-ABCDEF", 59_997);
        let body = serde_json::to_value(request.ok()).unwrap_or_default();
        let text = body.to_string();
        assert!(text.contains("59997"), "{text}");
        assert!(text.contains("\"cny\""), "{text}");
        for method in ["card", "alipay", "wechat_pay"] {
            assert!(text.contains(&format!("\"{method}\"")), "{method} missing from {text}");
        }
        assert!(text.contains("GF20261129-ABCDEF"), "{text}");
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let g = gateway(&["card"]);
        let payload = r#"{"id":"evt_1","object":"event","type":"payment_intent.succeeded"}"#;
        let forged = Webhook::generate_test_header(payload, "whsec_other", None);
        assert!(matches!(g.verify(payload, &forged), Err(PaymentError::Refused { .. })));
        assert!(matches!(g.verify(payload, "t=1,v1=00"), Err(PaymentError::Refused { .. })));
    }
}
