//! URIs of files in reports (RFC 3986): paths relative to a source root, percent-encoded, and
//! `file:` URIs. Pure: callers resolve paths (see `cli::ci`).

use std::path::{Component, Path, PathBuf};

/// Percent-encode one path segment: everything but the unreserved characters and the
/// sub-delimiters that are safe in a path (`:` is encoded, so a relative reference never looks
/// like a scheme; `%`, `#`, `?`, spaces and non-ASCII bytes are encoded).
pub fn encode_segment(seg: &str) -> String {
    encode_bytes(seg.as_bytes())
}

/// The bytes of a path segment as the file system has them (a name that is not UTF-8 keeps
/// its bytes: `%FF`, not the `%EF%BF%BD` of a replacement character).
fn segment_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(s.as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(s.to_string_lossy().into_owned().into_bytes())
    }
}

fn encode_bytes(seg: &[u8]) -> String {
    let mut out = String::with_capacity(seg.len());
    for &b in seg {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A relative path (`a/b c.yaml`) as a relative URI reference (`a/b%20c.yaml`).
pub fn encode_relative(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(encode_bytes(&segment_bytes(s))),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// An absolute path as a `file:` URI; `dir` adds the trailing `/` SARIF wants on base URIs.
pub fn file_uri(abs: &Path, dir: bool) -> String {
    let mut out = String::from("file://");
    let mut any = false;
    for c in abs.components() {
        match c {
            Component::Prefix(p) => {
                // Windows drive: file:///C:/...
                out.push('/');
                out.push_str(&p.as_os_str().to_string_lossy().replace('\\', "/"));
                any = true;
            }
            Component::RootDir => {}
            Component::Normal(s) => {
                out.push('/');
                out.push_str(&encode_bytes(&segment_bytes(s)));
                any = true;
            }
            _ => {}
        }
    }
    if !any || dir {
        out.push('/');
    }
    out
}

/// Lexical normalisation of an absolute path (`.` and `..` removed), for paths that cannot be
/// canonicalised.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// Where a file of the report points to in SARIF: relative to `%SRCROOT%` or, for a file
/// outside the source root, an absolute `file:` URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileUri {
    Relative(String),
    Absolute(String),
}

/// The URI of `abs` (absolute, normalised) against `root` (absolute, normalised).
pub fn file_uri_under(abs: &Path, root: &Path) -> FileUri {
    match abs.strip_prefix(root) {
        Ok(rel) if rel.components().next().is_some() => FileUri::Relative(encode_relative(rel)),
        _ => FileUri::Absolute(file_uri(abs, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_uri_references_forbid() {
        assert_eq!(encode_segment("a b#c%d?.yaml"), "a%20b%23c%25d%3F.yaml");
        assert_eq!(encode_segment("größe.yaml"), "gr%C3%B6%C3%9Fe.yaml");
        assert_eq!(encode_segment("x:y"), "x%3Ay");
        assert_eq!(encode_segment("v1.2_ok-~"), "v1.2_ok-~");
        assert_eq!(
            encode_relative(Path::new("mesh/my ns/ä#1.yaml")),
            "mesh/my%20ns/%C3%A4%231.yaml"
        );
        assert_eq!(
            file_uri(Path::new("/srv/re po"), true),
            "file:///srv/re%20po/"
        );
        assert_eq!(file_uri(Path::new("/"), true), "file:///");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"/srv/team\xff.yaml"));
            assert_eq!(file_uri(p, false), "file:///srv/team%FF.yaml");
            let r = Path::new(std::ffi::OsStr::from_bytes(b"ns/team\xff.yaml"));
            assert_eq!(encode_relative(r), "ns/team%FF.yaml");
        }
    }

    #[test]
    fn relative_to_the_root_or_absolute() {
        let root = Path::new("/repo");
        assert_eq!(
            file_uri_under(Path::new("/repo/a/b.yaml"), root),
            FileUri::Relative("a/b.yaml".into())
        );
        assert_eq!(
            file_uri_under(Path::new("/elsewhere/b.yaml"), root),
            FileUri::Absolute("file:///elsewhere/b.yaml".into())
        );
        assert_eq!(
            normalize(Path::new("/repo/x/../a/./b.yaml")),
            PathBuf::from("/repo/a/b.yaml")
        );
    }
}
