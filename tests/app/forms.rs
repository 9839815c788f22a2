//! Forms keep what was typed (issue 16, item 3): every refused HTML form comes back with its
//! values (never a password) and the message beside its field, named by its label in the
//! user's language, marked `aria-invalid` and linked by `aria-describedby`; the JSON API still
//! answers 400 with `field` and `message`. Also: the product form's makers table without
//! script (item 8) and sign-up from checkout going back to checkout (item 12). Plain HTTP.

use crate::orders::stocked_product;
use crate::support::TestApp;
use crate::users::User;
use serde_json::{json, Value};

/// The opening tag of the first element named `name`.
pub fn tag<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no field {name} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// The value a field shows: an input's `value`, a text area's text, a select's chosen option.
pub fn kept(html: &str, name: &str) -> String {
    let t = tag(html, name);
    let attr = |t: &str, a: &str| t.split(&format!("{a}=\"")).nth(1).map(|v| v[..v.find('"').unwrap()].to_owned());
    let start = html.find(t).unwrap() + t.len();
    if t.starts_with("<textarea") {
        html[start..start + html[start..].find("</textarea>").unwrap()].to_owned()
    } else if t.starts_with("<select") {
        let body = &html[start..start + html[start..].find("</select>").unwrap()];
        body.split("<option").find(|o| o.contains(" selected")).and_then(|o| attr(o, "value")).unwrap_or_default()
    } else {
        attr(t, "value").unwrap_or_default()
    }
}

/// Every value of a repeated field (the makers' rows), in order.
fn kept_all(html: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&format!("name=\"{name}\"")) {
        let start = rest[..at].rfind('<').unwrap();
        out.push(kept(&rest[start..], name));
        rest = &rest[at + name.len()..];
    }
    out
}

/// The message drawn beside a field (its `{id}-error` element), checking that the field is
/// marked invalid and points at it.
pub fn message_beside(html: &str, name: &str) -> String {
    let t = tag(html, name);
    assert!(t.contains("aria-invalid=\"true\""), "{name} is marked invalid: {t}");
    let id = t.split("id=\"").nth(1).map(|v| &v[..v.find('"').unwrap()]).unwrap();
    let error_id = format!("{id}-error");
    assert!(t.contains(&error_id), "{name} points aria-describedby at its message: {t}");
    let at = html.find(&format!("id=\"{error_id}\"")).unwrap_or_else(|| panic!("no message {error_id}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// A signed-in buyer with one stocked product in the cart.
async fn buyer_with_a_cart(app: &TestApp) -> User {
    let buyer = User::demo(app, "buyer").await;
    let (product, _, _) = stocked_product(app, None, None);
    assert_eq!(buyer.form("/cart/items", &[("product_id", &product.to_string())]).await.0, 303);
    buyer
}

const ADDRESS: [(&str, &str); 8] = [
    ("recipient", "阿依"),
    ("phone", "12345"),
    ("country", "CN"),
    ("county_code", "513432"),
    ("line", "光明镇 1 号"),
    ("postal_code", "616750"),
    ("payment_method", "bank_transfer"),
    ("idempotency_key", "forms-test-0001"),
];

#[tokio::test]
async fn a_bad_phone_number_keeps_the_address_and_says_so_beside_the_phone() {
    let app = TestApp::spawn().await;
    let buyer = buyer_with_a_cart(&app).await;
    let orders = |v: Value| v["orders"].as_array().map(Vec::len).unwrap_or(0);
    let before = orders(buyer.get_json("/api/v1/orders").await.1);
    let (status, page) = buyer.form("/checkout", &ADDRESS).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("<form class=\"stack checkout-form\""), "the checkout form again, not an error page");
    for (name, value) in ADDRESS.iter().filter(|(k, _)| !matches!(*k, "idempotency_key" | "payment_method")) {
        assert_eq!(kept(&page, name), *value, "{name} is kept");
    }
    assert!(tag(&page, "payment_method").contains("checked"), "the payment method is kept");
    assert!(page.contains("<option value=\"510000\" selected"), "the kept county's province is chosen");
    let message = message_beside(&page, "phone");
    assert!(message.contains("13800138000"), "{message}");
    assert!(page.contains("class=\"form-errors\"") && page.contains("href=\"#f-phone\""), "the list above links to it");
    // Nothing was ordered.
    assert_eq!(orders(buyer.get_json("/api/v1/orders").await.1), before);

    // A county that is not one is said beside the county field, in English when asked.
    let mut bad_county = ADDRESS.to_vec();
    bad_county.retain(|(k, _)| !matches!(*k, "phone" | "county_code"));
    bad_county.extend([("phone", "13800138000"), ("county_code", "5134")]);
    let (status, page) = buyer.form("/checkout?lang=en", &bad_county).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "county_code"), "5134");
    assert!(tag(&page, "county_code").contains("id=\"county\""), "the region picker still finds the field");
    assert_eq!(message_beside(&page, "county_code"), "Please choose the county");

    // The JSON API keeps answering 400 with the field and a message.
    let mut body: Value =
        ADDRESS.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<serde_json::Map<_, _>>().into();
    body["idempotency_key"] = json!("forms-test-json-1");
    let (status, answer) = buyer.post_json("/api/v1/checkout", &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["field"], "phone");
    assert!(!answer["error"]["message"].as_str().unwrap().is_empty());

    // Corrected, the same form places the order.
    let mut good = ADDRESS.to_vec();
    good.retain(|(k, _)| *k != "phone");
    good.push(("phone", "138 0013 8000"));
    let (status, to) = buyer.form("/checkout", &good).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.starts_with("/orders/"), "{to}");
}

