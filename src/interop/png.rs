//! The few PNG chunks character cards need: reading text chunks (`tEXt`, `zTXt`, `iTXt`) wherever
//! they sit before `IEND`, writing `tEXt` chunks into an existing image, and a plain placeholder
//! image when a persona has no avatar.
//!
//! Pixels are never decoded: chunks are walked and copied byte for byte (PNG specification,
//! section 5: length, type, data, CRC-32 of type and data).

use std::io::{Read as _, Write as _};

/// The eight bytes every PNG file starts with.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// The largest text we inflate from one compressed chunk, in bytes (a guard against zip bombs):
/// the size limit of a card in JSON.
pub const MAX_INFLATED_BYTES: u64 = crate::model::limits::MAX_DOCUMENT_BYTES;

/// Which kind of text chunk a text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// `tEXt`: Latin-1, uncompressed.
    Text,
    /// `zTXt`: Latin-1, zlib-compressed.
    CompressedText,
    /// `iTXt`: UTF-8, optionally compressed.
    InternationalText,
}

impl TextKind {
    /// The chunk type as written in the file.
    pub fn chunk_type(self) -> &'static str {
        match self {
            TextKind::Text => "tEXt",
            TextKind::CompressedText => "zTXt",
            TextKind::InternationalText => "iTXt",
        }
    }
}

/// One text chunk of a PNG file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextChunk {
    /// The keyword (`chara`, `ccv3`, `Comment`…).
    pub keyword: String,
    /// The text, decoded and inflated.
    pub text: String,
    /// The chunk type it came from.
    pub kind: TextKind,
    /// Byte offset of the chunk (its length field) in the file.
    pub offset: usize,
    /// Whether the chunk's CRC matched its content.
    pub crc_ok: bool,
}

/// A problem in a PNG file, at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {message}")]
pub struct PngError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl PngError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
        }
    }
}

/// One raw chunk: where it starts and ends in the file, its type and data.
#[derive(Clone, Copy, Debug)]
struct RawChunk<'a> {
    start: usize,
    end: usize,
    kind: [u8; 4],
    data: &'a [u8],
    crc_ok: bool,
}

/// Walks the chunks of `png` up to and including `IEND`.
fn chunks(png: &[u8]) -> Result<Vec<RawChunk<'_>>, PngError> {
    if png.len() < SIGNATURE.len() || png[..8] != SIGNATURE {
        return Err(PngError::new(
            0,
            "not a PNG image (the PNG signature is missing)",
        ));
    }
    let mut out = Vec::new();
    let mut at = SIGNATURE.len();
    loop {
        if at + 12 > png.len() {
            return Err(PngError::new(
                at,
                "the file ends before the IEND chunk (truncated image)",
            ));
        }
        let length = u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]) as usize;
        let kind = [png[at + 4], png[at + 5], png[at + 6], png[at + 7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(PngError::new(
                at + 4,
                "a chunk type is not four letters (corrupt image)",
            ));
        }
        let data_start = at + 8;
        let Some(data_end) = data_start
            .checked_add(length)
            .filter(|&e| e + 4 <= png.len())
        else {
            return Err(PngError::new(
                at,
                format!(
                    "the {} chunk claims {length} bytes, past the end of the file",
                    String::from_utf8_lossy(&kind)
                ),
            ));
        };
        let stored = u32::from_be_bytes([
            png[data_end],
            png[data_end + 1],
            png[data_end + 2],
            png[data_end + 3],
        ]);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&kind);
        hasher.update(&png[data_start..data_end]);
        let chunk = RawChunk {
            start: at,
            end: data_end + 4,
            kind,
            data: &png[data_start..data_end],
            crc_ok: hasher.finalize() == stored,
        };
        out.push(chunk);
        at = chunk.end;
        if &kind == b"IEND" {
            return Ok(out);
        }
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

