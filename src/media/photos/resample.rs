//! Resizing in two passes with fixed-point weights: an exact area average for the big step
//! down from the camera's size, Catmull-Rom for the smaller steps after it.

use image::RgbImage;
use std::thread;

#[derive(Clone, Copy)]
pub(super) enum Filter {
    /// Each output pixel the exact average of the source area it covers.
    Area,
    /// Catmull-Rom cubic: sharper, for the smaller steps.
    CatmullRom,
}

/// Sampling weights along one axis: output `i` reads `n` source pixels from `starts[i]`, with weights
/// `weights[i * n..][..n]` in 1/16384ths, summing to 16384.
struct Taps {
    n: usize,
    starts: Vec<usize>,
    weights: Vec<i32>,
}

const ONE: f64 = 16384.0;

fn taps(src: u32, dst: u32, filter: Filter) -> Taps {
    let scale = f64::from(src) / f64::from(dst);
    let spread = scale.max(1.0);
    let support = spread * if let Filter::Area = filter { 0.5 } else { 2.0 };
    let n = (support.ceil() as usize * 2 + 1).min(src as usize);
    let (mut starts, mut weights) = (Vec::with_capacity(dst as usize), Vec::with_capacity(n * dst as usize));
    for i in 0..dst {
        let center = (f64::from(i) + 0.5) * scale;
        let start = ((center - support).floor().max(0.0) as usize).min(src as usize - n);
        let w: Vec<f64> = (start..start + n)
            .map(|x| {
                let d = x as f64 + 0.5 - center;
                match filter {
                    Filter::Area => ((d + 0.5).min(scale / 2.0) - (d - 0.5).max(-scale / 2.0)).max(0.0),
                    Filter::CatmullRom => match (d / spread).abs() {
                        t if t < 1.0 => (1.5 * t - 2.5) * t * t + 1.0,
                        t if t < 2.0 => ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0,
                        _ => 0.0,
                    },
                }
            })
            .collect();
        let sum: f64 = w.iter().sum();
        starts.push(start);
        weights.extend(w.iter().map(|w| (w / sum * ONE).round() as i32));
    }
    Taps { n, starts, weights }
}

fn to_u8(acc: i32) -> u8 {
    ((acc + (1 << 13)) >> 14).clamp(0, 255) as u8
}

/// Resizes in two separable passes in fixed point (vertical into one row, then horizontal), output rows shared
/// out among the available cores.
pub(super) fn resample(src: &RgbImage, width: u32, height: u32, filter: Filter) -> RgbImage {
    let (xs, ys) = (taps(src.width(), width, filter), taps(src.height(), height, filter));
    let (src_row, dst_row) = (src.width() as usize * 3, width as usize * 3);
    let pixels = src.as_raw();
    let fill = |first: usize, rows: &mut [u8]| {
        let (mut sums, mut line) = (vec![0i32; src_row], vec![0u8; src_row]);
        for (y, out) in (first..).zip(rows.chunks_exact_mut(dst_row)) {
            sums.fill(0);
            for (k, &w) in ys.weights[y * ys.n..][..ys.n].iter().enumerate() {
                let row = &pixels[(ys.starts[y] + k) * src_row..][..src_row];
                sums.iter_mut().zip(row).for_each(|(s, &p)| *s += w * i32::from(p));
            }
            line.iter_mut().zip(&sums).for_each(|(l, &s)| *l = to_u8(s));
            for (x, px) in out.chunks_exact_mut(3).enumerate() {
                let mut acc = [0i32; 3];
                let from = &line[xs.starts[x] * 3..][..xs.n * 3];
                for (&w, p) in xs.weights[x * xs.n..][..xs.n].iter().zip(from.chunks_exact(3)) {
                    acc.iter_mut().zip(p).for_each(|(a, &p)| *a += w * i32::from(p));
                }
                px.iter_mut().zip(acc).for_each(|(p, a)| *p = to_u8(a));
            }
        }
    };
    let mut out = RgbImage::new(width, height);
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let rows_each = (height as usize).div_ceil(threads).max(1);
    thread::scope(|scope| {
        for (i, rows) in out.chunks_mut(rows_each * dst_row).enumerate() {
            scope.spawn(move || fill(i * rows_each, rows));
        }
    });
    out
}
