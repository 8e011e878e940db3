//! Text for PDF documents: `DejaVu Sans` (Debian's `fonts-dejavu-core`, cut to Latin, Greek and
//! Cyrillic in `fonts/`, its licence beside it), measured for alignment and embedded in each
//! document as a subset of the glyphs that document uses, so names print as written.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::LazyLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};

const REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold-subset.ttf");

/// One face of the embedded font.
pub(crate) struct Face {
    data: &'static [u8],
    parsed: Option<ttf_parser::Face<'static>>,
    name: &'static str,
}

static FACES: LazyLock<[Face; 2]> = LazyLock::new(|| {
    [
        Face::load(REGULAR_TTF, "DejaVuSans"),
        Face::load(BOLD_TTF, "DejaVuSans-Bold"),
    ]
});

/// The regular (`false`) or bold (`true`) face.
pub(crate) fn face(bold: bool) -> &'static Face {
    &FACES[usize::from(bold)]
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Self {
        Self {
            data,
            parsed: ttf_parser::Face::parse(data, 0).ok(),
            name,
        }
    }

    /// The glyph for `c`: its own, or the replacement character's where the font has none.
    pub(crate) fn glyph(&self, c: char) -> u16 {
        self.parsed.as_ref().map_or(0, |face| {
            face.glyph_index(c)
                .or_else(|| face.glyph_index('\u{FFFD}'))
                .map_or(0, |g| g.0)
        })
    }

    fn units_per_em(&self) -> f32 {
        self.parsed
            .as_ref()
            .map_or(1000.0, |f| f32::from(f.units_per_em()))
    }

    /// A glyph's advance in thousandths of the size (PDF's glyph space).
    fn advance(&self, glyph: u16) -> f32 {
        let units = self
            .parsed
            .as_ref()
            .and_then(|f| f.glyph_hor_advance(ttf_parser::GlyphId(glyph)))
            .unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em()
    }

    /// How wide `text` is at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// A value of the font's metrics in glyph space.
    fn metric(&self, pick: impl Fn(&ttf_parser::Face<'static>) -> i16) -> f32 {
        self.parsed
            .as_ref()
            .map_or(0.0, |f| f32::from(pick(f)) * 1000.0 / self.units_per_em())
    }
}

/// The glyphs a document uses, per face, with the character each stands for; then written as
/// two-byte glyph ids of the subset.
#[derive(Default)]
pub(crate) struct Glyphs {
    used: [BTreeMap<u16, char>; 2],
    remap: [Option<subsetter::GlyphRemapper>; 2],
}

impl Glyphs {
    /// Notes the glyphs of `text` in the face.
    pub(crate) fn note(&mut self, bold: bool, text: &str) {
        let face = face(bold);
        for c in text.chars() {
            // A character the font lacks prints as the replacement glyph, and copies as U+FFFD.
            let own = face
                .parsed
                .as_ref()
                .is_some_and(|f| f.glyph_index(c).is_some());
            self.used[usize::from(bold)]
                .entry(face.glyph(c))
                .or_insert(if own { c } else { '\u{FFFD}' });
        }
    }

    /// Fixes each face's subset: glyph ids from 1 in the order of the original ids.
    pub(crate) fn seal(&mut self) {
        for (index, used) in self.used.iter().enumerate() {
            let glyphs: Vec<u16> = used.keys().copied().collect();
            self.remap[index] = Some(subsetter::GlyphRemapper::new_from_glyphs_sorted(&glyphs));
        }
    }

    /// `text` as the subset's glyph ids, two bytes each (after [`Glyphs::seal`]).
    pub(crate) fn encode(&self, bold: bool, text: &str) -> Vec<u8> {
        let face = face(bold);
        let remap = self.remap[usize::from(bold)].as_ref();
        text.chars()
            .flat_map(|c| {
                let glyph = face.glyph(c);
                remap.and_then(|r| r.get(glyph)).unwrap_or(0).to_be_bytes()
            })
            .collect()
    }

