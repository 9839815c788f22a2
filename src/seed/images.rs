//! Demo pictures drawn by code: a craft-coloured motif per product, so the demo catalogue
//! has real images without shipping photographs.

use image::{Rgb, RgbImage};
use std::f32::consts::TAU;
use std::path::Path;

/// Side of a demo picture in pixels.
pub const SIDE: u32 = 480;

/// Draws a square motif in the palette's colours; `seed` varies the pattern.
pub fn draw_motif(palette: [[u8; 3]; 3], seed: u64) -> RgbImage {
    let [bg, main, accent] = palette.map(Rgb);
    let petals = 6 + (seed % 7) as u32;
    let rings = 2 + ((seed >> 3) % 3) as u32;
    let twist = ((seed >> 6) % 100) as f32 / 100.0;
    let c = SIDE as f32 / 2.0;
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let (dx, dy) = (x as f32 - c, y as f32 - c);
        let r = (dx * dx + dy * dy).sqrt() / c;
        let a = dy.atan2(dx) / TAU + 0.5 + twist * r;
        // A zigzag border band.
        let edge = x.min(y).min(SIDE - 1 - x).min(SIDE - 1 - y) as f32 / c;
        if edge < 0.08 {
            let zig = ((x + y) / 12).is_multiple_of(2) ^ ((x + SIDE - y) / 12).is_multiple_of(2);
            return if zig { main } else { accent };
        }
        if edge < 0.1 {
            return accent;
        }
        // Petals around the centre.
        let petal = ((a * petals as f32).fract() - 0.5).abs() * 2.0;
        if r < 0.78 && r > 0.3 && petal < 0.55 - (r - 0.3) {
            return if ((a * petals as f32) as u32).is_multiple_of(2) { main } else { accent };
        }
        // Concentric rings in the middle.
        if r < 0.3 {
            let band = (r * rings as f32 * 6.0) as u32;
            return if band.is_multiple_of(2) { accent } else { main };
        }
        // A faint woven texture on the ground.
        let weave = ((x / 6 + y / 6) % 2) as u8 * 10;
        Rgb([bg.0[0].saturating_add(weave), bg.0[1].saturating_add(weave), bg.0[2].saturating_add(weave)])
    })
}

/// Widths of the copies made of every demo picture, narrowest first (the widest is `SIDE`).
/// A card on a phone is half the screen less its gutter, about 182 CSS px on a 412 px screen:
/// 320 px serves it at a device pixel ratio of 1.75 (a mid-range phone, and Lighthouse's
/// emulated one) without sending the 360 px copy's extra quarter.
pub const WIDTHS: [u32; 3] = [240, 320, SIDE];

/// The row path of a demo picture stored in `dir`: its widest JPEG copy.
pub fn main_file(dir: &str) -> String {
    format!("{dir}/{}", crate::media::photos::variant_file(SIDE, "jpg"))
}

/// Draws the picture into the directory `dir` as JPEG and lossy WebP copies at each of
/// `WIDTHS`, named as uploaded photos are (`240.jpg`, `240.webp`, …), unless they are all
/// there already. Returns whether it drew. Each file is written under a temporary name and
/// renamed into place, so a concurrent seed never sees half a file.
pub fn save_once(dir: &Path, palette: [[u8; 3]; 3], seed: u64) -> anyhow::Result<bool> {
    let file = |width: u32, ext: &str| dir.join(crate::media::photos::variant_file(width, ext));
    if WIDTHS.iter().all(|&w| file(w, "jpg").exists() && file(w, "webp").exists()) {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    let img = draw_motif(palette, seed);
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    for width in WIDTHS {
        let copy = if width == SIDE {
            img.clone()
        } else {
            image::imageops::resize(&img, width, width, image::imageops::FilterType::CatmullRom)
        };
        let variant = crate::media::photos::encode_picture(&copy)?;
        for (ext, data) in [("jpg", &variant.jpeg), ("webp", &variant.webp)] {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = dir.join(format!(".tmp-{width}-{}-{n}", std::process::id()));
            std::fs::write(&tmp, data)?;
            std::fs::rename(&tmp, file(width, ext))?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motifs_differ_by_seed_and_use_the_palette() {
        let p = [[10, 10, 10], [200, 30, 30], [220, 180, 60]];
        let a = draw_motif(p, 1);
        let b = draw_motif(p, 2);
        assert_eq!(a.dimensions(), (SIDE, SIDE));
        assert_ne!(a.as_raw(), b.as_raw());
        assert!(a.pixels().any(|px| px.0 == [200, 30, 30]));
    }
}

/// One picture to draw.
#[derive(Debug, Clone)]
pub struct Job {
    pub path: std::path::PathBuf,
    pub palette: [[u8; 3]; 3],
    pub seed: u64,
}

/// Draws the pictures that do not exist yet on all cores; calls `tick` after each job.
/// Returns how many were drawn.
pub fn draw_all(jobs: &[Job], tick: &(dyn Fn() + Sync)) -> anyhow::Result<usize> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> anyhow::Result<usize> {
                    let mut drawn = 0;
                    for job in part {
                        if save_once(&job.path, job.palette, job.seed)? {
                            drawn += 1;
                        }
                        tick();
                    }
                    Ok(drawn)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().map_err(|_| anyhow::anyhow!("a drawing thread panicked"))?).sum()
    })
}
