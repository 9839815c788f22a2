//! Media files: product photos decoded under limits, turned upright, stripped of metadata
//! and stored as resized JPEG and WebP variants under the media directory.

pub mod photos;
