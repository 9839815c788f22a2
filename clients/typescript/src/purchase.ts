// A program that buys through the client generated from Gongfang's OpenAPI document: the demo
// buyer signs in, finds a piece in stock by search, puts it in the cart, checks out with a bank
// transfer to a mainland address, the operator confirms the payment, and the buyer reads the
// paid order and its impact receipt, whose figures must add up.
//
// Every response body is typed by src/generated/api.ts (openapi-typescript, made from the live
// document; see README.md), without casts: if the document lacks a schema the program needs,
// this file does not type-check.
//
// Usage: node dist/purchase.js BASE_URL   (or GONGFANG_URL); one line per step, exit 1 on failure.

import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./generated/api.js";

type Api = Client<paths>;
// Types are taken from the operations, not from component names, so that renaming a schema in
// the document changes nothing here; a response without a JSON schema makes them `never`.
type Json<Op, Status extends number> = Op extends {
  responses: { [S in Status]: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;
type IssuedToken = Json<paths["/api/v1/auth/tokens"]["post"], 201>;
type OrderView = Json<paths["/api/v1/orders/{number}"]["get"], 200>;
type LineView = OrderView["parcels"][number]["lines"][number];
type ImpactReceipt = NonNullable<Json<paths["/api/v1/orders/{number}/impact"]["get"], 200>>;
type PublicCount = ImpactReceipt["makers"];
type CheckoutBody = NonNullable<paths["/api/v1/checkout"]["post"]["requestBody"]>["content"]["application/json"];

const PASSWORD = process.env.GONGFANG_DEMO_PASSWORD ?? "gongfang-demo";
const BUYER = process.env.GONGFANG_BUYER_EMAIL ?? "buyer@demo.gongfang.cn";
const OPERATOR = process.env.GONGFANG_OPERATOR_EMAIL ?? "operator@demo.gongfang.cn";
// Searched in turn until one finds a stocked piece: lacquer, silver, embroidery, then everything.
const QUERIES = (process.env.PURCHASE_QUERIES ?? "漆器,银饰,embroidery,").split(",");
// A mainland address: 喜德县, 凉山州, 四川省.
const ADDRESS = {
  recipient: "测试买家",
  phone: "13800138000",
  country: "CN",
  county_code: "513432",
  line: "光明镇人民路 1 号",
  postal_code: "616750",
} satisfies Partial<CheckoutBody>;

class StepFailed extends Error {}

let stepNumber = 0;
function say(text: string): void {
  stepNumber += 1;
  console.log(`purchase: ${String(stepNumber).padStart(2)} ok  ${text}`);
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new StepFailed(what);
}

/** The body of a response with the expected status; anything else fails the step. */
function expect<D>(
  what: string,
  result: { data?: D; error?: unknown; response: Response },
  status: number,
): D {
  const got = result.response.status;
  if (got !== status || result.data === undefined) {
    const body = result.error === undefined ? "" : ` ${JSON.stringify(result.error)}`;
    throw new StepFailed(`${what}: expected ${status}, got ${got}${body}`);
  }
  return result.data;
}

function client(baseUrl: string, token?: string): Api {
  const headers: Record<string, string> = { "Accept-Language": "en" };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  return createClient<paths>({
    baseUrl,
    headers,
    fetch: (request: Request) => fetch(request, { signal: AbortSignal.timeout(30_000) }),
  });
}

async function signIn(api: Api, email: string): Promise<IssuedToken> {
  const issued = expect(
    `POST /api/v1/auth/tokens (${email})`,
    await api.POST("/api/v1/auth/tokens", { body: { email, password: PASSWORD } }),
    201,
  );
  check(issued.token.length > 0, "the token is empty");
  check(issued.user.email === email, `the token is for ${issued.user.email}, not ${email}`);
  return issued;
}

/** Rounds n / d half up (n ≥ 0, d > 0), as the server does. */
function divRoundHalfUp(n: number, d: number): number {
  check(Number.isSafeInteger(n) && n >= 0, `amount out of range: ${n}`);
  return Math.floor((2 * n + d) / (2 * d));
}

/** A line's wage pool by its frozen terms (src/domain/attribution.rs). */
function wagePool(line: LineView): number {
  const gross = line.unit_price_fen * (line.quantity - line.refunded_quantity);
  const net = gross - divRoundHalfUp(gross * line.commission_bp, 10_000);
  switch (line.wage_rule) {
    case "share_of_net":
      check(line.wage_bp !== null && line.wage_bp !== undefined, `line ${line.id}: share_of_net without wage_bp`);
      return divRoundHalfUp(net * line.wage_bp, 10_000);
    case "piece_rate":
      check(
        line.piece_rate_fen !== null && line.piece_rate_fen !== undefined,
        `line ${line.id}: piece_rate without piece_rate_fen`,
      );
      return Math.min(line.piece_rate_fen * (line.quantity - line.refunded_quantity), net);
    default:
      throw new StepFailed(`line ${line.id}: unknown wage rule ${line.wage_rule}`);
  }
}

function countText(count: PublicCount): string {
  switch (count.kind) {
    case "exact":
      return String(count.value);
    case "fewer_than":
      return `fewer than ${count.value}`;
    case "withheld":
      return "withheld";
  }
}

async function findStockedProduct(api: Api): Promise<{ id: number; title: string; price_fen: number }> {
  for (const q of QUERIES) {
    const page = expect(
      `GET /api/v1/search?q=${q}`,
      await api.GET("/api/v1/search", { params: { query: { q, in_stock: true, per_page: 20 } } }),
      200,
    );
    check(page.hits.length <= page.total, `search ${q}: ${page.hits.length} hits of a total of ${page.total}`);
    const hit = page.hits.find((h) => h.in_stock && !h.made_to_order && h.stock >= 1);
    if (hit !== undefined) {
      say(`search ${JSON.stringify(q)}: ${page.total} hits; chose product ${hit.id} "${hit.title.en}" (${hit.stock} in stock, ¥${(hit.price_fen / 100).toFixed(2)})`);
      return { id: hit.id, title: hit.title.en, price_fen: hit.price_fen };
    }
  }
  throw new StepFailed(`no stocked piece found by searching ${JSON.stringify(QUERIES)}`);
}

async function main(): Promise<void> {
  const baseUrl = (process.argv[2] ?? process.env.GONGFANG_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  const anonymous = client(baseUrl);

  // 1. The buyer signs in.
  const buyerToken = await signIn(anonymous, BUYER);
  check(buyerToken.user.role === "buyer", `${BUYER} has the role ${buyerToken.user.role}`);
  say(`signed in as ${buyerToken.user.email} (user ${buyerToken.user.id}, ${buyerToken.user.role}): bearer token`);
  const buyer = client(baseUrl, buyerToken.token);

  // 2. Search for a piece in stock.
  const product = await findStockedProduct(buyer);

  // 3. An empty cart, then the piece in it.
  const before = expect("GET /api/v1/cart", await buyer.GET("/api/v1/cart"), 200);
  for (const line of before.parcels.flatMap((p) => p.lines)) {
    const done = expect(
      `POST /api/v1/cart/items/${line.product_id} (quantity 0)`,
      await buyer.POST("/api/v1/cart/items/{product_id}", {
        params: { path: { product_id: line.product_id } },
        body: { quantity: 0 },
      }),
      200,
    );
    check(done.ok, "removing a cart line did not answer ok");
  }
  const added = expect(
    "POST /api/v1/cart/items",
    await buyer.POST("/api/v1/cart/items", { body: { product_id: product.id, quantity: 1 } }),
    200,
  );
  check(added.ok, "adding to the cart did not answer ok");
  const cart = expect("GET /api/v1/cart", await buyer.GET("/api/v1/cart"), 200);
  const cartLines = cart.parcels.flatMap((p) => p.lines);
  check(cartLines.length === 1 && cartLines[0]?.product_id === product.id, `the cart holds ${JSON.stringify(cartLines)}`);
  check(!cart.has_problems, "the cart has problems");
  check(cart.items_fen === product.price_fen, `cart items ${cart.items_fen} ≠ price ${product.price_fen}`);
  check(cart.total_fen === cart.items_fen + cart.shipping_fen, "cart total ≠ items + shipping");
  say(`cart: ${cart.count} piece, items ¥${cart.items_fen / 100} + shipping ¥${cart.shipping_fen / 100} = ¥${cart.total_fen / 100}` +
    (before.count > 0 ? ` (emptied ${before.count} pieces first)` : ""));

  // 4. Checkout by bank transfer to a mainland address; a retry with the same key finds it.
  const idempotency_key = `ts-client-${crypto.randomUUID()}`;
  const body: CheckoutBody = { ...ADDRESS, payment_method: "bank_transfer", idempotency_key };
  const placed = expect("POST /api/v1/checkout", await buyer.POST("/api/v1/checkout", { body }), 201);
  check(placed.created, "a first checkout says created: false");
  const again = expect("POST /api/v1/checkout (retry)", await buyer.POST("/api/v1/checkout", { body }), 200);
  check(again.number === placed.number && !again.created, `the retry found ${again.number} (created ${again.created})`);
  say(`checkout: order ${placed.number} placed (bank transfer); a retry with the same idempotency key found it`);
  const number = placed.number;

  // 5. The order as placed: awaiting the transfer, and no receipt yet.
  const placedOrder = expect(
    `GET /api/v1/orders/${number}`,
    await buyer.GET("/api/v1/orders/{number}", { params: { path: { number } } }),
    200,
  );
  check(placedOrder.number === number, `asked for ${number}, got ${placedOrder.number}`);
  check(placedOrder.status === "pending_payment", `status ${placedOrder.status}, not pending_payment`);
  check(placedOrder.payment_method === "bank_transfer", `payment method ${placedOrder.payment_method}`);
  check(placedOrder.paid_at === null || placedOrder.paid_at === undefined, "an unpaid order has paid_at");
  check(placedOrder.next_step === "transfer", `next step ${placedOrder.next_step}, not transfer`);
  check(placedOrder.total_fen === cart.total_fen, `order total ${placedOrder.total_fen} ≠ cart total ${cart.total_fen}`);
  const lines = placedOrder.parcels.flatMap((p) => p.lines);
  const linesFen = lines.reduce((sum, l) => sum + l.line_fen, 0);
  const parcelShipping = placedOrder.parcels.reduce((sum, p) => sum + p.shipping_fen, 0);
  check(linesFen === placedOrder.items_fen, `lines sum to ${linesFen}, items_fen is ${placedOrder.items_fen}`);
  check(parcelShipping === placedOrder.shipping_fen, `parcels' shipping ${parcelShipping} ≠ ${placedOrder.shipping_fen}`);
  check(placedOrder.total_fen === placedOrder.items_fen + placedOrder.shipping_fen, "total ≠ items + shipping");
  check(placedOrder.region_code === ADDRESS.county_code, `region ${placedOrder.region_code}`);
  const receiptBefore = expect(
    `GET /api/v1/orders/${number}/impact (unpaid)`,
    await buyer.GET("/api/v1/orders/{number}/impact", { params: { path: { number } } }),
    200,
  );
  check(receiptBefore === null, `an unpaid order has a receipt: ${JSON.stringify(receiptBefore)}`);
  say(`order ${number}: ${placedOrder.status}, next step ${placedOrder.next_step}, ${lines.length} line(s), ` +
    `¥${placedOrder.total_fen / 100}, held until ${placedOrder.deadline ?? placedOrder.reserved_until}; no receipt yet`);

  // 6. The operator confirms the bank transfer.
  const operatorToken = await signIn(anonymous, OPERATOR);
  check(operatorToken.user.role === "operator", `${OPERATOR} has the role ${operatorToken.user.role}`);
  const operator = client(baseUrl, operatorToken.token);
  const confirmed = expect(
    `POST /api/v1/portal/orders/${number}/confirm-payment`,
    await operator.POST("/api/v1/portal/orders/{number}/confirm-payment", {
      params: { path: { number } },
      body: { reference: `BANK-${number}` },
    }),
    200,
  );
  check(confirmed.ok, "confirm-payment did not answer ok");
  say(`operator ${operatorToken.user.email} confirmed the bank transfer`);

  // 7. The order is paid.
  const paid = expect(
    `GET /api/v1/orders/${number} (paid)`,
    await buyer.GET("/api/v1/orders/{number}", { params: { path: { number } } }),
    200,
  );
  check(paid.status === "paid", `status ${paid.status}, not paid`);
  check(typeof paid.paid_at === "string" && !Number.isNaN(Date.parse(paid.paid_at)), `paid_at ${paid.paid_at}`);
  check(paid.total_fen === placedOrder.total_fen && paid.refunded_fen === 0, "the paid order's amounts changed");
  check(paid.payment !== null && paid.payment !== undefined, "a paid order has no payment");
  check(paid.viewer === "buyer", `the buyer is shown the order as ${paid.viewer}`);
  // The bank's reference is staff's to see: the operator's view of the order carries it.
  const staffView = expect(
    `GET /api/v1/orders/${number} (operator)`,
    await operator.GET("/api/v1/orders/{number}", { params: { path: { number } } }),
    200,
  );
  check(staffView.viewer === "operator", `the operator is shown the order as ${staffView.viewer}`);
  check(staffView.payment?.reference === `BANK-${number}`, `payment reference ${staffView.payment?.reference}`);
  say(`order ${number}: ${paid.status} at ${paid.paid_at}, payment ${paid.payment.provider} ${paid.payment.status}` +
    ` (the operator sees the reference ${staffView.payment.reference})`);

  // 8. The impact receipt adds up: what was paid, and the makers' wages by each line's frozen terms.
  const receipt = expect(
    `GET /api/v1/orders/${number}/impact (paid)`,
    await buyer.GET("/api/v1/orders/{number}/impact", { params: { path: { number } } }),
    200,
  );
  check(receipt !== null, "a paid order has no impact receipt");
  const paidFen = paid.total_fen - paid.refunded_fen;
  check(receipt.paid_fen === paidFen, `receipt paid_fen ${receipt.paid_fen} ≠ order total − refunds ${paidFen}`);
  const pools = paid.parcels.flatMap((p) => p.lines).reduce((sum, l) => sum + wagePool(l), 0);
  check(receipt.wages_fen === pools, `receipt wages_fen ${receipt.wages_fen} ≠ the lines' wage pools ${pools}`);
  check(receipt.wages_fen >= 0 && receipt.wages_fen <= paid.items_fen, `wages ${receipt.wages_fen} outside 0..items`);
  check(receipt.makers.kind !== "withheld", "the number of makers is withheld");
  if (receipt.wages_fen > 0) {
    check(receipt.makers.kind === "fewer_than" || receipt.makers.value >= 1, "wages went to no maker");
    check(receipt.places_zh.length > 0 && receipt.places_zh.length === receipt.places_en.length, "no places named");
  }
  say(`impact receipt: of ¥${receipt.paid_fen / 100} paid, ¥${receipt.wages_fen / 100} went to the wages of ` +
    `${countText(receipt.makers)} makers in ${receipt.places_en.join(", ")} (poor households: ` +
    `${countText(receipt.poor_household_makers)}); adds up to the lines' wage pools`);
}

main().then(
  () => {
    console.log(`purchase: all ${stepNumber} steps ok`);
  },
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    console.error(`purchase: FAILED after ${stepNumber} steps: ${message}`);
    process.exitCode = 1;
  },
);
