//! Unit tests of the photo pipeline, on the same picture files the integration tests use.

use super::test_files as files;
use super::*;
use crate::config::StorageConfig;
use crate::storage::Storage;
use std::fs;
use std::path::Path;

const RED: (u8, u8, u8) = (220, 20, 20);
const BLUE: (u8, u8, u8) = (20, 40, 220);

fn near((r, g, b): (u8, u8, u8), (er, eg, eb): (u8, u8, u8)) -> bool {
    r.abs_diff(er) < 40 && g.abs_diff(eg) < 40 && b.abs_diff(eb) < 40
}

#[test]
fn exif_oriented_jpegs_come_out_upright() {
    // Stored 400×300, red top-left; which corner is red once displayed as each EXIF orientation says.
    let red_corner = [(1, "TL"), (2, "TR"), (3, "BR"), (4, "BL"), (5, "TL"), (6, "TR"), (7, "BR"), (8, "BL")];
    for (orientation, corner) in red_corner {
        let photo = process(&files::jpeg_with_exif(400, 300, orientation), &PhotoLimits::default()).unwrap();
        let (w, h) = if orientation >= 5 { (300, 400) } else { (400, 300) };
        assert_eq!((photo.width, photo.height), (w, h), "orientation {orientation}");
        // Narrower than the smallest variant: one variant at its own size.
        let [v] = &photo.variants[..] else { panic!("one variant") };
        assert_eq!((v.width, v.height), if w < 320 { (w, h) } else { (320, 240) });
        let (x, y) = (v.width / 4, v.height / 4);
        let (rx, ry) = (
            if corner.ends_with('R') { v.width - 1 - x } else { x },
            if corner.starts_with('B') { v.height - 1 - y } else { y },
        );
        for file in [&v.jpeg, &v.webp] {
            assert!(near(files::pixel(file, rx, ry), RED), "orientation {orientation}: red at ({rx}, {ry})");
            assert!(near(files::pixel(file, v.width - 1 - rx, v.height - 1 - ry), BLUE), "{orientation}");
        }
    }
}

#[test]
fn variants_carry_no_metadata() {
    let original = files::jpeg_with_exif(1700, 1100, 6);
    assert!(!files::metadata_found(&original).is_empty());
    let photo = process(&original, &PhotoLimits::default()).unwrap();
    assert_eq!((photo.width, photo.height), (1100, 1700));
    let widths: Vec<_> = photo.variants.iter().map(|v| (v.width, v.height)).collect();
    assert_eq!(widths, [(320, 495), (800, 1236)]);
    for v in &photo.variants {
        assert_eq!(files::metadata_found(&v.jpeg), Vec::<String>::new(), "{} JPEG", v.width);
        assert_eq!(files::metadata_found(&v.webp), Vec::<String>::new(), "{} WebP", v.width);
        assert!(v.jpeg.starts_with(&[0xFF, 0xD8]) && v.webp.starts_with(b"RIFF"));
    }
}

#[test]
fn png_and_webp_inputs_make_variants() {
    let photo = process(&files::png(500, 400), &PhotoLimits::default()).unwrap();
    assert_eq!(photo.variants.iter().map(|v| (v.width, v.height)).collect::<Vec<_>>(), [(320, 256)]);
    let photo = process(&files::webp(1000, 600), &PhotoLimits::default()).unwrap();
    assert_eq!(photo.variants.iter().map(|v| (v.width, v.height)).collect::<Vec<_>>(), [(320, 192), (800, 480)]);
    let v = &photo.variants[1];
    assert!(near(files::pixel(&v.webp, 100, 100), RED) && near(files::pixel(&v.jpeg, 700, 400), BLUE));
}

