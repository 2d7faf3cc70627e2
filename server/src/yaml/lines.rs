//! Byte offsets ⇄ line/column, in the three units the front ends need: chars (CLI reports),
//! UTF-16 code units (LSP default) and bytes (LSP `positionEncoding: utf-8`).

#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    /// Byte offset where each line starts. A line ends before `\n`, `\r\n` or a lone `\r`
    /// (old Mac line endings).
    starts: Vec<u32>,
    len: u32,
}

/// How positions count characters within a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes.
    Utf8,
    /// UTF-16 code units (the LSP default).
    #[default]
    Utf16,
    /// Unicode scalar values (what the reports print).
    Chars,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.bytes().filter(|b| *b == b'\n').count() + 1);
        starts.push(0);
        let bytes = text.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            // `\n`, `\r\n` and a lone `\r` end a line (YAML 1.2 §5.4, LSP positions)
            if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push((i + 1) as u32);
            }
        }
        LineIndex {
            starts,
            len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.len) as usize
    }

    /// The byte range of a line without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.line_start(line);
        let mut end = if line + 1 < self.starts.len() {
            self.starts[line + 1] as usize - 1
        } else {
            self.len as usize
        };
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start, end.max(start))
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let off = offset.min(self.len as usize) as u32;
        match self.starts.binary_search(&off) {
            Ok(l) => l,
            Err(l) => l - 1,
        }
    }

    /// 0-based (line, column) of a byte offset, column in the given unit.
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> (u32, u32) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let (_, end) = self.line_range(text, line);
        let seg = &text[start..offset.min(end.max(start)).max(start)];
        let col = match enc {
            Encoding::Utf8 => seg.len(),
            Encoding::Chars => seg.chars().count(),
            Encoding::Utf16 => seg.chars().map(char::len_utf16).sum(),
        };
        (line as u32, col as u32)
    }

    /// Byte offset of a 0-based (line, column). Columns past the end of the line clamp to it;
    /// lines past the end clamp to the end of the text.
    pub fn offset(&self, text: &str, line: u32, col: u32, enc: Encoding) -> usize {
        let line = line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let (start, end) = self.line_range(text, line);
        let seg = &text[start..end];
        let col = col as usize;
        match enc {
            Encoding::Utf8 => start + floor_char_boundary(seg, col.min(seg.len())),
            Encoding::Chars => {
                start
                    + seg
                        .char_indices()
                        .nth(col)
                        .map(|(i, _)| i)
                        .unwrap_or(seg.len())
            }
            Encoding::Utf16 => {
                let mut units = 0;
                for (i, c) in seg.char_indices() {
                    if units >= col {
                        return start + i;
                    }
                    units += c.len_utf16();
                }
                end
            }
        }
    }
}

pub fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_with_emoji_and_crlf() {
        let text = "a: 1\r\nname: \"x😀y\"\r\nz\u{4e2d}: 2\n";
        let idx = LineIndex::new(text);
        let y = text.find('y').unwrap();
        assert_eq!(idx.position(text, y, Encoding::Utf16), (1, 10));
        assert_eq!(idx.position(text, y, Encoding::Chars), (1, 9));
        assert_eq!(idx.position(text, y, Encoding::Utf8), (1, 12));
        assert_eq!(idx.offset(text, 1, 10, Encoding::Utf16), y);
        assert_eq!(idx.offset(text, 1, 9, Encoding::Chars), y);
        // past the end of a CRLF line clamps before the \r
        let (s, e) = idx.line_range(text, 1);
        assert_eq!(&text[s..e], "name: \"x😀y\"");
        assert_eq!(idx.offset(text, 1, 99, Encoding::Utf16), e);
        let colon = text.rfind(':').unwrap();
        assert_eq!(idx.position(text, colon, Encoding::Utf16), (2, 2));
        assert_eq!(idx.position(text, colon, Encoding::Utf8), (2, 4));
        assert_eq!(idx.offset(text, 9, 0, Encoding::Utf16), text.len());
    }

    #[test]
    fn a_lone_cr_ends_a_line() {
        let text = "kind: Sidecar\rmetadata:\r  name: s2\r\n  namespace: b\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 5);
        let name = text.find("s2").unwrap();
        assert_eq!(idx.position(text, name, Encoding::Utf16), (2, 8));
        let (s, e) = idx.line_range(text, 1);
        assert_eq!(&text[s..e], "metadata:");
        let (s, e) = idx.line_range(text, 2);
        assert_eq!(&text[s..e], "  name: s2");
        assert_eq!(idx.offset(text, 2, 8, Encoding::Utf16), name);
        let ns = text.find("namespace").unwrap();
        assert_eq!(idx.position(text, ns, Encoding::Chars), (3, 2));
    }
}
