//! Gongfang (工坊): a marketplace for the crafts of heritage poverty-alleviation workshops.
//!
//! Where things live:
//! - [`config`]: typed configuration, read once.
//! - [`domain`]: pure types and money rules.
//! - [`db`]: the pool, migrations, schema and queries (SQLite or PostgreSQL).
//! - [`catalog`]: the read models the storefront and API show, built from the database.
//! - [`search`]: product search (Meilisearch or the embedded engine) and its sync worker.
//! - [`accounts`]: users, sessions, the login rate limit, resets, invitations, and the role policy.
//! - [`portal`]: the workshop portal's actions (profile, roster, products, photos).
//! - [`orders`] and [`payments`]: carts, checkout, the order lifecycle, refunds; Stripe.
//! - [`payouts`]: the journal, settlement, payout runs and rails, wage statements, impact receipts.
//! - [`mail`] and [`media`]: e-mail through the outbox, and photo processing.
//! - [`seed`]: reference data and the demo catalogue.
//! - [`web`] and [`routes`]: HTTP handlers and the one route table.
//! - [`render`] and [`i18n`]: templates and the zh/en text.
//! - [`csv_file`]: every CSV the application writes, with formula-like cells neutralised.

pub mod accounts;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod csv_file;
pub mod custom_orders;
pub mod db;
pub mod domain;
pub mod error;
pub mod favourites;
pub mod i18n;
pub mod mail;
pub mod media;
pub mod messages;
pub mod orders;
pub mod organisations;
pub mod payments;
pub mod payouts;
pub mod portal;
pub mod render;
pub mod reports;
pub mod reviews;
pub mod routes;
pub mod search;
pub mod seed;
pub mod server;
pub mod state;
pub mod storage;
pub mod web;