#[tokio::test]
async fn sign_up_login_and_reset_keep_what_was_typed_but_never_a_password() {
    let app = TestApp::spawn().await;
    let anon = User::anonymous(&app).await;
    // A taken address: the name and address stay, the password does not.
    let taken = [("display_name", "梅"), ("email", "buyer@demo.gongfang.cn"), ("password", "lacquer and silver")];
    let (status, page) = anon.form("/register", &taken).await;
    assert_eq!(status, 400);
    assert_eq!((kept(&page, "display_name"), kept(&page, "email")), ("梅".into(), "buyer@demo.gongfang.cn".into()));
    assert_eq!(kept(&page, "password"), "", "a password is never drawn back");
    assert!(!page.contains("lacquer and silver"));
    assert!(message_beside(&page, "email").contains("已经注册"));
    // A short password: said beside the password, in English when asked.
    let short = [("display_name", "Mei"), ("email", "mei@example.cn"), ("password", "short")];
    let (status, page) = anon.form("/register?lang=en", &short).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "email"), "mei@example.cn");
    assert!(message_beside(&page, "password").contains("10 to 128"));

    // A wrong password keeps the e-mail address.
    let (status, page) =
        anon.form("/login?lang=zh", &[("email", "buyer@demo.gongfang.cn"), ("password", "not the password")]).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "email"), "buyer@demo.gongfang.cn");
    assert_eq!(kept(&page, "password"), "");
    let message = message_beside(&page, "password");
    assert!(message.contains("邮箱或密码不对"), "{message}");

    // Asking for a reset link with a malformed address keeps it, with the reason.
    let (status, page) = anon.form("/forgot", &[("email", "mei at example")]).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "email"), "mei at example");
    assert!(message_beside(&page, "email").contains("电子邮箱"));
}

#[tokio::test]
async fn a_new_password_that_breaks_the_rules_is_said_beside_it() {
    let app = TestApp::spawn().await;
    let anon = User::anonymous(&app).await;
    assert_eq!(anon.form("/forgot", &[("email", "buyer@demo.gongfang.cn")]).await.0, 200);
    let mails = crate::accounts::wait_for_mail(&app.data_dir.join("mail"), 1).await;
    let link = crate::users::link_in(mails.last().expect("a reset mail"), &app.url("/reset/"));
    let path = link.strip_prefix(&app.base).unwrap().to_owned();
    let (status, page) = anon.form(&path, &[("password", "short")]).await;
    assert_eq!(status, 400);
    assert!(message_beside(&page, "password").contains("10 到 128"));
    assert!(!page.contains("value=\"short\""));
    // The link still works once the password is long enough.
    assert_eq!(anon.form(&path, &[("password", "a long new password")]).await.0, 200);
}

