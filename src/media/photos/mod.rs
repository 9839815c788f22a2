//! Product photos: checking an upload, turning it upright, stripping its metadata, making the resized
//! JPEG and WebP variants that pages serve, and writing them to the store ([`crate::storage`]).
//!
//! [`process`] is pure CPU work on bytes already in memory and blocks, so request handlers run it
//! off the async workers (e.g. `actix_web::web::block`); [`store`] is async I/O to the store.

use crate::storage::{Area, StorageError};
use std::io::{self, Cursor};
use std::thread;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::ImageEncoder;
mod resample;

use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use resample::{resample, Filter};

/// What an upload may be: its size in bytes, and the size of the picture it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width × height, as declared by the file's header.
    pub max_pixels: u64,
    /// Largest accepted width or height.
    pub max_side: u32,
    /// Most memory the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self { max_bytes: 15 * 1024 * 1024, max_pixels: 50_000_000, max_side: 12_000, max_alloc: 512 * 1024 * 1024 }
    }
}

/// Why a photo was refused or could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The upload is larger than [`PhotoLimits::max_bytes`].
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The bytes are not in any image format we know.
    #[error("the file is not an image")]
    NotAnImage,
    /// An image, but not JPEG, PNG or WebP.
    #[error("the image format is not supported")]
    Unsupported,
    /// The header declares a picture larger than the limits allow; refused before decoding any pixel.
    #[error("the image is too large ({width}×{height} pixels)")]
    TooManyPixels { width: u32, height: u32 },
    /// Truncated or corrupt image data.
    #[error("the image is damaged")]
    Damaged,
    /// Encoding or writing the variants failed: the server's fault, not the upload's.
    #[error("storing the photo failed: {0}")]
    Io(#[from] io::Error),
}

impl PhotoError {
    /// The i18n key of the message shown to the person who uploaded the photo.
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "photo.too_large",
            Self::NotAnImage => "photo.not_image",
            Self::Unsupported => "photo.unsupported",
            Self::TooManyPixels { .. } => "photo.too_many_pixels",
            Self::Damaged => "photo.damaged",
            Self::Io(_) => "photo.io",
        }
    }
}

/// libwebp's quality (0–100) for the WebP copies: 70 is a common choice for web photos,
/// about half the size of the JPEG copy at quality 82.
pub const WEBP_QUALITY: f32 = 70.0;

/// Widths of the variants made for every photo, narrowest first.
pub const VARIANT_WIDTHS: [u32; 3] = [320, 800, 1600];

/// One resized copy of a photo, encoded twice.
#[derive(Debug, Clone)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    /// Baseline JPEG, quality 82.
    pub jpeg: Vec<u8>,
    /// Lossy WebP, quality [`WEBP_QUALITY`].
    pub webp: Vec<u8>,
}

/// A checked photo, upright and free of metadata, with its variants narrowest first.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// Width of the upright original.
    pub width: u32,
    /// Height of the upright original.
    pub height: u32,
    pub variants: Vec<Variant>,
}

/// Decode under limits, turn upright by EXIF orientation, drop all metadata, resize, encode.
///
/// CPU only, no I/O; it blocks for a few hundred milliseconds on a 12-megapixel photo and briefly uses every
/// core (scoped threads for resizing and for the JPEG encodes), so run it on a blocking thread.
pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<ProcessedPhoto, PhotoError> {
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge { limit: limits.max_bytes });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let format = match reader.format() {
        None => return Err(PhotoError::NotAnImage),
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        Some(_) => return Err(PhotoError::Unsupported),
    };
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decode_limits);

    // Only the header has been read so far: a decompression bomb is refused here, before any pixel buffer.
    let mut decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(ImageError::Limits(_)) => {
            let (width, height) = declared_dimensions(bytes, format);
            return Err(PhotoError::TooManyPixels { width, height });
        }
        Err(e) => return Err(decode_error(e, (0, 0))),
    };
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Damaged);
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels || width.max(height) > limits.max_side {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    // zune-jpeg decodes leniently and fills a cut-off scan with grey rather than failing.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(PhotoError::Damaged);
    }
    // Unreadable orientation metadata is no reason to refuse the pixels: show them as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, (width, height)))?;
    let rgb = flatten_onto_white(decoded);

    let swaps = matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let (up_w, up_h) = if swaps { (height, width) } else { (width, height) };
    let variants = encode_variants(rgb, orientation, swaps, up_w, up_h)?;
    Ok(ProcessedPhoto { width: up_w, height: up_h, variants })
}

