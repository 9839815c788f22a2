//! Real image files for the photo tests, made in memory, and checks on what comes back: which metadata a file
//! still carries, and the colour of a pixel. Pure functions: no application, no network.
//!
//! The pictures are red in their top-left quarter and blue elsewhere, so a test can tell from one pixel which
//! way up a picture came out.
//!
//! `src/media/photos.rs` includes this file in its unit tests (`#[path]`), so it may use only `image`,
//! `crc32fast` and std: nothing from the rest of the test binary.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};

const RED: Rgb<u8> = Rgb([220, 20, 20]);
const BLUE: Rgb<u8> = Rgb([20, 40, 220]);

/// The camera make written into [`jpeg_with_exif`] files, searched for by [`metadata_found`].
pub const CAMERA_MAKE: &str = "GongfangTestCam";

/// A w×h picture, red in its top-left quarter and blue elsewhere.
fn quarters(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| if x < w / 2 && y < h / 2 { RED } else { BLUE })
}

fn encode_jpeg(picture: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(picture.as_raw(), picture.width(), picture.height(), ExtendedColorType::Rgb8)
        .expect("encode JPEG");
    out
}

/// A real JPEG (w×h) whose top-left quarter is red and the rest blue, with an APP1 Exif segment holding
/// an Orientation tag (1..=8) and a GPS IFD (GPSLatitudeRef "N", GPSLatitude 27/1 53/1 0/1, GPSLongitudeRef "E",
/// GPSLongitude 102/1 16/1 0/1), plus a camera Make "GongfangTestCam".
pub fn jpeg_with_exif(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    assert!((1..=8).contains(&orientation), "EXIF orientation is 1..=8");
    let jpeg = encode_jpeg(&quarters(w, h));
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_tiff(orientation));
    let len = u16::try_from(payload.len() + 2).expect("APP1 fits a segment");
    // APP1 straight after Start Of Image, where cameras put it.
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(len.to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

/// A little-endian TIFF structure: IFD0 with Make, Orientation and a pointer to the GPS IFD.
fn exif_tiff(orientation: u16) -> Vec<u8> {
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    const IFD0_AT: u32 = 8;
    const IFD0_LEN: u32 = 2 + 3 * 12 + 4;
    let make_at = IFD0_AT + IFD0_LEN;
    let make = format!("{CAMERA_MAKE}\0");
    let gps_at = make_at + make.len() as u32;
    let gps_len = 2 + 4 * 12 + 4;
    let lat_at = gps_at + gps_len;
    let lon_at = lat_at + 24;

    let mut t = b"II\x2A\x00".to_vec();
    t.extend(IFD0_AT.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value);
    };
    t.extend(3u16.to_le_bytes());
    entry(&mut t, 0x010F, ASCII, make.len() as u32, make_at.to_le_bytes()); // Make
    let [o0, o1] = orientation.to_le_bytes();
    entry(&mut t, 0x0112, SHORT, 1, [o0, o1, 0, 0]); // Orientation
    entry(&mut t, 0x8825, LONG, 1, gps_at.to_le_bytes()); // GPS IFD pointer
    t.extend(0u32.to_le_bytes()); // no next IFD
    t.extend(make.as_bytes());

    t.extend(4u16.to_le_bytes());
    entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0"); // GPSLatitudeRef
    entry(&mut t, 0x0002, RATIONAL, 3, lat_at.to_le_bytes()); // GPSLatitude
    entry(&mut t, 0x0003, ASCII, 2, *b"E\0\0\0"); // GPSLongitudeRef
    entry(&mut t, 0x0004, RATIONAL, 3, lon_at.to_le_bytes()); // GPSLongitude
    t.extend(0u32.to_le_bytes());
    for value in [27u32, 53, 0, 102, 16, 0] {
        t.extend(value.to_le_bytes());
        t.extend(1u32.to_le_bytes());
    }
    assert_eq!(t.len() as u32, lon_at + 24, "offsets in the EXIF block add up");
    t
}

/// A real PNG (w×h), red top-left quarter, blue elsewhere.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(quarters(w, h).as_raw(), w, h, ExtendedColorType::Rgb8).expect("encode PNG");
    out
}

/// A real lossless WebP (w×h), red top-left quarter, blue elsewhere.
pub fn webp(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(quarters(w, h).as_raw(), w, h, ExtendedColorType::Rgb8)
        .expect("encode WebP");
    out
}

