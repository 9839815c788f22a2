//! Orders as pages and the API show them: the buyer's history and order page (every parcel,
//! with the makers and region of each piece), a workshop's queue (only its own parcels), and
//! the operators' search.

use super::next::{next_step, NextStep};
use super::{order_for, Orders, Standing};
use crate::db::order_views::{self as v, OrderRow, QueueFilter};
use crate::db::payments as pay;
use crate::db::refunds::{self as rq, RefundRow};
use crate::db::DbConn;
use crate::domain::account::Principal;
use crate::domain::order::{within_return_window, OrderStatus, PaymentMethod, ShipmentStatus};
use crate::error::AppError;
use crate::i18n::Lang;
use serde::Serialize;

/// Orders per page in lists.
pub const PAGE_SIZE: i64 = 20;

/// One page of a list of orders (20 a page; `more` when another follows).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderPage {
    pub orders: Vec<OrderRow>,
    pub page: i64,
    pub more: bool,
}

impl OrderPage {
    /// From up to `PAGE_SIZE + 1` rows: the extra one only says that another page follows.
    fn of(mut rows: Vec<OrderRow>, page: i64) -> OrderPage {
        let more = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        OrderPage { orders: rows, page, more }
    }
}

/// One order with everything its page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: OrderRow,
    pub parcels: Vec<ParcelView>,
    pub refunds: Vec<RefundRow>,
    pub payment: Option<PaymentView>,
    /// How the viewer stands to the order: `buyer`, `workshop` or `operator`.
    pub viewer: &'static str,
    /// What happens next (see [`NextStep`]); none once the order is settled or cancelled.
    pub next_step: Option<NextStep>,
    /// By when the next step must happen (RFC 3339, China time), when it has a deadline: the
    /// end of the hold of an unpaid order, automatic receipt, or the end of the return window.
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub deadline: Option<chrono::NaiveDateTime>,
    /// The platform's account, while a bank transfer is awaited (when one is configured).
    pub pay_to: Option<String>,
    /// What the viewer may do now.
    pub can: Abilities,
}

/// One workshop's parcel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParcelView {
    #[serde(flatten)]
    pub shipment: v::ShipmentRow,
    pub workshop_name: String,
    pub lines: Vec<LineView>,
    pub can_ship: bool,
    pub can_deliver: bool,
}

/// A line as sold, with its makers and region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineView {
    #[serde(flatten)]
    pub line: v::LineRow,
    pub title: String,
    /// The variant's label in the page's language ("17 cm / 红"), if the line has one.
    pub variant: Option<String>,
    pub line_fen: i64,
    /// "四川省 凉山彝族自治州 喜德县".
    pub region: String,
    pub makers: Vec<MakerView>,
    /// The buyer may ask to return it now.
    pub returnable: bool,
    /// The buyer may review it now (its parcel was delivered and it has no review yet).
    pub reviewable: bool,
    /// It has its review.
    pub reviewed: bool,
}

/// A maker as the buyer may see them: the name only with consent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OrderLineMaker)]
pub struct MakerView {
    pub worker_id: Option<i64>,
    pub name: Option<String>,
    pub role: String,
}

/// The payment, without anything sensitive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub provider: String,
    pub status: String,
    pub reference: String,
}

/// The moves open to the viewer.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Abilities {
    pub pay: bool,
    pub cancel: bool,
    pub confirm_payment: bool,
    pub refund: bool,
    /// Accept a cash-on-delivery order (its workshop, or an operator).
    pub accept: bool,
    /// Refuse cash on delivery, or, once shipped, record that the buyer did not pay.
    pub refuse: bool,
}

/// A part of an order named by its own id.
#[derive(Debug, Clone, Copy)]
pub enum OrderPart {
    Parcel(i64),
    Line(i64),
}

/// Sets the order's totals to those of `parcels` only (a workshop's side of a shared order).
fn own_totals(order: &mut OrderRow, parcels: &[ParcelView]) -> Result<(), AppError> {
    let overflow = || AppError::Internal(anyhow::anyhow!("order totals overflow i64 fen"));
    let (mut items, mut shipping, mut refunded) = (0i64, 0i64, 0i64);
    for p in parcels {
        shipping = shipping.checked_add(p.shipment.shipping_fen).ok_or_else(overflow)?;
        refunded = refunded.checked_add(p.shipment.shipping_refunded_fen).ok_or_else(overflow)?;
        for l in &p.lines {
            items = items.checked_add(l.line_fen).ok_or_else(overflow)?;
            refunded = refunded.checked_add(l.line.refunded_fen).ok_or_else(overflow)?;
        }
    }
    order.items_fen = items;
    order.shipping_fen = shipping;
    order.total_fen = items.checked_add(shipping).ok_or_else(overflow)?;
    order.refunded_fen = refunded;
    Ok(())
}

