//! The missed call's `tel:` link as a QR code (SVG), for visitors on a computer: one scan with
//! the phone in their hand starts the call from the number they are verifying.

use qrcodegen::{QrCode, QrCodeEcc};

/// Modules of light margin around the code; the standard asks for 4.
const QUIET: i32 = 4;

/// `uri` as a QR code, one square path; `None` if it is too long for a QR code (a `tel:`
/// link never is).
pub fn svg(uri: &str) -> Option<String> {
    let qr = QrCode::encode_text(uri, QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{} {}h1v1h-1z", x + QUIET, y + QUIET));
            }
        }
    }
    let side = size + 2 * QUIET;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>",
        px = side * 5
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_square_code_with_its_quiet_zone() {
        let svg = svg("tel:+447400123456").unwrap();
        assert!(svg.starts_with("<svg"));
        // 17 bytes need version 2 (25 modules) at level M; with 4 each side, 33.
        assert!(svg.contains("viewBox=\"0 0 33 33\""), "{svg}");
        // The top-left finder pattern starts at the quiet zone's corner.
        assert!(svg.contains("M4 4h1v1h-1z"));
        assert!(!svg.contains("M3 3h1"));
    }

    #[test]
    fn encodes_what_it_is_given() {
        let a = QrCode::encode_text("tel:+447400123456", QrCodeEcc::Medium).unwrap();
        let b = QrCode::encode_text("tel:+447400123457", QrCodeEcc::Medium).unwrap();
        let modules = |q: &QrCode| {
            (0..q.size())
                .flat_map(|y| (0..q.size()).map(move |x| (x, y)))
                .filter(|&(x, y)| q.get_module(x, y))
                .count()
        };
        assert_ne!(svg("tel:+447400123456"), svg("tel:+447400123457"));
        assert!(modules(&a) > 100 && modules(&b) > 100);
    }
}
