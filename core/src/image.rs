//! The number to call, drawn as an SVG of stroked paths.
//!
//! There is no text node, no title and no label holding the digits, so a script on the page
//! cannot read the number out of the DOM; every glyph is nudged by a random sub-stroke amount so
//! the same digit is never the same path twice, which defeats matching paths against a table.

use crate::random::Randomness;

const GLYPH_W: f32 = 12.0;
const GLYPH_H: f32 = 20.0;
const ADVANCE: f32 = 18.0;
const GAP: f32 = 8.0;
const MARGIN: f32 = 8.0;

// Seven segments: a top, b upper right, c lower right, d bottom, e lower left, f upper left,
// g middle; as (x1, y1, x2, y2) in glyph units.
const SEGMENTS: [(f32, f32, f32, f32); 7] = [
    (0.0, 0.0, GLYPH_W, 0.0),
    (GLYPH_W, 0.0, GLYPH_W, GLYPH_H / 2.0),
    (GLYPH_W, GLYPH_H / 2.0, GLYPH_W, GLYPH_H),
    (0.0, GLYPH_H, GLYPH_W, GLYPH_H),
    (0.0, GLYPH_H / 2.0, 0.0, GLYPH_H),
    (0.0, 0.0, 0.0, GLYPH_H / 2.0),
    (0.0, GLYPH_H / 2.0, GLYPH_W, GLYPH_H / 2.0),
];

fn segments_of(digit: u8) -> u8 {
    // Bit i set = segment i lit.
    [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f][digit as usize]
}

/// Draws `display` (digits, `+` and spaces, e.g. `+44 20 7946 0001`); other characters are
/// skipped.
pub fn number_svg(display: &str, rng: &mut impl Randomness) -> String {
    let mut paths = String::new();
    let mut x = MARGIN;
    // Up to ±0.6 units: visible to no one, but enough that no two paths repeat.
    let mut jitter = |v: f32| v + (rng.below(1000) as f32 / 1000.0 - 0.5) * 1.2;
    for ch in display.chars() {
        match ch {
            '0'..='9' => {
                let bits = segments_of(ch as u8 - b'0');
                for (i, (x1, y1, x2, y2)) in SEGMENTS.iter().enumerate() {
                    if bits & (1 << i) != 0 {
                        let (ax, ay) = (jitter(x + x1), jitter(MARGIN + y1));
                        let (bx, by) = (jitter(x + x2), jitter(MARGIN + y2));
                        paths.push_str(&format!("M{ax:.1} {ay:.1}L{bx:.1} {by:.1}"));
                    }
                }
                x += ADVANCE;
            }
            '+' => {
                let (cx, cy) = (x + GLYPH_W / 2.0, MARGIN + GLYPH_H / 2.0);
                paths.push_str(&format!(
                    "M{:.1} {cy:.1}L{:.1} {cy:.1}M{cx:.1} {:.1}L{cx:.1} {:.1}",
                    cx - 5.0,
                    cx + 5.0,
                    cy - 5.0,
                    cy + 5.0
                ));
                x += ADVANCE;
            }
            ' ' => x += GAP,
            _ => {}
        }
    }
    let width = x - (ADVANCE - GLYPH_W) + MARGIN;
    let height = GLYPH_H + 2.0 * MARGIN;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         width=\"{w2:.0}\" height=\"{h2:.0}\" aria-hidden=\"true\">\
         <path d=\"{paths}\" fill=\"none\" stroke=\"#111\" stroke-width=\"2.6\" \
         stroke-linecap=\"round\"/></svg>",
        w2 = width * 1.5,
        h2 = height * 1.5
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::testing::Seeded;

    #[test]
    fn has_no_text_that_gives_the_number_away() {
        let svg = number_svg("+44 20 7946 0001", &mut Seeded(5));
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<text") && !svg.contains("<title"));
        assert!(!svg.contains("7946") && !svg.contains("0001"));
    }

    #[test]
    fn draws_one_stroke_per_lit_segment() {
        let count = |s: &str| number_svg(s, &mut Seeded(1)).matches('M').count();
        assert_eq!(count("1"), 2);
        assert_eq!(count("8"), 7);
        assert_eq!(count("+"), 2);
        assert_eq!(count("18"), 9);
    }

    #[test]
    fn the_same_number_is_drawn_differently_each_time() {
        let a = number_svg("0001", &mut Seeded(1));
        let b = number_svg("0001", &mut Seeded(2));
        assert_ne!(a, b);
    }
}
