//! The settings of orders and payments: how long stock is held for an unpaid order, when a
//! shipped parcel counts as delivered, the return window, Stripe when it is configured, and
//! the acknowledgement links of wage statements.

use super::{err, ConfigError};
use crate::domain::employment_rule::RuleConfig;
use crate::domain::household::HouseholdStatus;
use crate::domain::order::PaymentMethod;
use std::collections::HashMap;
use std::time::Duration;

/// How orders behave over time.
#[derive(Debug, Clone)]
pub struct OrdersConfig {
    /// How long an order paid online holds its stock (`GONGFANG_RESERVATION_MINUTES`, 30).
    pub reservation: Duration,
    /// How long a bank-transfer order holds its stock (`GONGFANG_BANK_TRANSFER_DAYS`, 3).
    pub bank_transfer_days: i64,
    /// The buyer of a bank-transfer order is reminded once, this many hours before its hold
    /// runs out (`GONGFANG_BANK_TRANSFER_REMINDER_HOURS`, 24).
    pub bank_transfer_reminder_hours: i64,
    /// The account buyers transfer to, as shown on the order page and in the e-mails
    /// (`GONGFANG_BANK_PAYEE`, e.g. "工坊平台有限公司 · 农业银行成都分行 · 6228 4800 0000 0000").
    pub bank_payee: Option<String>,
    /// How long a workshop has to accept a cash-on-delivery order before it is cancelled and
    /// its stock goes back (`GONGFANG_COD_ACCEPT_HOURS`, 48).
    pub cod_accept_hours: i64,
    /// A shipped parcel nobody confirmed counts as delivered after this many days
    /// (`GONGFANG_AUTO_DELIVER_DAYS`, 15).
    pub auto_deliver_days: i64,
    /// The no-reason return window after delivery (`GONGFANG_RETURN_WINDOW_DAYS`, 7).
    pub return_window_days: i64,
    /// How often the order worker looks for expired reservations and due refunds
    /// (`GONGFANG_ORDER_SWEEP_MS`, 5000).
    pub sweep: Duration,
    /// A signed-out browser's cart untouched for this many days is deleted by the order worker
    /// (`GONGFANG_ABANDONED_CART_DAYS`, 30). Signed-in buyers' carts are kept.
    pub abandoned_cart_days: i64,
    /// The most pieces of one made-to-order product in one order (`GONGFANG_MADE_TO_ORDER_MAX`, 5):
    /// each is made by hand after the order.
    pub made_to_order_max: i64,
    /// The most pieces of one product in one order, so that a typo cannot reserve a whole stock.
    pub line_max: i64,
    /// The most distinct products in one cart.
    pub cart_max_items: usize,
}

impl OrdersConfig {
    /// How long a new order paid by `method` holds its stock.
    pub fn hold(&self, method: PaymentMethod) -> chrono::TimeDelta {
        match method {
            PaymentMethod::Stripe => {
                chrono::TimeDelta::from_std(self.reservation).unwrap_or(chrono::TimeDelta::minutes(30))
            }
            PaymentMethod::BankTransfer => chrono::TimeDelta::days(self.bank_transfer_days),
            PaymentMethod::CashOnDelivery => chrono::TimeDelta::hours(self.cod_accept_hours),
        }
    }
}

impl Default for OrdersConfig {
    fn default() -> Self {
        OrdersConfig {
            reservation: Duration::from_secs(30 * 60),
            bank_transfer_days: 3,
            bank_transfer_reminder_hours: 24,
            bank_payee: None,
            cod_accept_hours: 48,
            auto_deliver_days: 15,
            return_window_days: 7,
            sweep: Duration::from_secs(5),
            abandoned_cart_days: 30,
            made_to_order_max: 5,
            line_max: 99,
            cart_max_items: 50,
        }
    }
}

/// How payouts and wage statements behave. Settlement uses the orders' return window.
#[derive(Debug, Clone)]
pub struct PayoutsConfig {
    /// How long a worker's acknowledgement link works (`GONGFANG_ACK_LINK_DAYS`, 14).
    pub ack_link_days: i64,
    /// A statement line still unacknowledged this many days after its payout is flagged
    /// (`GONGFANG_ACK_FLAG_DAYS`, 30).
    pub ack_flag_days: i64,
}

impl Default for PayoutsConfig {
    fn default() -> Self {
        PayoutsConfig { ack_link_days: 14, ack_flag_days: 30 }
    }
}

/// Reads the payout settings.
pub fn payouts_from_env(env: &HashMap<String, String>) -> Result<PayoutsConfig, ConfigError> {
    Ok(PayoutsConfig {
        ack_link_days: number(env, "GONGFANG_ACK_LINK_DAYS", 14, 365)?,
        ack_flag_days: number(env, "GONGFANG_ACK_FLAG_DAYS", 30, 3650)?,
    })
}

