//! Keeping first-match order under Gateway API precedence, as Istio implements it.
//!
//! Istio turns every HTTPRoute match into one route and sorts the routes of a parent
//! (`pilot/pkg/config/kube/gateway/conversion.go` `sortHTTPRoutes`, stable): a route without
//! match last; then by path kind (Exact > PathPrefix > RegularExpression — every PathPrefix,
//! `/` included, ranks above every regex, istio/istio#56351); then the longer path value
//! (prefix or regex string) first; then a method match first; then more header matches; then
//! more query matches; ties keep rule order. A VirtualService is first match in list order.
//!
//! The translation gives each VirtualService match its natural path form. Where Istio's
//! order would put a later entry before an earlier one that can match the same request, the
//! later entry is rewritten as an equivalent regular expression (rank 1), and regular
//! expressions are padded with leading `^` (an empty assertion) until their lengths put them
//! in VirtualService order. Only an entry that needs `PathPrefix` (a prefix rewrite) cannot
//! move: that pair is reported.

use super::vs::{PathMatch, StrMatch, VsMatch};

/// The HTTPRoute path match written for an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GwPath {
    Exact(String),
    Prefix(String),
    Regex(String),
}

impl GwPath {
    /// Istio's `getURIRank`.
    pub fn rank(&self) -> u8 {
        match self {
            GwPath::Exact(_) => 3,
            GwPath::Prefix(_) => 2,
            GwPath::Regex(_) => 1,
        }
    }
    /// Istio's `getURILength` (on the converted match: a PathPrefix loses a trailing `/`).
    pub fn len(&self) -> usize {
        match self {
            GwPath::Exact(v) | GwPath::Regex(v) => v.len(),
            // Istio trims one trailing `/` (except for `/` itself)
            GwPath::Prefix(v) => match v.strip_suffix('/') {
                Some(t) if !t.is_empty() => t.len(),
                _ => v.len(),
            },
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn type_name(&self) -> &'static str {
        match self {
            GwPath::Exact(_) => "Exact",
            GwPath::Prefix(_) => "PathPrefix",
            GwPath::Regex(_) => "RegularExpression",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            GwPath::Exact(v) | GwPath::Prefix(v) | GwPath::Regex(v) => v,
        }
    }
}

/// Escapes RE2 metacharacters.
pub fn re_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Path values that the HTTPRoute CRD accepts for Exact/PathPrefix (its CEL rules).
pub fn valid_plain_path(v: &str) -> bool {
    v.starts_with('/')
        && !v.contains("//")
        && !v.contains("/./")
        && !v.contains("/../")
        && !v.contains("%2f")
        && !v.contains("%2F")
        && !v.contains('#')
        && !v.ends_with("/..")
        && !v.ends_with("/.")
        && v.len() <= 1024
        && {
            let b = v.as_bytes();
            let mut i = 0;
            let mut ok = true;
            while i < b.len() {
                let c = b[i];
                if c == b'%' {
                    if b.get(i + 1).is_some_and(|x| x.is_ascii_hexdigit())
                        && b.get(i + 2).is_some_and(|x| x.is_ascii_hexdigit())
                    {
                        i += 3;
                        continue;
                    }
                    ok = false;
                    break;
                }
                if !(c.is_ascii_alphanumeric() || b"-/._~!$&'()*+,;=:@".contains(&c)) {
                    ok = false;
                    break;
                }
                i += 1;
            }
            ok
        }
}

/// The natural path form of a VirtualService match.
pub fn natural(p: &PathMatch) -> GwPath {
    match p {
        PathMatch::Any => GwPath::Prefix("/".into()),
        PathMatch::Prefix { value, .. } if value == "/" => GwPath::Prefix("/".into()),
        PathMatch::Exact {
            value,
            ignore_case: false,
        } if valid_plain_path(value) => GwPath::Exact(value.clone()),
        other => as_regex(other),
    }
}

/// The same set of paths as a regular expression (full match on the path, like Envoy).
pub fn as_regex(p: &PathMatch) -> GwPath {
    GwPath::Regex(match p {
        PathMatch::Any => ".*".to_string(),
        PathMatch::Exact { value, ignore_case } => {
            format!(
                "{}{}",
                if *ignore_case { "(?i)" } else { "" },
                re_escape(value)
            )
        }
        PathMatch::Prefix { value, ignore_case } => format!(
            "{}{}.*",
            if *ignore_case { "(?i)" } else { "" },
            re_escape(value)
        ),
        PathMatch::Regex(r) => r.clone(),
    })
}

/// One translated match (an HTTPRoute rule is split per match by Istio anyway).
#[derive(Clone, Debug)]
pub struct Entry {
    /// Position of the VirtualService rule (first-match order).
    pub rule: usize,
    /// The rule's actions depend on which match fired (prefix rewrites).
    pub match_sensitive: bool,
    pub vs: VsMatch,
    pub path: GwPath,
    /// Must stay a PathPrefix (ReplacePrefixMatch needs it).
    pub pinned: bool,
    /// Leading `^` added to order regular expressions.
    pub pad: usize,
}

impl Entry {
    pub fn written_path(&self) -> GwPath {
        match &self.path {
            GwPath::Regex(r) => GwPath::Regex(format!("{}{}", "^".repeat(self.pad), r)),
            p => p.clone(),
        }
    }
}

/// Istio's comparator: `a` sorts before `b`.
fn before(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    let (pa, pb) = (a.written_path(), b.written_path());
    let key = |e: &Entry, p: &GwPath| {
        (
            p.rank(),
            p.len(),
            e.vs.method.is_some(),
            e.vs.headers.len(),
            e.vs.query.len(),
        )
    };
    key(b, &pb).cmp(&key(a, &pa))
}

/// The order Istio evaluates the entries in (stable sort of the emission order).
pub fn istio_order(entries: &[Entry]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..entries.len()).collect();
    idx.sort_by(|&x, &y| before(&entries[x], &entries[y]));
    idx
}

