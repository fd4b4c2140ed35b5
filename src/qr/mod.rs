//! QR codes as images: PNG (for files and the `/qr/{token}.png` endpoint) and SVG (inline in the
//! posters, and `/qr/{token}.svg`). Knows nothing of tokens, stores or the database; it turns a
//! URL into pictures.
//!
//! Error correction is level M (15 % of the code may be dirty or torn): enough for a counter
//! poster, and fewer modules than Q or H, so each module prints larger and the code scans from
//! further away. The quiet zone (four light modules around the code, which scanners need) is
//! always kept.

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use qrcode::{Color, EcLevel, QrCode};

/// The light margin around the code, in modules (the QR specification's minimum).
pub const QUIET_ZONE: usize = 4;
/// PNG sizes a caller may ask for; other sizes are clamped into this range.
pub const MIN_PNG_SIZE: u32 = 128;
pub const MAX_PNG_SIZE: u32 = 2048;
pub const DEFAULT_PNG_SIZE: u32 = 512;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("the PNG could not be written: {0}")]
    Png(#[from] image::ImageError),
}

/// A requested PNG size (`?size=`), clamped to [`MIN_PNG_SIZE`]..=[`MAX_PNG_SIZE`].
pub fn png_size(requested: Option<u32>) -> u32 {
    requested
        .unwrap_or(DEFAULT_PNG_SIZE)
        .clamp(MIN_PNG_SIZE, MAX_PNG_SIZE)
}

/// The modules of one code: `dark[y * width + x]`, without the quiet zone.
pub struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

impl Matrix {
    pub fn encode(text: &str) -> Result<Self, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
        let width = code.width();
        let dark = code
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Self { width, dark })
    }

    /// Modules per side, quiet zone included.
    pub fn total_width(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Runs of dark modules in row `y`: `(first x, length)`.
    fn dark_runs(&self, y: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < self.width && !self.is_dark(x, y) {
                x += 1;
            }
            if x >= self.width {
                return None;
            }
            let start = x;
            while x < self.width && self.is_dark(x, y) {
                x += 1;
            }
            Some((start, x - start))
        })
    }
}

/// A square grayscale PNG of `size` × `size` pixels (clamp it with [`png_size`] first). Modules
/// are whole pixels, so edges stay sharp; what does not divide evenly widens the light margin.
pub fn png(text: &str, size: u32) -> Result<Vec<u8>, QrError> {
    let matrix = Matrix::encode(text)?;
    let total = matrix.total_width();
    // A code wider than the requested size gets one pixel per module.
    let side = (size as usize).max(total);
    let module = side / total;
    let margin = (side - module * total) / 2 + QUIET_ZONE * module;

    let mut pixels = vec![255u8; side * side];
    let mut row = vec![255u8; side];
    for y in 0..matrix.width {
        row.fill(255);
        for (x, run) in matrix.dark_runs(y) {
            let start = margin + x * module;
            row[start..start + run * module].fill(0);
        }
        let top = margin + y * module;
        for line in pixels[top * side..(top + module) * side].chunks_exact_mut(side) {
            line.copy_from_slice(&row);
        }
    }

    let mut out = Vec::with_capacity(side * side / 16);
    // Rows repeat `module` times: the Up filter turns the repeats into zeros, which the fast
    // deflate level packs to almost nothing.
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Up).write_image(
        &pixels,
        side as u32,
        side as u32,
        image::ExtendedColorType::L8,
    )?;
    Ok(out)
}

/// An SVG of the code that scales to any print size: one path of the dark runs on a white
/// square, one unit per module. Fit to embed in HTML as is (no XML declaration).
pub fn svg(text: &str) -> Result<String, QrError> {
    let matrix = Matrix::encode(text)?;
    let total = matrix.total_width();
    let mut path = String::with_capacity(matrix.width * matrix.width);
    for y in 0..matrix.width {
        for (x, run) in matrix.dark_runs(y) {
            use std::fmt::Write;
            let _ = write!(
                path,
                "M{} {}h{run}v1h-{run}z",
                x + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    let px = total * 8;
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {total}" "#,
            r#"width="{px}" height="{px}" shape-rendering="crispEdges" role="img" aria-label="QR code">"#,
            r##"<rect width="{total}" height="{total}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
        ),
        total = total,
        px = px,
        path = path
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://shop.example.com.tw/q/AbCdEfGhIjKlMnOpQrStUv";

    #[test]
    fn requested_sizes_are_clamped_to_sane_bounds() {
        assert_eq!(png_size(None), DEFAULT_PNG_SIZE);
        assert_eq!(png_size(Some(1)), MIN_PNG_SIZE);
        assert_eq!(png_size(Some(1000)), 1000);
        assert_eq!(png_size(Some(u32::MAX)), MAX_PNG_SIZE);
    }

    #[test]
    fn the_png_has_the_requested_size_and_a_light_quiet_zone() {
        let bytes = png(URL, 1000).unwrap();
        let image = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert_eq!(image.dimensions(), (1000, 1000));
        let matrix = Matrix::encode(URL).unwrap();
        let module = 1000 / matrix.total_width() as u32;
        let quiet = QUIET_ZONE as u32 * module;
        for i in 0..1000 {
            for j in 0..quiet {
                assert_eq!(image.get_pixel(i, j).0[0], 255, "top margin at ({i},{j})");
                assert_eq!(image.get_pixel(j, i).0[0], 255, "left margin at ({j},{i})");
                assert_eq!(image.get_pixel(i, 999 - j).0[0], 255);
                assert_eq!(image.get_pixel(999 - j, i).0[0], 255);
            }
        }
        // Some modules are dark: the finder pattern's corner sits right inside the quiet zone.
        let margin = (1000 - module * matrix.total_width() as u32) / 2 + quiet;
        assert_eq!(image.get_pixel(margin, margin).0[0], 0);
    }

    #[test]
    fn the_code_uses_error_correction_m() {
        let code = QrCode::with_error_correction_level(URL.as_bytes(), EcLevel::M).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::M);
        assert_eq!(Matrix::encode(URL).unwrap().width, code.width());
    }

    #[test]
    fn the_svg_is_a_self_contained_square_with_the_quiet_zone() {
        let svg = svg(URL).unwrap();
        let total = Matrix::encode(URL).unwrap().total_width();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(&format!("viewBox=\"0 0 {total} {total}\"")));
        // The first dark module is the finder pattern's corner at (4, 4).
        assert!(svg.contains("d=\"M4 4h7v1h-7z"), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn text_too_long_for_a_qr_code_is_an_error_not_a_panic() {
        assert!(png(&"x".repeat(5000), 512).is_err());
        assert!(svg(&"x".repeat(5000)).is_err());
    }
}
