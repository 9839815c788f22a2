//! Checkout: one transaction takes the stock (a conditional update per product, in id order so
//! that concurrent checkouts never deadlock), freezes each line's numbers, opens one parcel per
//! workshop and queues the buyer's e-mail. A retry with the same idempotency key returns the
//! order the first attempt made.

use super::idempotency::{merge_items, request_digest, same_request, valid_key};
use super::units::{Unit, Units, Unresolved};
use super::Orders;
use crate::db::carts::CartKey;
use crate::db::orders::{self as q, NewLine, NewOrder, SaleProduct};
use crate::db::{carts, variants, DbConn};
use crate::domain::account::Principal;
use crate::domain::address::{Destination, ShippingAddress};
use crate::domain::certification::certification_status;
use crate::domain::ids::ProductId;
use crate::domain::order::{order_number, OrderStatus, PaymentMethod, ShippingRule};
use crate::domain::Fen;
use crate::error::AppError;
use crate::i18n::Lang;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What the buyer asked for.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// `(product and variant, quantity)`; `None` buys the signed-in buyer's cart.
    pub items: Option<Vec<(CartKey, i64)>>,
    pub address: ShippingAddress,
    pub payment_method: PaymentMethod,
    /// Chosen by the client once per checkout attempt (the form carries one; API clients send
    /// the `Idempotency-Key` header or field).
    pub idempotency_key: String,
    pub lang: Lang,
    /// Bought for the buyer's organisation: the order carries its invoice request.
    pub for_organisation: bool,
}

/// The order a checkout made or found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Placed {
    pub number: String,
    /// False when this was a retry that found the order made before.
    pub created: bool,
}