#[tokio::test]
async fn sign_up_from_checkout_returns_to_checkout_and_never_to_another_site() {
    let app = TestApp::spawn().await;
    let anon = User::anonymous(&app).await;
    // Checkout sends a stranger to the login form, whose sign-up link carries the way back.
    let res = anon.client.get(anon.url("/checkout")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login?next=%2Fcheckout");
    let (_, login) = anon.page("/login?next=%2Fcheckout").await;
    assert!(login.contains("href=\"/register?next=%2Fcheckout\""), "{login}");
    let (_, register) = anon.page("/register?next=%2Fcheckout").await;
    assert_eq!(kept(&register, "next"), "/checkout");
    assert!(register.contains("href=\"/login?next=%2Fcheckout\""));
    // A refused sign-up keeps the way back.
    let short = [("display_name", "梅"), ("email", "mei@example.cn"), ("password", "short"), ("next", "/checkout")];
    let (status, page) = anon.form("/register", &short).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "next"), "/checkout");
    let fields = [("display_name", "梅"), ("email", "mei@example.cn"), ("password", "lacquer and silver")];
    let mut with_next = fields.to_vec();
    with_next.push(("next", "/checkout"));
    assert_eq!(anon.form("/register", &with_next).await, (303, "/checkout".to_owned()));

    // Another site is never where a sign-up lands.
    for evil in ["https://evil.example", "//evil.example/checkout", "/\\evil.example"] {
        let stranger = User::anonymous(&app).await;
        let (_, page) = stranger.page(&format!("/register?next={}", evil.replace('/', "%2F"))).await;
        assert!(!page.contains("name=\"next\""), "{evil} is not carried by the form");
        let email = format!("x{}@example.cn", evil.len());
        let mut pairs = vec![("display_name", "X"), ("email", email.as_str()), ("password", "lacquer and silver")];
        pairs.push(("next", evil));
        assert_eq!(stranger.form("/register", &pairs).await, (303, "/account".to_owned()), "{evil} is refused");
    }
}

/// The manager's workshop, a heritage item and three current workers.
async fn workshop_setup(manager: &User) -> (i64, String, Vec<String>) {
    let w = manager.workshop_id().await;
    let (_, products) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let heritage = products[0]["heritage_item_id"].as_i64().unwrap().to_string();
    let (_, all) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let current: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["current"] == true)
        .take(3)
        .map(|x| x["id"].as_i64().unwrap().to_string())
        .collect();
    assert_eq!(current.len(), 3, "three current workers in the demo workshop");
    (w, heritage, current)
}

fn product_fields<'a>(heritage: &'a str, workers: &'a [String], price: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("title_zh", "表单漆盘"),
        ("title_en", "Form lacquer plate"),
        ("heritage_item_id", heritage),
        ("category", "lacquerware"),
        ("price", price),
        ("stock", "4"),
        ("wage_rule", "share_of_net"),
        ("wage_percent", "60"),
        ("description_zh", "彝族漆器，手工髹涂。"),
        ("materials_zh", "木胎、天然漆"),
    ];
    for (w, (role, share)) in workers.iter().zip([("lead", "50"), ("maker", "30"), ("finishing", "20")]) {
        f.extend([("worker_id", w.as_str()), ("role", role), ("share", share)]);
    }
    f
}