/// Where the variants of one photo went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    /// Relative to the media directory, e.g. `photos/<key>`.
    pub dir: String,
    pub width: u32,
    pub height: u32,
    /// Widths of the stored variants, narrowest first.
    pub variant_widths: Vec<u32>,
}

/// Writes `photos/<key>/{w}.jpg` and `{w}.webp` for each variant into `area` (the media or
/// voucher area of [`crate::storage::Storage`]). A failure removes what was written, so
/// nothing is left behind. The caller publishes the photo (its database row) only after this
/// returns, so no reader ever sees a photo with missing variants; keys are fresh tokens, so a
/// stored photo is never replaced.
///
/// `key` must be a safe token, `[0-9a-z-]+`; anything else is refused with `Io(InvalidInput)`.
pub async fn store(photo: &ProcessedPhoto, area: &Area, key: &str) -> Result<StoredPhoto, PhotoError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-') {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "photo key must be [0-9a-z-]+").into());
    }
    let dir = format!("photos/{key}");
    if let Err(e) = write_variants(photo, area, &dir).await {
        // Best effort: the write error is the one worth reporting.
        let _ = area.delete_dir(&dir).await;
        return Err(io::Error::other(e).into());
    }
    Ok(StoredPhoto {
        dir,
        width: photo.width,
        height: photo.height,
        variant_widths: photo.variants.iter().map(|v| v.width).collect(),
    })
}

/// File name of a variant inside the photo's dir: "800.jpg" / "800.webp".
pub fn variant_file(width: u32, ext: &str) -> String {
    format!("{width}.{ext}")
}

async fn write_variants(photo: &ProcessedPhoto, area: &Area, dir: &str) -> Result<(), StorageError> {
    for variant in &photo.variants {
        for (ext, data) in [("jpg", &variant.jpeg), ("webp", &variant.webp)] {
            area.put(&format!("{dir}/{}", variant_file(variant.width, ext)), data.clone()).await?;
        }
    }
    Ok(())
}

/// Reads just the header again, without limits, to say how large a refused image claimed to be.
fn declared_dimensions(bytes: &[u8], format: ImageFormat) -> (u32, u32) {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    reader.into_dimensions().unwrap_or((0, 0))
}

fn decode_error(error: ImageError, (width, height): (u32, u32)) -> PhotoError {
    match error {
        ImageError::Limits(_) => PhotoError::TooManyPixels { width, height },
        ImageError::Unsupported(_) => PhotoError::Unsupported,
        // Unexpected end of data arrives as IoError: the upload's fault, not the server's.
        _ => PhotoError::Damaged,
    }
}

/// Whether a JPEG's segments and entropy-coded scans run all the way to an End Of Image marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2; // past Start Of Image
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF || bytes[i + 1] == 0xFF {
            i += 1; // fill bytes, or garbage between segments that decoders skip
            continue;
        }
        let marker = bytes[i + 1];
        let Some(len) = bytes.get(i + 2..i + 4).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else {
            return marker == 0xD9;
        };
        i = match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => i + 2,
            // Start Of Scan: skip its header, then the entropy-coded data up to the next real marker.
            0xDA => {
                let mut j = i + 2 + len;
                loop {
                    match bytes.get(j..).and_then(|rest| rest.iter().position(|&b| b == 0xFF)) {
                        None => return false,
                        Some(p) => j += p,
                    }
                    match bytes.get(j + 1) {
                        None => return false,
                        Some(0x00 | 0xD0..=0xD7 | 0xFF) => j += 1,
                        Some(_) => break j,
                    }
                }
            }
            _ => i + 2 + len,
        };
    }
    false
}

