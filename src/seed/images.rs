//! Demo pictures drawn by code: a craft-coloured motif per product, so the demo catalogue
//! has real images without shipping photographs.

use image::{ImageFormat, Rgb, RgbImage};
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

/// Writes the picture as JPEG unless the file already exists (the pictures are deterministic).
/// Writes to a temporary name first, so a reader never sees half a file.
pub fn save_once(path: &Path, palette: [[u8; 3]; 3], seed: u64) -> anyhow::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let img = draw_motif(palette, seed);
    // Unique per process and call: parallel seeds may draw the same picture at once.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    img.save_with_format(&tmp, ImageFormat::Jpeg)?;
    std::fs::rename(&tmp, path)?;
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