impl Orders {
    /// Places an order for `who`.
    pub async fn checkout(&self, who: &Principal, request: CheckoutRequest) -> Result<Placed, AppError> {
        if !valid_key(&request.idempotency_key) {
            return Err(AppError::BadRequest { field: "idempotency_key", key: "checkout.error.key" });
        }
        if request.payment_method == PaymentMethod::Stripe && !self.payments.stripe_enabled() {
            return Err(AppError::BadRequest { field: "payment_method", key: "checkout.error.no_stripe" });
        }
        let region_text = self.region_text(&request.address)?;
        // Without any lock first: a retry finds its order, and a checkout that cannot succeed
        // is refused without queueing for the write lock behind the buyers who can. The
        // conditional updates in the transaction still decide every sale.
        let (this, who_, req) = (self.clone(), who.clone(), request.clone());
        let early = self
            .db
            .run(move |conn| {
                if let Some(found) = this.find_retry(conn, &who_, &req)? {
                    return Ok(Some(found));
                }
                this.refuse_sold_out(conn, &who_, &req)?;
                Ok(None)
            })
            .await?;
        if let Some(found) = early {
            return Ok(found);
        }
        // A random order number may (very rarely) collide; a concurrent retry with the same
        // key loses the race on the unique key. Both are settled by looking again.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (this, who_, req, region) = (self.clone(), who.clone(), request.clone(), region_text.clone());
            match self.db.write(move |conn| this.place(conn, &who_, &req, &region)).await {
                Err(AppError::Conflict { key: "error.already_exists" }) if attempt < 3 => {
                    let (this, who_, req) = (self.clone(), who.clone(), request.clone());
                    if let Some(found) = self.db.run(move |conn| this.find_retry(conn, &who_, &req)).await? {
                        return Ok(found);
                    }
                }
                other => return other,
            }
        }
    }

    /// "四川省 凉山彝族自治州 喜德县" for a Chinese county; the typed region for overseas.
    pub(crate) fn region_text(&self, address: &ShippingAddress) -> Result<String, AppError> {
        match &address.destination {
            Destination::China { county } => {
                let path = self.reference.path(county.as_str());
                let is_county = path.last().is_some_and(|r| r.code == county.as_str() && path.len() >= 2);
                if !is_county {
                    return Err(AppError::BadRequest { field: "county_code", key: "address.error.county" });
                }
                Ok(path.iter().map(|r| r.name_zh.as_str()).collect::<Vec<_>>().join(" "))
            }
            Destination::Overseas { region, .. } => Ok(region.clone()),
        }
    }

    fn find_retry(
        &self,
        conn: &mut DbConn,
        who: &Principal,
        request: &CheckoutRequest,
    ) -> Result<Option<Placed>, AppError> {
        match q::by_idempotency_key(conn, who.user_id.get(), &request.idempotency_key)? {
            Some((number, digest))
                if same_request(&digest, &request_digest(request, None)) || request.items.is_none() =>
            {
                // A cart's retry is not compared item by item (the cart is gone), but buying for
                // the organisation or not is part of what was asked.
                if request.items.is_none()
                    && crate::db::organisations::has_invoice(conn, &number)? != request.for_organisation
                {
                    return Err(AppError::Conflict { key: "checkout.error.key_reused" });
                }
                Ok(Some(Placed { number, created: false }))
            }
            Some(_) => Err(AppError::Conflict { key: "checkout.error.key_reused" }),
            None => Ok(None),
        }
    }

    /// Refuses a checkout whose stock is already short (read only; see [`Orders::checkout`]).
    fn refuse_sold_out(&self, conn: &mut DbConn, who: &Principal, request: &CheckoutRequest) -> Result<(), AppError> {
        let wanted = match &request.items {
            Some(items) => merge_items(items)?,
            None => match carts::find(conn, &carts::CartOwner::User(who.user_id.get()))? {
                Some(cart) => carts::lines(conn, cart)?,
                None => return Ok(()),
            },
        };
        let keys: Vec<CartKey> = wanted.iter().map(|(k, _)| *k).collect();
        let units = Units::load(conn, &keys)?;
        for (key, quantity) in &wanted {
            if let Some(u) = units.unit(*key).ok().filter(|u| !u.product.made_to_order && u.stock() < *quantity) {
                return Err(short_of_stock(&u, request.lang, u.stock()));
            }
        }
        Ok(())
    }

    /// The transaction of a checkout (run by [`crate::db::Db::write`]).
    fn place(
        &self,
        conn: &mut DbConn,
        who: &Principal,
        request: &CheckoutRequest,
        region_text: &str,
    ) -> Result<Placed, AppError> {
        let user = who.user_id.get();
        let cart = match request.items {
            Some(_) => None,
            None => carts::find(conn, &carts::CartOwner::User(user))?,
        };
        let wanted = match (&request.items, cart) {
            (Some(items), _) => merge_items(items)?,
            (None, Some(cart)) => carts::lines(conn, cart)?,
            (None, None) => Vec::new(),
        };
        let digest = request_digest(request, Some(&wanted));
        if let Some((number, first_digest)) = q::by_idempotency_key(conn, user, &request.idempotency_key)? {
            // The cart is emptied by the first attempt, so a retry of a cart checkout cannot
            // be compared item by item; its key alone identifies it.
            if same_request(&first_digest, &digest) || request.items.is_none() {
                return Ok(Placed { number, created: false });
            }
            return Err(AppError::Conflict { key: "checkout.error.key_reused" });
        }
        if wanted.is_empty() {
            return Err(AppError::Conflict { key: "checkout.error.empty" });
        }
        let keys: Vec<CartKey> = wanted.iter().map(|(k, _)| *k).collect();
        let units = Units::load(conn, &keys)?;
        let today = self.clock.today();
        let en = request.lang == Lang::En;
        let unavailable =
            |title: String| AppError::ConflictWith { key: "checkout.error.unavailable", args: vec![("title", title)] };
        // Check everything first; the stock is taken last (below).
        let mut unit_of: BTreeMap<CartKey, Unit<'_>> = BTreeMap::new();
        for (key, quantity) in &wanted {
            let unit = match units.unit(*key) {
                Ok(u) => u,
                Err(Unresolved::ChooseVariant) => {
                    return Err(AppError::BadRequest { field: "variant_id", key: "cart.error.choose_variant" })
                }
                Err(Unresolved::NoVariant) => {
                    let title = units
                        .products
                        .get(&key.product)
                        .map_or(format!("#{}", key.product), |p| Unit { product: p, variant: None }.title(en));
                    return Err(unavailable(title));
                }
                Err(Unresolved::NoProduct) => return Err(unavailable(format!("#{}", key.product))),
            };
            let p = unit.product;
            if !on_sale(p, today) {
                return Err(unavailable(unit.title(en)));
            }
            unit_of.insert(*key, unit);
            let max = self.max_quantity(p.made_to_order, i64::MAX);
            if *quantity > max {
                let key = if p.made_to_order { "cart.error.made_to_order_max" } else { "cart.error.only_left" };
                return Err(AppError::invalid("quantity", key, &[("max", max.to_string())]));
            }
        }
        // One parcel per workshop, each with its own shipping rule.
        let mut parcels: BTreeMap<i64, Vec<(CartKey, i64)>> = BTreeMap::new();
        for (key, quantity) in &wanted {
            parcels.entry(unit_of[key].product.workshop_id).or_default().push((*key, *quantity));
        }
        let mut shipping_by_workshop = Vec::new();
        let (mut items_fen, mut shipping_fen) = (0i64, 0i64);
        // Money past i64 is refused as the request's fault, never wrapped.
        let too_large = || AppError::BadRequest { field: "quantity", key: "error.quantity_too_large" };
        for (workshop, lines) in &parcels {
            let subtotal = lines
                .iter()
                .try_fold(0i64, |sum, (k, q)| unit_of[k].price_fen().checked_mul(*q).and_then(|l| sum.checked_add(l)))
                .ok_or_else(too_large)?;
            let first = unit_of[&lines[0].0].product;
            let rule =
                ShippingRule { flat: Fen(first.shipping_flat_fen), free_over: first.free_shipping_over_fen.map(Fen) };
            let fee = rule.fee(Fen(subtotal)).get();
            shipping_by_workshop.push((*workshop, fee));
            items_fen = items_fen.checked_add(subtotal).ok_or_else(too_large)?;
            shipping_fen = shipping_fen.checked_add(fee).ok_or_else(too_large)?;
        }
        let total_fen = items_fen.checked_add(shipping_fen).ok_or_else(too_large)?;
        // Cash on delivery is one parcel, paid to one workshop's courier, at a Chinese door.
        if request.payment_method == PaymentMethod::CashOnDelivery {
            if !matches!(request.address.destination, Destination::China { .. }) {
                return Err(AppError::BadRequest { field: "payment_method", key: "checkout.error.cod_china" });
            }
            if parcels.len() > 1 {
                return Err(AppError::BadRequest { field: "payment_method", key: "checkout.error.cod_one_workshop" });
            }
        }
        let now = self.now();
        let number = order_number(today, &rand::random::<[u8; 6]>());
        let (region_code, country) = match &request.address.destination {
            Destination::China { county } => (Some(county.as_str().to_owned()), "CN".to_owned()),
            Destination::Overseas { country, .. } => (None, country.clone()),
        };
        let order_id = q::insert_order(
            conn,
            &NewOrder {
                number: number.clone(),
                user_id: user,
                idempotency_key: request.idempotency_key.clone(),
                request_digest: digest,
                status: match request.payment_method {
                    PaymentMethod::CashOnDelivery => OrderStatus::AwaitingAcceptance,
                    PaymentMethod::BankTransfer | PaymentMethod::Stripe => OrderStatus::PendingPayment,
                }
                .as_str()
                .into(),
                payment_method: request.payment_method.as_str().into(),
                currency: "CNY".into(),
                items_fen,
                shipping_fen,
                total_fen,
                buyer_email: who.email.clone(),
                lang: request.lang.code().into(),
                recipient: request.address.recipient.clone(),
                phone: request.address.phone.clone(),
                country,
                region_code,
                region_text: region_text.to_owned(),
                address_line: request.address.line.clone(),
                postal_code: request.address.postal_code.clone(),
                reserved_until: now + self.config.hold(request.payment_method),
                created_at: now,
                updated_at: now,
            },
        )?;
        let ids: Vec<i64> = units.products.keys().copied().collect();
        let makers = q::makers_of(conn, &ids)?;
        for (workshop, fee) in shipping_by_workshop {
            let shipment = q::insert_shipment(conn, order_id, workshop, fee)?;
            for (key, quantity) in &parcels[&workshop] {
                let line = q::insert_line(conn, &frozen_line(order_id, shipment, &unit_of[key], *quantity))?;
                for (_, worker, role, share) in makers.iter().filter(|m| m.0 == key.product) {
                    q::insert_line_maker(conn, line, *worker, role, *share)?;
                }
            }
        }
        if request.for_organisation {
            // The invoice details as they stand now: a later change to the organisation
            // changes no order placed before it.
            let (org, _) = crate::db::organisations::membership(conn, user)?
                .ok_or(AppError::BadRequest { field: "for_organisation", key: "error.not_a_member" })?;
            crate::db::organisations::insert_invoice(conn, order_id, &org)?;
        }
        if let Some(cart) = cart {
            carts::clear(conn, cart)?;
        }
        self.queue_order_mail(conn, order_id, super::notify::OrderMail::Placed)?;
        if request.payment_method == PaymentMethod::CashOnDelivery {
            self.queue_order_mail(conn, order_id, super::notify::OrderMail::CodRequested)?;
        }
        self.take_stock(conn, &wanted, &unit_of, request.lang)?;
        Ok(Placed { number, created: true })
    }

    /// Takes the stock last, in id order: a product's row stays locked (PostgreSQL) from its
    /// conditional update to the commit, so the hottest rows are held for the shortest time.
    /// A product with variants is locked first (its sale counted), then its variants in id
    /// order, so two checkouts of one product's variants wait on the product, never on each
    /// other in a circle. A line short of stock rolls the whole order back.
    fn take_stock(
        &self,
        conn: &mut DbConn,
        wanted: &[(CartKey, i64)],
        unit_of: &BTreeMap<CartKey, Unit<'_>>,
        lang: Lang,
    ) -> Result<(), AppError> {
        let mut counted: Option<i64> = None;
        for (key, quantity) in wanted {
            let unit = &unit_of[key];
            let p = unit.product;
            let taken = match key.variant {
                None if p.made_to_order => q::count_made_to_order(conn, p.id, *quantity)?,
                None => q::take_stock(conn, p.id, *quantity)?,
                Some(v) => {
                    if counted != Some(p.id) {
                        counted = Some(p.id);
                        let of_product = wanted
                            .iter()
                            .filter(|(k, _)| k.product == p.id)
                            .try_fold(0i64, |sum, (_, q)| sum.checked_add(*q))
                            .ok_or(AppError::BadRequest { field: "quantity", key: "error.quantity_too_large" })?;
                        if !variants::count_product_sale(conn, ProductId(p.id), of_product)? {
                            return Err(short_of_stock(unit, lang, 0));
                        }
                    }
                    variants::take_stock(conn, ProductId(p.id), v, *quantity, p.made_to_order)?
                }
            };
            if !taken {
                let left = match key.variant {
                    Some(v) => variants::variant(conn, ProductId(p.id), v)?.map_or(0, |row| row.stock),
                    None => q::sale_products(conn, &[p.id])?.first().map_or(0, |p| p.stock),
                };
                return Err(short_of_stock(unit, lang, left));
            }
        }
        Ok(())
    }
}