/// The employment rule the reports check (see [`crate::domain::employment_rule`]):
/// `GONGFANG_POOR_SHARE_THRESHOLD_BP` (3000 = 30%), `GONGFANG_POOR_STATUSES` (the household
/// statuses that count, comma-separated; `registered_poor,lifted_out,monitored`) and
/// `GONGFANG_CONFIRMATION_NOTICE_DAYS` (60).
pub fn reports_from_env(env: &HashMap<String, String>) -> Result<RuleConfig, ConfigError> {
    let counted = match env.get("GONGFANG_POOR_STATUSES").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => RuleConfig::default().counted,
        Some(list) => list
            .split(',')
            .map(|w| {
                HouseholdStatus::parse(w.trim()).ok_or_else(|| {
                    err(
                        "GONGFANG_POOR_STATUSES",
                        format!("{w:?} is not one of registered_poor, lifted_out, monitored, not_poor"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(RuleConfig {
        threshold_bp: number(env, "GONGFANG_POOR_SHARE_THRESHOLD_BP", 3000, 10_000)?,
        counted,
        confirmation_notice_days: number(env, "GONGFANG_CONFIRMATION_NOTICE_DAYS", 60, 366)?,
    })
}

/// Stripe, when `STRIPE_SECRET_KEY` is set.
#[derive(Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    /// The signing secret of the webhook endpoint (`STRIPE_WEBHOOK_SECRET`, required with the key).
    pub webhook_secret: String,
    /// For Stripe.js on the pay page (`STRIPE_PUBLISHABLE_KEY`).
    pub publishable_key: Option<String>,
    /// The API's base URL (`STRIPE_API_BASE`); tests point it at a local Stripe-compatible server.
    pub api_base: Option<String>,
    /// Lowercase ISO currency of PaymentIntents (`STRIPE_CURRENCY`, `cny`).
    pub currency: String,
    /// Payment method types offered (`STRIPE_PAYMENT_METHODS`, `card`; e.g. `card,alipay,wechat_pay`).
    pub method_types: Vec<String>,
}

impl std::fmt::Debug for StripeConfig {
    // Never print the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .field("currency", &self.currency)
            .field("method_types", &self.method_types)
            .finish_non_exhaustive()
    }
}

/// The payment method types Stripe accepts here that a buyer in China might use.
const METHOD_TYPES: [&str; 3] = ["card", "alipay", "wechat_pay"];

fn number(env: &HashMap<String, String>, var: &str, default: i64, max: i64) -> Result<i64, ConfigError> {
    match env.get(var).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| err(var, format!("{v:?} is not a number from 1 to {max}"))),
    }
}

/// Reads the order settings.
pub fn orders_from_env(env: &HashMap<String, String>) -> Result<OrdersConfig, ConfigError> {
    let minutes = number(env, "GONGFANG_RESERVATION_MINUTES", 30, 7 * 24 * 60)?;
    let sweep_ms = number(env, "GONGFANG_ORDER_SWEEP_MS", 5000, 3_600_000)?;
    let bank_transfer_days = number(env, "GONGFANG_BANK_TRANSFER_DAYS", 3, 60)?;
    let bank_transfer_reminder_hours = number(env, "GONGFANG_BANK_TRANSFER_REMINDER_HOURS", 24, 60 * 24)?;
    if bank_transfer_reminder_hours >= bank_transfer_days * 24 {
        return Err(err(
            "GONGFANG_BANK_TRANSFER_REMINDER_HOURS",
            "must be fewer hours than GONGFANG_BANK_TRANSFER_DAYS holds the order",
        ));
    }
    let bank_payee = env.get("GONGFANG_BANK_PAYEE").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if bank_payee.as_ref().is_some_and(|p| p.chars().count() > 200) {
        return Err(err("GONGFANG_BANK_PAYEE", "must be at most 200 characters"));
    }
    Ok(OrdersConfig {
        reservation: Duration::from_secs(minutes.unsigned_abs() * 60),
        bank_transfer_days,
        bank_transfer_reminder_hours,
        bank_payee,
        cod_accept_hours: number(env, "GONGFANG_COD_ACCEPT_HOURS", 48, 24 * 14)?,
        auto_deliver_days: number(env, "GONGFANG_AUTO_DELIVER_DAYS", 15, 365)?,
        return_window_days: number(env, "GONGFANG_RETURN_WINDOW_DAYS", 7, 365)?,
        sweep: Duration::from_millis(sweep_ms.unsigned_abs().max(10)),
        made_to_order_max: number(env, "GONGFANG_MADE_TO_ORDER_MAX", 5, 1000)?,
        abandoned_cart_days: number(env, "GONGFANG_ABANDONED_CART_DAYS", 30, 3650)?,
        ..OrdersConfig::default()
    })
}

/// Reads the Stripe settings: none without `STRIPE_SECRET_KEY`, and an error when the key is
/// set without the webhook secret (payments would never be confirmed).
pub fn stripe_from_env(env: &HashMap<String, String>) -> Result<Option<StripeConfig>, ConfigError> {
    let get = |var: &str| env.get(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let Some(secret_key) = get("STRIPE_SECRET_KEY") else {
        return Ok(None);
    };
    if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
        return Err(err("STRIPE_SECRET_KEY", "must be a secret key starting sk_ (or a restricted key rk_)"));
    }
    let webhook_secret = get("STRIPE_WEBHOOK_SECRET").ok_or_else(|| {
        err("STRIPE_WEBHOOK_SECRET", "is required with STRIPE_SECRET_KEY: without it no payment is ever confirmed")
    })?;
    let api_base = match get("STRIPE_API_BASE") {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(format!("{}/", url.trim_end_matches('/')))
        }
        Some(_) => return Err(err("STRIPE_API_BASE", "must start with http:// or https://")),
        None => None,
    };
    let currency = get("STRIPE_CURRENCY").unwrap_or_else(|| "cny".into()).to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(err("STRIPE_CURRENCY", "must be a three-letter ISO currency code"));
    }
    let method_types: Vec<String> = get("STRIPE_PAYMENT_METHODS")
        .unwrap_or_else(|| "card".into())
        .split(',')
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty())
        .collect();
    if method_types.is_empty() || method_types.iter().any(|m| !METHOD_TYPES.contains(&m.as_str())) {
        return Err(err(
            "STRIPE_PAYMENT_METHODS",
            format!("must be a comma-separated list of {}", METHOD_TYPES.join(", ")),
        ));
    }
    Ok(Some(StripeConfig {
        secret_key,
        webhook_secret,
        publishable_key: get("STRIPE_PUBLISHABLE_KEY"),
        api_base,
        currency,
        method_types,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn orders_defaults_and_errors() {
        let c = orders_from_env(&env(&[])).map(|c| (c.reservation, c.return_window_days, c.auto_deliver_days));
        assert_eq!(c.ok(), Some((Duration::from_secs(1800), 7, 15)));
        let bad = orders_from_env(&env(&[("GONGFANG_RESERVATION_MINUTES", "0")])).err().map(|e| e.variable);
        assert_eq!(bad.as_deref(), Some("GONGFANG_RESERVATION_MINUTES"));
        let c = orders_from_env(&env(&[])).ok();
        let holds = c.map(|c| {
            [PaymentMethod::Stripe, PaymentMethod::BankTransfer, PaymentMethod::CashOnDelivery].map(|m| c.hold(m))
        });
        assert_eq!(
            holds,
            Some([chrono::TimeDelta::minutes(30), chrono::TimeDelta::days(3), chrono::TimeDelta::hours(48)])
        );
        let late = orders_from_env(&env(&[
            ("GONGFANG_BANK_TRANSFER_DAYS", "1"),
            ("GONGFANG_BANK_TRANSFER_REMINDER_HOURS", "24"),
        ]));
        assert_eq!(late.err().map(|e| e.variable).as_deref(), Some("GONGFANG_BANK_TRANSFER_REMINDER_HOURS"));
    }

    #[test]
    fn stripe_needs_a_webhook_secret_and_known_methods() {
        assert!(matches!(stripe_from_env(&env(&[])), Ok(None)));
        let no_secret = stripe_from_env(&env(&[("STRIPE_SECRET_KEY", "sk_test_1")])).err().map(|e| e.variable);
        assert_eq!(no_secret.as_deref(), Some("STRIPE_WEBHOOK_SECRET"));
        let ok = stripe_from_env(&env(&[
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_1"),
            ("STRIPE_API_BASE", "http://127.0.0.1:8420"),
            ("STRIPE_PAYMENT_METHODS", "card, alipay,wechat_pay"),
        ]));
        let ok = ok.ok().flatten().map(|c| (c.api_base, c.currency, c.method_types.len()));
        assert_eq!(ok, Some((Some("http://127.0.0.1:8420/".into()), "cny".into(), 3)));
        let bad = stripe_from_env(&env(&[
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_1"),
            ("STRIPE_PAYMENT_METHODS", "card,bitcoin"),
        ]));
        assert_eq!(bad.err().map(|e| e.variable).as_deref(), Some("STRIPE_PAYMENT_METHODS"));
        let debug = format!(
            "{:?}",
            stripe_from_env(&env(&[("STRIPE_SECRET_KEY", "sk_test_secret"), ("STRIPE_WEBHOOK_SECRET", "whsec_x")]))
        );
        assert!(!debug.contains("sk_test_secret") && !debug.contains("whsec_x"), "{debug}");
    }
}