#[tokio::test]
async fn a_mistyped_price_keeps_the_whole_product_form_and_names_the_price_by_its_label() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let (w, heritage, workers) = workshop_setup(&manager).await;
    let path = format!("/portal/workshops/{w}/products");
    let typed = product_fields(&heritage, &workers, "268元x");
    let (status, page) = manager.form(&path, &typed).await;
    assert_eq!(status, 400, "{page}");
    for name in
        ["title_zh", "title_en", "heritage_item_id", "category", "price", "stock", "wage_percent", "description_zh"]
    {
        let value = typed.iter().find(|(k, _)| *k == name).unwrap().1;
        assert_eq!(kept(&page, name), value, "{name} is kept");
    }
    assert_eq!(kept_all(&page, "worker_id"), workers, "the makers are kept");
    assert_eq!(kept_all(&page, "role"), ["lead", "maker", "finishing"]);
    assert_eq!(kept_all(&page, "share"), ["50", "30", "20"]);
    let message = message_beside(&page, "price");
    assert!(message.contains("“价格（元）”") && message.contains("金额"), "{message}");
    assert!(!page.contains("“price”"), "the field is named by its label, not its key");
    let (_, en) = manager.form(&format!("{path}?lang=en"), &typed).await;
    assert!(message_beside(&en, "price").contains("\"Price (yuan)\" must be an amount"), "in English");
    // The JSON API answers as before.
    let (status, body) = manager
        .post_json(
            &format!("/api/v1/portal/workshops/{w}/products"),
            &json!({"title_zh": "漆盘", "heritage_item_id": heritage.parse::<i64>().unwrap(), "price": "268元x", "wage_bp": 6000}),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("price")), "{body}");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());

    // A price written the way people write it is read: 268元 is 268.00.
    let (status, to) = manager.form(&path, &product_fields(&heritage, &workers, "268元")).await;
    assert_eq!(status, 303, "{to}");
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let (_, p) = manager.get_json(&format!("/api/v1/portal/products/{id}")).await;
    assert_eq!(p["price_fen"], 26_800);
    let shares: Vec<(String, i64)> = p["makers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["worker_id"].as_i64().unwrap().to_string(), m["share_bp"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(String, i64)> = workers.iter().cloned().zip([5000, 3000, 2000]).collect();
    assert_eq!(shares, expected, "created with its three makers");

    // A number that does not read is said beside its field, everything else kept.
    let mut stock = product_fields(&heritage, &workers, "268");
    stock.retain(|(k, _)| *k != "stock");
    stock.push(("stock", "four"));
    let (status, page) = manager.form(&format!("{path}?lang=zh"), &stock).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "stock"), "four");
    assert_eq!(kept(&page, "title_zh"), "表单漆盘");
    let message = message_beside(&page, "stock");
    assert!(message.contains("“库存”") && message.contains("整数"), "{message}");
}

#[tokio::test]
async fn shares_of_60_and_30_keep_the_makers_and_the_table_grows_without_script() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let (w, heritage, workers) = workshop_setup(&manager).await;
    let path = format!("/portal/workshops/{w}/products");
    let mut typed = product_fields(&heritage, &workers[..2], "199");
    for (k, v) in typed.iter_mut() {
        if *k == "share" {
            *v = if *v == "50" { "60" } else { "30" };
        }
    }
    let (status, page) = manager.form(&path, &typed).await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(kept_all(&page, "worker_id"), workers[..2]);
    assert_eq!(kept_all(&page, "share"), ["60", "30"]);
    assert!(page.contains("合计 90%"), "the message gives the sum");
    assert!(page.contains("id=\"f-makers-error\""), "beside the makers");
    assert!(page.contains("份额合计：90%，还差 10%"), "the running total");

    // "Add a maker" draws the form again with one more row, everything kept, nothing saved.
    let mut more = typed.clone();
    more.push(("add_maker", "1"));
    let (status, page) = manager.form(&path, &more).await;
    assert_eq!(status, 200);
    assert_eq!(kept_all(&page, "worker_id"), [workers[0].clone(), workers[1].clone(), String::new()]);
    assert_eq!(kept(&page, "title_zh"), "表单漆盘");
    assert!(!page.contains("form-errors"), "not a refusal");
    let (_, listed) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    assert!(!listed.to_string().contains("表单漆盘"), "nothing saved");
    // "Remove" takes a row out.
    let mut fewer = typed.clone();
    fewer.push(("remove_maker", "0"));
    let (status, page) = manager.form(&path, &fewer).await;
    assert_eq!(status, 200);
    assert_eq!(kept_all(&page, "worker_id"), [workers[1].clone()]);
    assert_eq!(kept_all(&page, "share"), ["30"]);

    // Fixed to 70 + 30 it saves; on the product page the rows are labelled, one per maker.
    for (k, v) in typed.iter_mut() {
        if *k == "share" && *v == "60" {
            *v = "70";
        }
    }
    let (status, to) = manager.form(&path, &typed).await;
    assert_eq!(status, 303, "{to}");
    let (_, page) = manager.page(&to).await;
    assert_eq!(kept_all(&page, "share"), ["70", "30"]);
    assert!(page.contains("for=\"mk-1-worker\"") && page.contains("for=\"mk-2-share\""), "each field labelled");
    assert!(page.contains("份额合计：100%，正好 100%"));
    assert!(!page.contains("<summary>保存</summary>"), "the edit form has a heading, not a summary");
    // Editing the makers to 60 + 30 on the product page keeps them too.
    let id = to.rsplit('/').next().unwrap();
    let mut edit = typed.clone();
    for (k, v) in edit.iter_mut() {
        if *k == "share" && *v == "70" {
            *v = "60";
        }
    }
    let (status, page) = manager.form(&format!("/portal/products/{id}"), &edit).await;
    assert_eq!(status, 400);
    assert_eq!(kept_all(&page, "share"), ["60", "30"]);
    let (_, p) = manager.get_json(&format!("/api/v1/portal/products/{id}")).await;
    let saved: Vec<i64> = p["makers"].as_array().unwrap().iter().map(|m| m["share_bp"].as_i64().unwrap()).collect();
    assert_eq!(saved, [7000, 3000], "a refused edit changes nothing");
}