    /// Writes each face used as a Type 0 font with its subset embedded, a width per glyph and
    /// a map back to Unicode (so text can be searched and copied); returns the fonts' refs.
    pub(crate) fn write(&self, pdf: &mut Pdf, next: &mut impl FnMut() -> Ref) -> [Ref; 2] {
        let mut refs = [Ref::new(1); 2];
        for (index, used) in self.used.iter().enumerate() {
            let face = face(index == 1);
            let remap = self.remap[index]
                .clone()
                .unwrap_or_else(|| subsetter::GlyphRemapper::new_from_glyphs_sorted(&[]));
            let font = next();
            refs[index] = font;
            let (cid, descriptor, file, cmap) = (next(), next(), next(), next());
            let tag = subset_tag(used.keys().copied());
            let base = format!("{tag}+{}", face.name);
            let base = Name(base.as_bytes());
            pdf.type0_font(font)
                .base_font(base)
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid)
                .to_unicode(cmap);
            let system = SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"Identity"),
                supplement: 0,
            };
            let mut widths = vec![0.0_f32; usize::from(remap.num_gids())];
            for old in remap.remapped_gids() {
                if let Some(new) = remap.get(old) {
                    widths[usize::from(new)] = face.advance(old);
                }
            }
            let mut cid_font = pdf.cid_font(cid);
            cid_font
                .subtype(CidFontType::Type2)
                .base_font(base)
                .system_info(system)
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            cid_font.widths().consecutive(0, widths);
            cid_font.finish();
            let (ascent, descent) = (
                face.metric(ttf_parser::Face::ascender),
                face.metric(ttf_parser::Face::descender),
            );
            let cap = face.metric(|f| f.capital_height().unwrap_or(0));
            let bbox = face
                .parsed
                .as_ref()
                .map_or(Rect::new(0.0, 0.0, 0.0, 0.0), |f| {
                    let b = f.global_bounding_box();
                    let scale = 1000.0 / face.units_per_em();
                    Rect::new(
                        f32::from(b.x_min) * scale,
                        f32::from(b.y_min) * scale,
                        f32::from(b.x_max) * scale,
                        f32::from(b.y_max) * scale,
                    )
                });
            pdf.font_descriptor(descriptor)
                .name(base)
                .flags(FontFlags::NON_SYMBOLIC)
                .bbox(bbox)
                .italic_angle(0.0)
                .ascent(ascent)
                .descent(descent)
                .cap_height(cap)
                .stem_v(if index == 1 { 140.0 } else { 80.0 })
                .font_file2(file);
            let program = subsetter::subset(face.data, 0, &remap).unwrap_or_default();
            let length = i32::try_from(program.len()).unwrap_or(i32::MAX);
            pdf.stream(file, &deflate(&program))
                .filter(Filter::FlateDecode)
                .pair(Name(b"Length1"), length);
            let mut unicode = UnicodeCmap::new(Name(b"Custom"), system);
            for (old, c) in used {
                if let Some(new) = remap.get(*old) {
                    unicode.pair(new, *c);
                }
            }
            pdf.cmap(cmap, &unicode.finish());
        }
        refs
    }
}

/// Six capitals naming a subset (PDF 9.6.4), from its glyphs.
fn subset_tag(glyphs: impl Iterator<Item = u16>) -> String {
    let mut hash: u32 = 2_166_136_261;
    for glyph in glyphs {
        for byte in glyph.to_be_bytes() {
            hash = (hash ^ u32::from(byte)).wrapping_mul(16_777_619);
        }
    }
    (0..6)
        .map(|i| {
            let letter = (hash >> (i * 5)) % 26;
            char::from(b'A' + u8::try_from(letter).unwrap_or(0))
        })
        .collect()
}

/// Zlib-compressed bytes, for a stream with `FlateDecode`.
pub(crate) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    if encoder.write_all(bytes).is_err() {
        return Vec::new();
    }
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_cover_latin_greek_and_cyrillic() {
        for bold in [false, true] {
            let face = face(bold);
            assert!(face.parsed.is_some(), "{} parses", face.name);
            for c in "Zoë Ωμέγα Жанна Łódź ĞÜ €₽ – “”".chars() {
                if c != ' ' {
                    assert_ne!(
                        face.glyph(c),
                        face.glyph('\u{FFFD}'),
                        "{c} in {}",
                        face.name
                    );
                }
            }
        }
        // A character outside the cut prints as the replacement character, not as nothing.
        assert_eq!(face(false).glyph('中'), face(false).glyph('\u{FFFD}'));
        assert!(face(false).width("1,234.00", 10.0) > face(false).width("1.00", 10.0));
    }
}