fn starts_with(s: &str, p: &str, ci: bool) -> bool {
    if ci {
        s.to_ascii_lowercase().starts_with(&p.to_ascii_lowercase())
    } else {
        s.starts_with(p)
    }
}

fn full_match(re: &str, s: &str) -> Option<bool> {
    let r = regex::Regex::new(&format!("^(?:{re})$")).ok()?;
    Some(r.is_match(s))
}

fn str_disjoint(a: &StrMatch, b: &StrMatch) -> bool {
    use StrMatch::*;
    match (a, b) {
        (Exact(x), Exact(y)) => x != y,
        (Exact(x), Prefix(p)) | (Prefix(p), Exact(x)) => !x.starts_with(p.as_str()),
        (Prefix(p), Prefix(q)) => !(p.starts_with(q.as_str()) || q.starts_with(p.as_str())),
        (Exact(x), Regex(r)) | (Regex(r), Exact(x)) => full_match(r, x) == Some(false),
        _ => false,
    }
}

fn path_disjoint(a: &PathMatch, b: &PathMatch) -> bool {
    use PathMatch::*;
    match (a, b) {
        (
            Exact {
                value: x,
                ignore_case: cx,
            },
            Exact {
                value: y,
                ignore_case: cy,
            },
        ) => {
            if *cx || *cy {
                !x.eq_ignore_ascii_case(y)
            } else {
                x != y
            }
        }
        (
            Exact {
                value: x,
                ignore_case: cx,
            },
            Prefix {
                value: p,
                ignore_case: cp,
            },
        )
        | (
            Prefix {
                value: p,
                ignore_case: cp,
            },
            Exact {
                value: x,
                ignore_case: cx,
            },
        ) => !starts_with(x, p, *cx || *cp),
        (
            Prefix {
                value: p,
                ignore_case: cp,
            },
            Prefix {
                value: q,
                ignore_case: cq,
            },
        ) => {
            let ci = *cp || *cq;
            !(starts_with(p, q, ci) || starts_with(q, p, ci))
        }
        (
            Exact {
                value: x,
                ignore_case: false,
            },
            Regex(r),
        )
        | (
            Regex(r),
            Exact {
                value: x,
                ignore_case: false,
            },
        ) => full_match(r, x) == Some(false),
        _ => false,
    }
}