impl Orders {
    /// The order page of `number` for `who`.
    pub async fn order_view(&self, who: &Principal, number: String, lang: Lang) -> Result<OrderView, AppError> {
        let this = self.clone();
        let who = who.clone();
        self.db
            .run(move |conn| {
                let (order, standing) = order_for(conn, &who, &number)?;
                this.build_view(conn, order, standing, lang)
            })
            .await
    }

    fn build_view(
        &self,
        conn: &mut DbConn,
        order: OrderRow,
        standing: Standing,
        lang: Lang,
    ) -> Result<OrderView, AppError> {
        let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled);
        let all_lines = v::lines_of(conn, order.id)?;
        let ids: Vec<i64> = all_lines.iter().map(|l| l.id).collect();
        let makers = v::makers_of_lines(conn, &ids)?;
        let reviewed = crate::db::reviews::reviewed_lines(conn, &ids)?;
        let now = self.now();
        let mut parcels = Vec::new();
        let shipments = v::shipments_of(conn, order.id)?;
        // Staff of one workshop in an order of several see only their own side of it.
        let shared = matches!(standing, Standing::Workshop(w) if shipments.iter().any(|s| s.workshop_id != w.get()));
        for s in shipments {
            let own = match standing {
                Standing::Workshop(w) => w.get() == s.workshop_id,
                _ => true,
            };
            if !own {
                continue;
            }
            let lines = all_lines
                .iter()
                .filter(|l| l.shipment_id == s.id)
                .map(|l| {
                    let line_fen = l
                        .unit_price_fen
                        .checked_mul(i64::from(l.quantity))
                        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("line total overflows i64 fen")))?;
                    Ok(LineView {
                        title: if lang == Lang::En && !l.title_en.is_empty() {
                            l.title_en.clone()
                        } else {
                            l.title_zh.clone()
                        },
                        variant: if lang == Lang::En { l.variant_en.clone() } else { l.variant_zh.clone() },
                        line_fen,
                        region: self
                            .reference
                            .path(&l.county_code)
                            .iter()
                            .map(|r| if lang == Lang::En { r.name_pinyin.as_str() } else { r.name_zh.as_str() })
                            .collect::<Vec<_>>()
                            .join(if lang == Lang::En { ", " } else { " " }),
                        makers: makers
                            .iter()
                            .filter(|m| m.order_line_id == l.id)
                            .map(|m| MakerView {
                                worker_id: m.consent_name.then_some(m.worker_id),
                                name: m.consent_name.then(|| {
                                    if lang == Lang::En && !m.name_latin.is_empty() {
                                        m.name_latin.clone()
                                    } else {
                                        m.name_zh.clone()
                                    }
                                }),
                                role: m.role.clone(),
                            })
                            .collect(),
                        returnable: standing == Standing::Buyer
                            && status.is_paid()
                            && l.refunded_quantity < l.quantity
                            && within_return_window(
                                s.delivered_at,
                                l.made_to_order,
                                self.config.return_window_days,
                                now,
                            )
                            .is_ok(),
                        reviewable: standing == Standing::Buyer
                            && s.status == ShipmentStatus::Delivered.as_str()
                            && !reviewed.contains(&l.id),
                        reviewed: reviewed.contains(&l.id),
                        line: l.clone(),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let shipment_status = ShipmentStatus::parse(&s.status).unwrap_or(ShipmentStatus::Cancelled);
            parcels.push(ParcelView {
                workshop_name: if lang == Lang::En { s.workshop_name_en.clone() } else { s.workshop_name_zh.clone() },
                can_ship: standing != Standing::Buyer
                    && shipment_status == ShipmentStatus::Pending
                    && status.may_ship(),
                can_deliver: shipment_status == ShipmentStatus::Shipped,
                lines,
                shipment: s,
            });
        }
        let payment = pay::payment_of(conn, order.id)?.map(|p| PaymentView {
            reference: if p.provider == "stripe" || standing != Standing::Buyer {
                p.provider_ref
            } else {
                String::new()
            },
            provider: p.provider,
            status: p.status,
        });
        let method = PaymentMethod::parse(&order.payment_method);
        let staff = standing != Standing::Buyer;
        let shipped = parcels.iter().any(|p| p.shipment.status == ShipmentStatus::Shipped.as_str());
        let all_shipped = parcels.iter().all(|p| p.shipment.status != ShipmentStatus::Pending.as_str());
        let can = Abilities {
            pay: standing == Standing::Buyer
                && status == OrderStatus::PendingPayment
                && method == Some(PaymentMethod::Stripe),
            cancel: status.is_open() && (standing == Standing::Operator || (standing == Standing::Buyer && !shipped)),
            confirm_payment: !shared
                && match method {
                    Some(PaymentMethod::BankTransfer) => {
                        standing == Standing::Operator && status == OrderStatus::PendingPayment
                    }
                    Some(PaymentMethod::CashOnDelivery) => staff && status == OrderStatus::Accepted && all_shipped,
                    _ => false,
                },
            refund: staff && status.is_paid(),
            accept: staff && status == OrderStatus::AwaitingAcceptance,
            refuse: staff
                && (status == OrderStatus::AwaitingAcceptance || (status == OrderStatus::Accepted && shipped)),
        };
        let (next_step, deadline) =
            next_step(&order, status, &parcels, self.config.auto_deliver_days, self.config.return_window_days);
        let mut refunds = rq::refunds_of(conn, order.id)?;
        let mut order = order;
        if shared {
            refunds.retain(|r| {
                parcels.iter().any(|p| {
                    r.shipment_id == Some(p.shipment.id) || p.lines.iter().any(|l| r.order_line_id == Some(l.line.id))
                })
            });
            own_totals(&mut order, &parcels)?;
        }
        Ok(OrderView {
            refunds,
            pay_to: self.config.bank_payee.clone().filter(|_| next_step == Some(NextStep::Transfer)),
            next_step,
            deadline,
            viewer: match standing {
                Standing::Buyer => "buyer",
                Standing::Workshop(_) => "workshop",
                Standing::Operator => "operator",
            },
            order,
            parcels,
            payment,
            can,
        })
    }

    /// The number of the order a parcel or a line is in (to draw the order's page again; the
    /// page itself checks who may see it).
    pub async fn number_of(&self, part: OrderPart) -> Result<String, AppError> {
        self.db
            .run(move |conn| {
                let order = match part {
                    OrderPart::Parcel(id) => v::shipment(conn, id)?.map(|s| s.order_id),
                    OrderPart::Line(id) => v::line(conn, id)?.map(|l| l.order_id),
                };
                Ok(v::order_by_id(conn, order.ok_or(AppError::NotFound)?)?.number)
            })
            .await
    }

    /// A buyer's orders, newest first, a page at a time.
    pub async fn my_orders(&self, who: &Principal, page: i64) -> Result<OrderPage, AppError> {
        let user = who.user_id.get();
        let offset = (page.max(1) - 1) * PAGE_SIZE;
        let rows = self.db.run(move |conn| Ok(v::orders_of_user(conn, user, offset, PAGE_SIZE + 1)?)).await?;
        Ok(OrderPage::of(rows, page))
    }

    /// A workshop's parcels to confirm, ship, or that are on their way.
    pub async fn workshop_queue(
        &self,
        who: &Principal,
        workshop: i64,
        filter: QueueFilter,
        page: i64,
    ) -> Result<OrderPage, AppError> {
        super::authorize_workshop(who, crate::accounts::authz::Action::FulfilOrders, workshop)?;
        let offset = (page.max(1) - 1) * PAGE_SIZE;
        let rows =
            self.db.run(move |conn| Ok(v::workshop_queue(conn, workshop, filter, offset, PAGE_SIZE + 1)?)).await?;
        Ok(OrderPage::of(rows.into_iter().map(|(_, o)| o).collect(), page))
    }

    /// Operators' order search.
    pub async fn search(
        &self,
        who: &Principal,
        text: Option<String>,
        status: Option<String>,
        page: i64,
    ) -> Result<OrderPage, AppError> {
        crate::accounts::authz::authorize(Some(who), crate::accounts::authz::Action::SearchOrders, None)?;
        if let Some(s) = &status {
            if OrderStatus::parse(s).is_none() {
                return Err(AppError::BadRequest { field: "status", key: "order.error.unknown_status" });
            }
        }
        let offset = (page.max(1) - 1) * PAGE_SIZE;
        let rows = self
            .db
            .run(move |conn| Ok(v::search_orders(conn, text.as_deref(), status.as_deref(), offset, PAGE_SIZE + 1)?))
            .await?;
        Ok(OrderPage::of(rows, page))
    }
}
