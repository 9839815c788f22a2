//! The integration tests: one binary that starts the real application, each test on its own
//! database. Runs on SQLite by default, and on PostgreSQL when `TEST_DATABASE_URL` is set.
// Tests state their expectations by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod authz;
mod browser;
mod browser_officials;
mod catalogue;
mod cli;
mod consent;
mod demo_history;
mod errors;
mod i18n;
mod integrity;
mod ledger;
mod ledger_properties;
mod officials;
mod ops;
mod order_load;
mod orders;
mod photo_files;
mod photos;
mod portal;
mod reports;
mod reports_expect;
mod reports_rule;
mod review_exports;
mod review_hardening;
mod review_orders;
mod review_privacy;
mod schema;
mod sealed_books;
mod search;
mod seed;
mod stripe;
mod stripe_reconcile;
mod support;
mod trace;
mod users;
mod webdriver;
mod xlsx;