/// A real JPEG cut in half, in the middle of its picture data.
pub fn truncated_jpeg() -> Vec<u8> {
    // A busy picture, so the compressed scan, not the headers, makes up most of the file.
    let picture =
        RgbImage::from_fn(320, 240, |x, y| Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x ^ y) % 256) as u8]));
    let mut jpeg = encode_jpeg(&picture);
    jpeg.truncate(jpeg.len() / 2);
    jpeg
}

/// Plain text, such as someone might upload under a .jpg name.
pub fn text_as_jpg() -> Vec<u8> {
    b"These are the opening hours of our workshop, not a photo.\n".repeat(4)
}

/// A PNG of a few hundred bytes whose header declares 100000×100000 RGB pixels (30 GB decoded). Its chunk
/// CRCs are valid, so only a size check stops it.
pub fn png_bomb() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend(100_000u32.to_be_bytes());
    // 8-bit RGB, deflate, adaptive filtering, not interlaced.
    ihdr.extend([8, 2, 0, 0, 0]);
    // The start of the first row (filter byte, black pixels) as one stored, uncompressed deflate block.
    let row = [0u8; 200];
    let mut idat = vec![0x78, 0x01, 0x01];
    idat.extend((row.len() as u16).to_le_bytes());
    idat.extend((!(row.len() as u16)).to_le_bytes());
    idat.extend(row);
    idat.extend(adler32(&row).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &idat[..]), (b"IEND", &[][..])] {
        out.extend((data.len() as u32).to_be_bytes());
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(kind);
        hasher.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(hasher.finalize().to_be_bytes());
    }
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// Every metadata marker found: JPEG APPn segments other than APP0 JFIF, COM segments; WebP EXIF/XMP/ICCP
/// chunks; PNG eXIf/tEXt/iTXt/zTXt chunks. Also searches raw bytes for "GongfangTestCam" and "Exif".
pub fn metadata_found(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg_segments(bytes, &mut found);
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut i = 8;
        while let (Some(len), Some(kind)) = (be32(bytes, i), bytes.get(i + 4..i + 8)) {
            if [&b"eXIf"[..], b"tEXt", b"iTXt", b"zTXt"].contains(&kind) {
                found.push(format!("PNG {} chunk", String::from_utf8_lossy(kind)));
            }
            i += 12 + len as usize;
        }
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        let mut i = 12;
        while let (Some(kind), Some(len)) = (bytes.get(i..i + 4), bytes.get(i + 4..i + 8)) {
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            if [&b"EXIF"[..], b"XMP ", b"ICCP"].contains(&kind) {
                found.push(format!("WebP {} chunk", String::from_utf8_lossy(kind).trim_end()));
            }
            i += 8 + len + len % 2;
        }
    }
    for needle in [CAMERA_MAKE.as_bytes(), b"Exif"] {
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(format!("raw bytes {:?}", String::from_utf8_lossy(needle)));
        }
    }
    found
}

/// The marker segments before the first scan (where metadata lives), named when they are metadata.
fn jpeg_segments(bytes: &[u8], found: &mut Vec<String>) {
    let mut i = 2;
    while let (Some(0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) {
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            break;
        }
        let Some(len) = bytes.get(i + 2..i + 4).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else { break };
        let body = bytes.get(i + 4..(i + 2 + len).min(bytes.len())).unwrap_or_default();
        match marker {
            0xE0 if body.starts_with(b"JFIF\0") => {}
            0xE0..=0xEF => {
                let id: String =
                    body.iter().take_while(|&&b| b != 0 && b.is_ascii_graphic()).map(|&b| b as char).collect();
                found.push(format!("JPEG APP{} {id:?}", marker - 0xE0));
            }
            0xFE => found.push("JPEG COM".to_owned()),
            _ => {}
        }
        i += 2 + len;
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Colour of the pixel at (x, y) of an encoded image, as (r, g, b). Stored pixels: EXIF orientation is not applied.
pub fn pixel(bytes: &[u8], x: u32, y: u32) -> (u8, u8, u8) {
    let picture = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .expect("read from memory")
        .decode()
        .expect("decode image")
        .to_rgb8();
    let Rgb([r, g, b]) = *picture.get_pixel(x, y);
    (r, g, b)
}
