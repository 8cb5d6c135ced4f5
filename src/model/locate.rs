//! Finding the line and column of a value in a file's source text.
//!
//! Serde does not keep positions of parsed values, so validation errors are placed by searching the
//! source: a chain of anchors (a field name, an id) narrows the search, then the needle is found.

/// Searches a file's source text for the place a value stands.
#[derive(Clone, Copy, Debug)]
pub struct Locator<'a> {
    source: &'a str,
}

impl<'a> Locator<'a> {
    /// A locator over `source`.
    pub fn new(source: &'a str) -> Self {
        Self { source }
    }

    /// 1-based line and column (in characters) of byte offset `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let before = &self.source[..floor_char_boundary(self.source, offset)];
        let line = 1 + before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = 1 + before[line_start..].chars().count();
        (line, col)
    }

    /// Finds each anchor in turn, each after the previous one, then `needle` after the last;
    /// returns the needle's position. Anchors that cannot be found are skipped, so a best place is
    /// still given; `None` only when the needle itself is absent.
    pub fn find(&self, anchors: &[&str], needle: &str) -> Option<(usize, usize)> {
        self.find_offset(anchors, needle).map(|o| self.position(o))
    }

    /// Like [`Locator::find`], returning the byte offset.
    pub fn find_offset(&self, anchors: &[&str], needle: &str) -> Option<usize> {
        let mut from = 0;
        for anchor in anchors {
            if anchor.is_empty() {
                continue;
            }
            if let Some(i) = self.source[from..].find(anchor) {
                from += i;
            }
        }
        if needle.is_empty() {
            return Some(from);
        }
        self.source[from..]
            .find(needle)
            .map(|i| from + i)
            .or_else(|| self.source.find(needle))
    }

    /// Position of the `index`-th (0-based) occurrence of `needle` after the anchors.
    pub fn find_nth(&self, anchors: &[&str], needle: &str, index: usize) -> Option<(usize, usize)> {
        let mut at = self.find_offset(anchors, needle)?;
        for _ in 0..index {
            let next = at + needle.len().max(1);
            at = next + self.source.get(next..)?.find(needle)?;
        }
        Some(self.position(at))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let l = Locator::new("ab\néé x");
        assert_eq!(l.position(0), (1, 1));
        assert_eq!(l.position(3), (2, 1));
        assert_eq!(l.position("ab\néé ".len()), (2, 4));
    }

    #[test]
    fn anchors_narrow_the_search() {
        let src = "a: \"x\",\nb: (\n  a: \"x\"\n)";
        let l = Locator::new(src);
        assert_eq!(l.find(&[], "\"x\""), Some((1, 4)));
        assert_eq!(l.find(&["b:"], "\"x\""), Some((3, 6)));
        assert_eq!(l.find(&["b:"], "missing"), None);
        assert_eq!(l.find_nth(&[], "\"x\"", 1), Some((3, 6)));
    }
}