/// "Sold out", or "only {left} left", naming the product (and variant) in the buyer's language.
fn short_of_stock(unit: &Unit<'_>, lang: Lang, left: i64) -> AppError {
    let key = if left == 0 { "checkout.error.sold_out" } else { "checkout.error.not_enough" };
    AppError::ConflictWith { key, args: vec![("title", unit.title(lang == Lang::En)), ("left", left.to_string())] }
}

/// Whether a product may be bought today: active, its workshop active and certified.
fn on_sale(p: &SaleProduct, today: NaiveDate) -> bool {
    p.status == "active"
        && p.workshop_status == "active"
        && certification_status(p.cert_issued_on, p.cert_last_confirmed_on, today).is_listable()
}

/// The line as sold: everything the income attribution will use, frozen. A variant's price is
/// the line's unit price; the variant itself, its SKU and label are kept for the slip.
fn frozen_line(order: i64, shipment: i64, unit: &Unit<'_>, quantity: i64) -> NewLine {
    let p = unit.product;
    let label = unit.variant.map(|v| v.label());
    NewLine {
        order_id: order,
        shipment_id: shipment,
        product_id: p.id,
        workshop_id: p.workshop_id,
        heritage_item_id: p.heritage_item_id,
        county_code: p.county_code.clone(),
        title_zh: p.title_zh.clone(),
        title_en: p.title_en.clone(),
        trace_code: p.trace_code.clone(),
        unit_price_fen: unit.price_fen(),
        quantity: i32::try_from(quantity).unwrap_or(i32::MAX),
        commission_bp: p.commission_bp,
        wage_rule: p.wage_rule.clone(),
        wage_bp: p.wage_bp,
        piece_rate_fen: p.piece_rate_fen,
        designer_id: p.designer_id.filter(|_| p.designer_bp > 0),
        designer_bp: p.designer_bp,
        made_to_order: p.made_to_order,
        lead_time_days: unit.lead_time_days(),
        variant_id: unit.variant.map(|v| v.id),
        sku: unit.variant.map(|v| v.sku.clone()),
        variant_zh: label.as_ref().map(|l| l.zh.clone()),
        variant_en: label.map(|l| l.en),
    }
}
