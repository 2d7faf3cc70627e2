//! Istio version strings (D-03): `1.26.1`, `1.26.1-distroless`, `1.24.3-solo`,
//! `1.22.3-patch0-solo-fips`, `release-1.25`, `1.18-alpha.<sha>`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    /// `None` when the string has no patch (Istio treats that as the highest patch).
    pub patch: Option<u32>,
    /// Everything after `MAJOR.MINOR[.PATCH]`, e.g. `-distroless`, `-patch0-solo`.
    pub suffix: String,
    pub raw: String,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let raw = s.trim();
        let t = raw.strip_prefix("release-").unwrap_or(raw);
        let t = t.strip_prefix('v').unwrap_or(t);
        let b = t.as_bytes();
        let mut i = 0;
        let num = |i: &mut usize| -> Option<u32> {
            let st = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            if *i == st {
                None
            } else {
                t[st..*i].parse().ok()
            }
        };
        let major = num(&mut i)?;
        if major == 0 || i >= b.len() || b[i] != b'.' {
            return None;
        }
        i += 1;
        let minor = num(&mut i)?;
        let mut patch = None;
        if i < b.len() && b[i] == b'.' {
            let save = i;
            i += 1;
            match num(&mut i) {
                Some(p) => patch = Some(p),
                None => i = save,
            }
        }
        Some(Version {
            major,
            minor,
            patch,
            suffix: t[i..].to_string(),
            raw: raw.to_string(),
        })
    }

    pub fn key(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch.unwrap_or(u32::MAX))
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    pub fn is_solo(&self) -> bool {
        self.suffix.contains("solo")
    }

    pub fn is_prerelease(&self) -> bool {
        ["alpha", "beta", "rc"]
            .iter()
            .any(|p| self.suffix.contains(p))
    }

    pub fn minor_str(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

/// Image variants Istio publishes for one release (`--set variant=`): not part of the version.
const IMAGE_VARIANTS: [&str; 2] = ["-distroless", "-debug"];

impl fmt::Display for Version {
    /// The version as written, without an image variant suffix: `1.26.3-distroless` is 1.26.3.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = IMAGE_VARIANTS
            .iter()
            .find_map(|v| self.raw.strip_suffix(v))
            .unwrap_or(&self.raw);
        write!(f, "{shown}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_istio_tags() {
        let v = Version::parse("1.26.1-distroless").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 26, Some(1)));
        assert_eq!(v.suffix, "-distroless");
        assert_eq!(v.to_string(), "1.26.1");
        assert_eq!(
            Version::parse("1.24.3-solo").unwrap().to_string(),
            "1.24.3-solo"
        );
        assert!(Version::parse("1.24.3-solo").unwrap().is_solo());
        let v = Version::parse("1.22.3-patch0-solo-fips").unwrap();
        assert!(v.is_solo() && !v.at_least(1, 25));
        let v = Version::parse("release-1.25").unwrap();
        assert_eq!((v.minor, v.patch), (25, None));
        assert!(Version::parse("1.18-alpha.abc").unwrap().is_prerelease());
        assert!(Version::parse("latest").is_none());
        assert!(Version::parse("sha256").is_none());
        assert!(Version::parse("1.25.0").unwrap().at_least(1, 25));
    }
}
