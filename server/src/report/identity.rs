//! Stable identities of findings, for SARIF `partialFingerprints`: the rule and the resource
//! (or namespace, or file) a finding is about, never its line, so that an alert survives edits
//! elsewhere in the file, moves of the object between files and runs from other directories.

use crate::finding::Finding;

/// What a finding is about: `res:<group>/<Kind>/<namespace>/<name>`, `ns:<namespace>`,
/// `file:<uri>` (input problems) or `cluster`.
pub fn subject(f: &Finding, file_uri: Option<&str>) -> String {
    if let Some(r) = &f.resource {
        return format!("res:{}/{}/{}/{}", r.group, r.kind, r.namespace, r.name);
    }
    if let Some(ns) = &f.namespace {
        return format!("ns:{ns}");
    }
    match (f.location, file_uri) {
        (Some(_), Some(u)) => format!("file:{u}"),
        _ => "cluster".to_string(),
    }
}

/// Digits vary with counts and sizes that are not part of a finding's identity.
fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut prev_digit = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !prev_digit {
                out.push('0');
            }
            prev_digit = true;
        } else {
            out.push(c);
            prev_digit = false;
        }
    }
    out
}

fn fnv1a(seed: u64, parts: &[&str]) -> u64 {
    let mut h = seed;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// 128-bit hex fingerprint of (rule, subject, message without digits).
pub fn fingerprint(rule: &str, subject: &str, message: &str) -> String {
    let m = normalize(message);
    let parts = [rule, subject, m.as_str()];
    format!(
        "{:016x}{:016x}",
        fnv1a(0xcbf2_9ce4_8422_2325, &parts),
        fnv1a(0x6c62_272e_07bb_0142, &parts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_counts_but_not_subjects() {
        let a = fingerprint("W001", "res:/Service/a/b", "port 8080, 3 routes");
        assert_eq!(
            a,
            fingerprint("W001", "res:/Service/a/b", "port 9090, 12 routes")
        );
        assert_ne!(
            a,
            fingerprint("W001", "res:/Service/a/c", "port 8080, 3 routes")
        );
        assert_ne!(
            a,
            fingerprint("W002", "res:/Service/a/b", "port 8080, 3 routes")
        );
        assert_eq!(a.len(), 32);
        // fixed forever: an alert's identity must not change between releases
        assert_eq!(
            fingerprint(
                "W010",
                "res:security.istio.io/AuthorizationPolicy/shop/ext",
                "x"
            ),
            "1d7c51df0e28e7d533da0b18b1a24436"
        );
    }
}