/// No request can match both (sound: `false` means "maybe").
pub fn disjoint(a: &VsMatch, b: &VsMatch) -> bool {
    if let (Some(x), Some(y)) = (&a.method, &b.method) {
        if x != y {
            return true;
        }
    }
    for (list_a, list_b) in [(&a.headers, &b.headers), (&a.query, &b.query)] {
        for (n, ma) in list_a.iter() {
            for (m, mb) in list_b.iter() {
                if n == m && str_disjoint(ma, mb) {
                    return true;
                }
            }
        }
    }
    path_disjoint(&a.path, &b.path)
}

/// Two entries whose order matters.
fn ordered(a: &Entry, b: &Entry) -> bool {
    (a.rule != b.rule || a.match_sensitive) && !disjoint(&a.vs, &b.vs)
}

/// A pair whose order Gateway API precedence would change and no refinement can keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// (rule, match) of the entry that must come first.
    pub first: (usize, usize),
    pub second: (usize, usize),
}

/// Refines the entries (in VirtualService order) until Istio's order keeps first-match
/// semantics. Entries are rewritten in place.
pub fn refine(entries: &mut [Entry]) -> Result<(), (usize, usize)> {
    // 1. demote later entries that would jump ahead of an earlier overlapping one
    loop {
        let order = istio_order(entries);
        let mut pos = vec![0; entries.len()];
        for (p, &i) in order.iter().enumerate() {
            pos[i] = p;
        }
        let mut changed = false;
        'find: for a in 0..entries.len() {
            for b in a + 1..entries.len() {
                // (a regex `b` ahead of `a` means `a` is a regex too: handled below)
                if pos[b] < pos[a]
                    && ordered(&entries[a], &entries[b])
                    && !matches!(entries[b].path, GwPath::Regex(_))
                {
                    if entries[b].pinned {
                        return Err((a, b));
                    }
                    entries[b].path = as_regex(&entries[b].vs.path);
                    changed = true;
                    break 'find;
                }
            }
        }
        if !changed {
            break;
        }
    }
    // 2. order the regular expressions among themselves by padding the earlier ones
    for a in (0..entries.len()).rev() {
        if !matches!(entries[a].path, GwPath::Regex(_)) {
            continue;
        }
        loop {
            let mut need = None;
            for b in a + 1..entries.len() {
                if !matches!(entries[b].path, GwPath::Regex(_))
                    || !ordered(&entries[a], &entries[b])
                {
                    continue;
                }
                if before(&entries[b], &entries[a]) == std::cmp::Ordering::Less {
                    let lb = entries[b].written_path().len();
                    need = Some(need.map_or(lb, |n: usize| n.max(lb)));
                }
            }
            match need {
                Some(lb) => {
                    let la = entries[a].written_path().len();
                    entries[a].pad += lb + 1 - la.min(lb + 1);
                    if entries[a].written_path().len() > 1024 {
                        return Err((a, a));
                    }
                }
                None => break,
            }
        }
    }
    // 3. check (the whole point): no ordered pair is inverted
    let order = istio_order(entries);
    let mut pos = vec![0; entries.len()];
    for (p, &i) in order.iter().enumerate() {
        pos[i] = p;
    }
    for a in 0..entries.len() {
        for b in a + 1..entries.len() {
            if pos[b] < pos[a] && ordered(&entries[a], &entries[b]) {
                return Err((a, b));
            }
        }
    }
    Ok(())
}