fn inflate(data: &[u8], offset: usize) -> Result<Vec<u8>, PngError> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            PngError::new(
                offset,
                format!("the compressed text cannot be inflated: {e}"),
            )
        })?;
    if out.len() as u64 > MAX_INFLATED_BYTES {
        return Err(PngError::new(
            offset,
            format!("the compressed text inflates past {MAX_INFLATED_BYTES} bytes"),
        ));
    }
    Ok(out)
}

fn split_nul(data: &[u8], offset: usize, what: &str) -> Result<(Vec<u8>, usize), PngError> {
    let nul = data
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| PngError::new(offset, format!("the {what} has no NUL separator")))?;
    Ok((data[..nul].to_vec(), nul + 1))
}

fn text_of(chunk: &RawChunk<'_>) -> Result<Option<TextChunk>, PngError> {
    let offset = chunk.start;
    let (kind, keyword, text) = match &chunk.kind {
        b"tEXt" => {
            let (keyword, rest) = split_nul(chunk.data, offset, "tEXt chunk")?;
            (
                TextKind::Text,
                latin1(&keyword),
                latin1(&chunk.data[rest..]),
            )
        }
        b"zTXt" => {
            let (keyword, rest) = split_nul(chunk.data, offset, "zTXt chunk")?;
            let Some((&method, compressed)) = chunk.data[rest..].split_first() else {
                return Err(PngError::new(
                    offset,
                    "the zTXt chunk has no compression method",
                ));
            };
            if method != 0 {
                return Err(PngError::new(
                    offset,
                    format!("the zTXt chunk uses unknown compression method {method}"),
                ));
            }
            (
                TextKind::CompressedText,
                latin1(&keyword),
                latin1(&inflate(compressed, offset)?),
            )
        }
        b"iTXt" => {
            let (keyword, mut rest) = split_nul(chunk.data, offset, "iTXt chunk")?;
            if chunk.data.len() < rest + 2 {
                return Err(PngError::new(offset, "the iTXt chunk is cut short"));
            }
            let compressed = chunk.data[rest] == 1;
            let method = chunk.data[rest + 1];
            rest += 2;
            let (_language, used) = split_nul(&chunk.data[rest..], offset, "iTXt language tag")?;
            rest += used;
            let (_translated, used) =
                split_nul(&chunk.data[rest..], offset, "iTXt translated keyword")?;
            rest += used;
            let body = &chunk.data[rest..];
            let bytes = if compressed {
                if method != 0 {
                    return Err(PngError::new(
                        offset,
                        format!("the iTXt chunk uses unknown compression method {method}"),
                    ));
                }
                inflate(body, offset)?
            } else {
                body.to_vec()
            };
            let text = String::from_utf8(bytes)
                .map_err(|_| PngError::new(offset, "the iTXt text is not valid UTF-8"))?;
            (
                TextKind::InternationalText,
                String::from_utf8_lossy(&keyword).into_owned(),
                text,
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(TextChunk {
        keyword,
        text,
        kind,
        offset,
        crc_ok: chunk.crc_ok,
    }))
}

/// The keyword of a text chunk, read without inflating anything.
fn keyword_of(chunk: &RawChunk<'_>) -> Option<String> {
    if !matches!(&chunk.kind, b"tEXt" | b"zTXt" | b"iTXt") {
        return None;
    }
    let nul = chunk.data.iter().position(|&b| b == 0)?;
    Some(latin1(&chunk.data[..nul]))
}

/// The first text chunk of `png` for each of `keywords` (compared case-insensitively), in file
/// order, wherever it sits before `IEND`. Only those are decoded and inflated, each within
/// [`MAX_INFLATED_BYTES`]: a file with many compressed chunks costs no more than one per keyword.
pub fn text_chunks(png: &[u8], keywords: &[&str]) -> Result<Vec<TextChunk>, PngError> {
    let mut seen = vec![false; keywords.len()];
    let mut out = Vec::new();
    for chunk in chunks(png)? {
        let Some(keyword) = keyword_of(&chunk) else {
            continue;
        };
        let Some(k) = keywords
            .iter()
            .position(|w| w.eq_ignore_ascii_case(&keyword))
        else {
            continue;
        };
        if std::mem::replace(&mut seen[k], true) {
            continue;
        }
        if let Some(text) = text_of(&chunk)? {
            out.push(text);
        }
    }
    Ok(out)
}

/// The keywords of every text chunk of `png`, in file order; nothing is inflated.
pub fn text_keywords(png: &[u8]) -> Result<Vec<String>, PngError> {
    Ok(chunks(png)?.iter().filter_map(keyword_of).collect())
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // A chunk holds at most 2^31 - 1 bytes; card texts are far below.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(kind);
    hasher.update(data);
    out.extend_from_slice(&hasher.finalize().to_be_bytes());
}

/// `png` without the text chunks whose keyword is one of `keywords` (compared case-insensitively),
/// and with a `tEXt` chunk for each of `add` (keyword, Latin-1 text) inserted before `IEND`.
/// Every other chunk is copied byte for byte.
pub fn replace_text_chunks(
    png: &[u8],
    keywords: &[&str],
    add: &[(&str, &str)],
) -> Result<Vec<u8>, PngError> {
    let all = chunks(png)?;
    let mut out =
        Vec::with_capacity(png.len() + add.iter().map(|(_, t)| t.len() + 32).sum::<usize>());
    out.extend_from_slice(&SIGNATURE);
    for chunk in &all {
        if &chunk.kind == b"IEND" {
            for (keyword, text) in add {
                if keyword.is_empty()
                    || keyword.len() > 79
                    || !text.chars().all(|c| (c as u32) < 256)
                {
                    return Err(PngError::new(
                        chunk.start,
                        format!("`{keyword}` cannot be written as a Latin-1 tEXt chunk"),
                    ));
                }
                let mut data: Vec<u8> = keyword.chars().map(|c| c as u8).collect();
                data.push(0);
                data.extend(text.chars().map(|c| c as u8));
                write_chunk(&mut out, b"tEXt", &data);
            }
        } else if matches!(&chunk.kind, b"tEXt" | b"zTXt" | b"iTXt") {
            let keyword_end = chunk.data.iter().position(|&b| b == 0).unwrap_or(0);
            let keyword = latin1(&chunk.data[..keyword_end]);
            if keywords.iter().any(|k| k.eq_ignore_ascii_case(&keyword)) {
                continue;
            }
        }
        out.extend_from_slice(&png[chunk.start..chunk.end]);
    }
    Ok(out)
}

/// A `width` × `height` PNG of one colour with a lighter diagonal band: the placeholder avatar of a
/// persona without one.
pub fn placeholder_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((height * (1 + width * 3)) as usize);
    let light = rgb.map(|c| c + (255 - c) / 3);
    for y in 0..height {
        raw.push(0); // filter type: none
        for x in 0..width {
            let band = (x + y) % (width.max(1) / 2).max(1) < width / 8;
            raw.extend_from_slice(if band { &light } else { &rgb });
        }
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(&raw);
    let idat = encoder.finish().unwrap_or_default();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive filter, no interlace
    let mut out = SIGNATURE.to_vec();
    write_chunk(&mut out, b"IHDR", &ihdr);
    write_chunk(&mut out, b"IDAT", &idat);
    write_chunk(&mut out, b"IEND", &[]);
    out
}

/// Whether `bytes` start with the PNG signature.
pub fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_chunk_bytes(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_chunk(&mut out, kind, data);
        out
    }

    #[test]
    fn written_chunks_are_read_back_and_replaced() {
        let png = placeholder_png(8, 8, [40, 60, 90]);
        assert!(
            text_chunks(&png, &["chara", "ccv3"])
                .expect("valid")
                .is_empty()
        );
        let with = replace_text_chunks(&png, &["chara"], &[("chara", "abc"), ("ccv3", "déf")])
            .expect("written");
        let texts = text_chunks(&with, &["chara", "ccv3"]).expect("valid");
        assert_eq!(texts.len(), 2);
        assert_eq!(texts[0].keyword, "chara");
        assert_eq!(texts[1].text, "déf");
        assert!(texts.iter().all(|t| t.crc_ok && t.kind == TextKind::Text));
        let again =
            replace_text_chunks(&with, &["CHARA", "ccv3"], &[("chara", "xyz")]).expect("written");
        let texts = text_chunks(&again, &["chara", "ccv3"]).expect("valid");
        assert_eq!(texts.len(), 1);
        assert_eq!(texts[0].text, "xyz");
    }

    #[test]
    fn compressed_and_international_text_is_inflated() {
        let png = placeholder_png(4, 4, [0, 0, 0]);
        let iend = png.len() - 12;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(b"hello").expect("vec");
        let deflated = z.finish().expect("vec");
        let mut ztxt = b"k1\0\0".to_vec();
        ztxt.extend_from_slice(&deflated);
        let mut itxt = b"k2\0\x01\0fr\0cl\xc3\xa9\0".to_vec();
        itxt.extend_from_slice(&deflated);
        let mut file = png[..iend].to_vec();
        file.extend(text_chunk_bytes(b"zTXt", &ztxt));
        file.extend(text_chunk_bytes(b"iTXt", &itxt));
        file.extend_from_slice(&png[iend..]);
        let texts = text_chunks(&file, &["k1", "k2"]).expect("valid");
        assert_eq!(texts.len(), 2);
        assert_eq!(
            (texts[0].kind, texts[0].text.as_str()),
            (TextKind::CompressedText, "hello")
        );
        assert_eq!(
            (texts[1].kind, texts[1].keyword.as_str()),
            (TextKind::InternationalText, "k2")
        );
        assert_eq!(texts[1].text, "hello");
    }

    #[test]
    fn broken_files_are_reported_with_an_offset() {
        assert_eq!(
            text_chunks(b"GIF89a", &["chara"])
                .expect_err("not png")
                .offset,
            0
        );
        let png = placeholder_png(4, 4, [1, 2, 3]);
        let cut = &png[..png.len() - 6];
        let err = text_chunks(cut, &["chara"]).expect_err("truncated");
        assert!(err.offset > 8, "{err}");
        let mut bad_crc = replace_text_chunks(&png, &[], &[("chara", "abc")]).expect("written");
        let n = bad_crc.len();
        bad_crc[n - 13] ^= 0xff; // last CRC byte of the tEXt chunk
        let texts = text_chunks(&bad_crc, &["chara"]).expect("still readable");
        assert!(!texts[0].crc_ok);
    }

    #[test]
    fn only_the_first_chunk_of_each_asked_keyword_is_inflated() {
        let png = placeholder_png(4, 4, [0, 0, 0]);
        let iend = png.len() - 12;
        // A bomb: 17 MiB of zeros, deflated to a few kilobytes.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 17 * 1024 * 1024]).expect("vec");
        let bomb = z.finish().expect("vec");
        let mut file = png[..iend].to_vec();
        for keyword in ["parameters", "workflow", "prompt"] {
            let mut data = format!("{keyword}\0\0").into_bytes();
            data.extend_from_slice(&bomb);
            file.extend(text_chunk_bytes(b"zTXt", &data));
        }
        file.extend_from_slice(&png[iend..]);
        // Other keywords are never inflated.
        assert!(
            text_chunks(&file, &["chara", "ccv3"])
                .expect("valid")
                .is_empty()
        );
        assert_eq!(
            text_keywords(&file).expect("valid"),
            ["parameters", "workflow", "prompt"]
        );
        // An asked keyword is inflated within the limit, and refused past it.
        let err = text_chunks(&file, &["workflow"]).expect_err("too large");
        assert!(err.message.contains("inflates past"), "{err}");
    }
}