#[tokio::test]
async fn the_worker_form_and_the_review_reason_keep_what_was_typed() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let typed = [
        ("name_zh", "阿依"),
        ("name_latin", "Ayi"),
        ("inheritor_level", "apprentice"),
        ("joined_on", "2025-03-01"),
        ("left_on", "2024-01-01"),
        ("home_county_code", "513432"),
        ("story_zh", "学漆三年。"),
    ];
    let (status, page) = manager.form(&format!("/portal/workshops/{w}/workers"), &typed).await;
    assert_eq!(status, 400);
    for (name, value) in typed {
        assert_eq!(kept(&page, name), value, "{name} is kept");
    }
    assert!(message_beside(&page, "left_on").contains("离职日期不能早于入职日期"));
    // On a worker's own page the edit form has a heading and keeps its values too.
    let (_, list) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let worker = list[0]["id"].as_i64().unwrap();
    let mut edit = typed.to_vec();
    edit.retain(|(k, _)| *k != "joined_on");
    edit.push(("joined_on", "2025-02-30"));
    let (status, page) = manager.form(&format!("/portal/workers/{worker}?lang=en"), &edit).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "joined_on"), "2025-02-30");
    assert_eq!(kept(&page, "story_zh"), "学漆三年。");
    assert!(message_beside(&page, "joined_on").contains("\"Joined on\" must be a date"));
    // A sealed number that is not one is said beside its own form, and not drawn back.
    let (status, page) =
        manager.form(&format!("/portal/workers/{worker}/secrets"), &[("field", "bank_account"), ("value", "12")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("id=\"bank_account-value-error\""), "beside the bank account's field");
    assert!(!tag(&page, "value").contains("value=\"12\""));

    // The operator's rejection needs a reason: said beside it.
    let (_, heritage, workers) = workshop_setup(&manager).await;
    let body = json!({"title_zh": "待审漆盘", "heritage_item_id": heritage.parse::<i64>().unwrap(), "price": "99",
        "wage_bp": 6000, "makers": [{"worker_id": workers[0].parse::<i64>().unwrap(), "role": "lead", "share_bp": 10000}]});
    let (status, created) = manager.post_json(&format!("/api/v1/portal/workshops/{w}/products"), &body).await;
    assert_eq!(status, 200, "{created}");
    let product = created["id"].as_i64().unwrap();
    assert_eq!(manager.form(&format!("/portal/products/{product}/submit"), &[]).await.0, 303);
    let operator = User::demo(&app, "operator").await;
    let (status, page) = operator.form(&format!("/portal/products/{product}/review"), &[("decision", "reject")]).await;
    assert_eq!(status, 400);
    assert!(message_beside(&page, "reason").contains("“原因”必须填写"));
}