#[test]
fn transparency_is_laid_onto_white() {
    let rgba = image::RgbaImage::from_fn(40, 30, |x, _| image::Rgba([0, 0, 0, if x < 20 { 0 } else { 255 }]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(rgba.as_raw(), 40, 30, ExtendedColorType::Rgba8).unwrap();
    let photo = process(&png, &PhotoLimits::default()).unwrap();
    let v = &photo.variants[0];
    assert_eq!((v.width, files::pixel(&v.webp, 5, 5), files::pixel(&v.webp, 35, 5)), (40, (255, 255, 255), (0, 0, 0)));
}

#[test]
fn bad_uploads_are_refused_with_their_reason() {
    let limits = PhotoLimits::default();
    let refusal = |bytes: &[u8], limits: &PhotoLimits| process(bytes, limits).unwrap_err();
    assert!(matches!(refusal(&files::truncated_jpeg(), &limits), PhotoError::Damaged));
    assert!(matches!(refusal(&files::text_as_jpg(), &limits), PhotoError::NotAnImage));
    assert!(matches!(refusal(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &limits), PhotoError::Unsupported));
    let small = PhotoLimits { max_bytes: 1000, ..PhotoLimits::default() };
    let too_large = refusal(&files::png(400, 300).repeat(4), &small);
    assert!(matches!(too_large, PhotoError::TooLarge { limit: 1000 }), "{too_large:?}");
    let bomb = files::png_bomb();
    assert!(bomb.len() < 400);
    let err = refusal(&bomb, &limits);
    assert!(matches!(err, PhotoError::TooManyPixels { width: 100_000, height: 100_000 }), "{err:?}");
    // Within each side's limit but over the pixel budget: refused from the header too.
    let few = PhotoLimits { max_pixels: 10_000, ..PhotoLimits::default() };
    assert!(matches!(refusal(&files::png(200, 100), &few), PhotoError::TooManyPixels { width: 200, height: 100 }));
    assert_eq!(err.message_key(), "photo.too_many_pixels");
    assert_eq!(PhotoError::Damaged.message_key(), "photo.damaged");
}

/// Every file below `root`, as sorted relative paths.
fn files_under(root: &Path) -> Vec<String> {
    let (mut names, mut dirs) = (Vec::new(), vec![root.to_path_buf()]);
    while let Some(dir) = dirs.pop() {
        for path in fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            if path.is_dir() {
                dirs.push(path);
            } else {
                names.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    names.sort();
    names
}

#[tokio::test]
async fn store_writes_two_files_per_variant_or_nothing() {
    let photo = process(&files::webp(900, 700), &PhotoLimits::default()).unwrap();
    let media = tempfile::tempdir().unwrap();
    let storage = Storage::open(&StorageConfig::Local, media.path(), media.path()).unwrap();
    let stored = store(&photo, &storage.photos, "p-0001").await.unwrap();
    assert_eq!((stored.dir.as_str(), stored.variant_widths.as_slice()), ("photos/p-0001", &[320, 800][..]));
    let written = ["p-0001/320.jpg", "p-0001/320.webp", "p-0001/800.jpg", "p-0001/800.webp"];
    assert_eq!(files_under(&media.path().join("photos")), written);
    let dir = media.path().join(&stored.dir);
    assert_eq!(fs::read(dir.join(variant_file(800, "webp"))).unwrap(), photo.variants[1].webp);

    // A write that fails half-way (the last variant's name is taken by a directory) takes the
    // files already written with it.
    fs::create_dir_all(media.path().join("photos/p-0002/800.webp/x")).unwrap();
    assert!(matches!(store(&photo, &storage.photos, "p-0002").await, Err(PhotoError::Io(_))));
    assert_eq!(files_under(&media.path().join("photos")), written, "nothing of p-0002 is left");

    for bad in ["", "../etc", "P-1", "a/b", "a.b"] {
        let err = store(&photo, &storage.photos, bad).await.unwrap_err();
        assert!(matches!(&err, PhotoError::Io(e) if e.kind() == io::ErrorKind::InvalidInput), "{bad:?}: {err:?}");
    }
}

#[test]
fn webp_copies_are_lossy_and_smaller_than_the_jpegs() {
    // A drawn demo picture: detailed enough that lossless WebP would be far larger.
    let picture = crate::seed::images::draw_motif([[240, 230, 210], [150, 40, 30], [200, 150, 40]], 7);
    let v = encode_picture(&picture).unwrap();
    // A lossy WebP's first chunk is "VP8 "; a lossless one's is "VP8L".
    assert_eq!(&v.webp[12..16], b"VP8 ", "lossy WebP");
    assert!(v.webp.len() * 2 < v.jpeg.len(), "WebP {} bytes, JPEG {} bytes", v.webp.len(), v.jpeg.len());
}