/// RGB8 pixels; transparency is laid onto white, as JPEG has none and product pages are white.
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(p[3]);
        for c in 0..3 {
            o[c] = ((u32::from(p[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// Height of a `width`-wide copy of an `up_w`×`up_h` picture, at least 1.
fn scaled_height(up_w: u32, up_h: u32, width: u32) -> u32 {
    let h = (u64::from(up_h) * u64::from(width) + u64::from(up_w) / 2) / u64::from(up_w);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

fn encode_variants(
    stored: RgbImage,
    orientation: Orientation,
    swaps: bool,
    up_w: u32,
    up_h: u32,
) -> Result<Vec<Variant>, PhotoError> {
    let mut widths: Vec<u32> = VARIANT_WIDTHS.into_iter().filter(|&w| w <= up_w).collect();
    if widths.is_empty() {
        widths.push(up_w);
    }
    // Widest first, straight from the original by area averaging (exact for large reductions, and fast), then
    // each narrower one from the one before with Catmull-Rom. Turning upright at the widest variant's size is far
    // cheaper than rotating the original.
    let widest = widths.last().copied().unwrap_or(up_w);
    let first = if widest == up_w {
        stored
    } else {
        let height = scaled_height(up_w, up_h, widest);
        let (w, h) = if swaps { (height, widest) } else { (widest, height) };
        resample(&stored, w, h, Filter::Area)
    };
    let mut pictures = vec![upright(first, orientation)];
    for &width in widths.iter().rev().skip(1) {
        let larger = &pictures[pictures.len() - 1];
        let next = resample(larger, width, scaled_height(up_w, up_h, width), Filter::CatmullRom);
        pictures.push(next);
    }
    pictures.reverse();
    // Encoding from bare pixels writes no metadata at all: no EXIF (so no GPS or camera), no ICC, no XMP.
    // The JPEG encoder is the slowest step; each JPEG gets a thread while this one makes the WebPs.
    thread::scope(|scope| {
        let jpegs: Vec<_> = pictures.iter().map(|p| scope.spawn(move || encode(p, Codec::Jpeg))).collect();
        let webps: Vec<_> = pictures.iter().map(|p| encode(p, Codec::WebP)).collect();
        pictures
            .iter()
            .zip(jpegs.into_iter().zip(webps))
            .map(|(p, (jpeg, webp))| {
                let jpeg = jpeg.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                Ok(Variant { width: p.width(), height: p.height(), jpeg, webp: webp? })
            })
            .collect()
    })
}

#[derive(Clone, Copy)]
enum Codec {
    Jpeg,
    WebP,
}

fn encode(picture: &RgbImage, codec: Codec) -> Result<Vec<u8>, PhotoError> {
    let (width, height) = picture.dimensions();
    match codec {
        Codec::Jpeg => {
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut out, 82)
                .write_image(picture, width, height, ExtendedColorType::Rgb8)
                .map_err(|e| PhotoError::Io(io::Error::other(e)))?;
            Ok(out)
        }
        // Lossy, through libwebp: the image crate's own WebP encoder is lossless only, and larger than the JPEG.
        Codec::WebP => {
            let failed = |what: String| PhotoError::Io(io::Error::other(format!("WebP encoding failed: {what}")));
            let mut config = webp::WebPConfig::new().map_err(|()| failed("no libwebp config".into()))?;
            config.lossless = 0;
            config.quality = WEBP_QUALITY;
            // libwebp's slowest, smallest method: photos are encoded once and served many times.
            config.method = 6;
            webp::Encoder::from_rgb(picture.as_raw(), width, height)
                .encode_advanced(&config)
                .map(|encoded| encoded.to_vec())
                .map_err(|e| failed(format!("{e:?}")))
        }
    }
}

/// Encodes a finished picture (already upright, no metadata) as JPEG and lossy WebP: the
/// demo seed's drawings go through this, so they are served like uploaded photos.
pub fn encode_picture(picture: &RgbImage) -> Result<Variant, PhotoError> {
    Ok(Variant {
        width: picture.width(),
        height: picture.height(),
        jpeg: encode(picture, Codec::Jpeg)?,
        webp: encode(picture, Codec::WebP)?,
    })
}

fn upright(picture: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::NoTransforms {
        return picture;
    }
    let mut image = DynamicImage::ImageRgb8(picture);
    image.apply_orientation(orientation);
    image.into_rgb8()
}

// The integration tests' picture makers, shared so both kinds of test use the same files.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../../tests/app/photo_files.rs"]
mod test_files;

#[cfg(test)]
mod tests;