#[tokio::test]
async fn a_refused_quantity_in_the_cart_is_said_beside_its_line() {
    let app = TestApp::spawn().await;
    let buyer = buyer_with_a_cart(&app).await;
    let (_, cart) = buyer.get_json("/api/v1/cart").await;
    let product = cart["parcels"][0]["lines"][0]["product_id"].as_i64().unwrap();
    let path = format!("/cart/items/{product}");
    let (status, page) = buyer.form(&path, &[("quantity", "lots")]).await;
    assert_eq!(status, 400);
    assert_eq!(kept(&page, "quantity"), "lots");
    assert!(tag(&page, "quantity").contains(&format!("id=\"q{product}-quantity\"")));
    assert!(message_beside(&page, "quantity").contains("“数量”必须是整数"));
    let (status, page) = buyer.form(&path, &[("quantity", "100000")]).await;
    assert!(status == 400 || status == 409, "{status}");
    assert_eq!(kept(&page, "quantity"), "100000");
    assert!(page.contains("class=\"form-errors\""), "the reason is given on the cart page");
    assert_eq!(buyer.get_json("/api/v1/cart").await.1["count"], cart["count"], "the cart is unchanged");
}

#[tokio::test]
async fn the_order_pages_staff_forms_keep_what_was_typed() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let mut numbers = Vec::new();
    for key in ["kept-confirm-0001", "kept-confirm-0002"] {
        let body = crate::orders::checkout_body(&[(product, 1)], key, "bank_transfer");
        let (status, placed) = buyer.post_json("/api/v1/checkout", &body).await;
        assert_eq!(status, 201, "{placed}");
        numbers.push(placed["number"].as_str().unwrap().to_owned());
    }
    // A bank reference already used for another payment: refused above the form, kept.
    let path = |n: &str| format!("/portal/orders/{n}/confirm-payment");
    assert_eq!(operator.form(&path(&numbers[0]), &[("reference", "CNAPS-2026-0001")]).await.0, 303);
    let (status, html) = operator.form(&path(&numbers[1]), &[("reference", "CNAPS-2026-0001")]).await;
    assert_eq!(status, 409);
    assert_eq!(kept(&html, "reference"), "CNAPS-2026-0001");
    let summary = &html[html.find("class=\"form-errors\"").expect("the message above the form")..];
    assert!(summary[..summary.find("</div>").unwrap()].contains("已经登记过"), "{html}");

    // Shipping without a tracking number: refused beside it, the carrier kept.
    let (_, order) = operator.get_json(&format!("/api/v1/orders/{}", numbers[0])).await;
    let parcel = order["parcels"][0]["id"].as_i64().unwrap();
    let (status, html) = manager
        .form(&format!("/portal/shipments/{parcel}/ship"), &[("carrier", "顺丰速运"), ("tracking_number", " ")])
        .await;
    assert_eq!(status, 400);
    assert_eq!(kept(&html, "carrier"), "顺丰速运");
    assert!(message_beside(&html, "tracking_number").contains("运单号"), "{html}");
    // A refund amount that is not money: said beside it, the reason kept.
    let line = order["parcels"][0]["lines"][0]["id"].as_i64().unwrap();
    let (status, html) = operator
        .form(
            &format!("/portal/lines/{line}/refund"),
            &[("quantity", "0"), ("amount_yuan", "十元"), ("reason", "包装破损")],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(kept(&html, "reason"), "包装破损");
    assert!(message_beside(&html, "amount_yuan").contains("退款金额"), "{html}");
    // The API still answers with the field.
    let (status, body) = manager
        .post_json(
            &format!("/api/v1/portal/shipments/{parcel}/ship"),
            &json!({"carrier": "顺丰速运", "tracking_number": ""}),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("tracking_number")), "{body}");
}

#[tokio::test]
async fn adding_more_than_the_stock_says_so_beside_the_quantity_on_the_product_page() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let stock = crate::orders::stock_of(&app, product);
    let too_many = (stock + 1).to_string();
    let (status, html) =
        buyer.form("/cart/items", &[("product_id", &product.to_string()), ("quantity", &too_many)]).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("class=\"add-to-cart\""), "the product's page, drawn again");
    assert_eq!(kept(&html, "quantity"), too_many);
    assert!(message_beside(&html, "quantity").contains(&stock.to_string()), "{html}");
    // The API answers as before.
    let (status, body) =
        buyer.post_json("/api/v1/cart/items", &json!({"product_id": product, "quantity": stock + 1})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("quantity")), "{body}");
}
