//! The provenance page behind a product tag, and the tag's QR code.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use image::{ImageFormat, Luma};
use qrcode::QrCode;
use std::io::Cursor;
use tera::Context;

/// The public URL a trace code's QR code points to.
pub fn trace_url(public_url: &str, code: &str) -> String {
    format!("{public_url}/t/{code}")
}

/// Encodes `text` as a QR code PNG (quiet zone included, at least 320 px wide).
pub fn qr_png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::new(text.as_bytes())?;
    let img = code.render::<Luma<u8>>().min_dimensions(320, 320).build();
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// `GET /t/{code}`
pub async fn trace_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let detail = state.catalog.traced(&code).await?;
    let mut ctx = Context::new();
    ctx.insert("trace_url", &trace_url(&state.config.public_url, &detail.product.trace_code));
    ctx.insert("p", &detail);
    state.renderer.page(&req, lang, "trace.html", ctx)
}

/// `GET /t/{code}.png`: the QR code, for listed products only.
pub async fn qr_png_route(state: web::Data<AppState>, code: web::Path<String>) -> Result<HttpResponse, AppError> {
    let detail = state.catalog.traced(&code).await?;
    let url = trace_url(&state.config.public_url, &detail.product.trace_code);
    let png = web::block(move || qr_png(&url)).await??;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(png))
}
