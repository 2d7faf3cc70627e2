//! The VirtualService `http` routes as the translation reads them: every field it understands,
//! with the span of its node, and every field it cannot carry over (`Gap`), named by its path
//! (`http[1].fault`). Parsing never fails: a field of the wrong type is a gap too.

use crate::yaml::{Node, Span};

/// How Istio matches a string (`StringMatch`): `{}` and `regex: "*"` mean "present".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrMatch {
    Exact(String),
    Prefix(String),
    Regex(String),
    Present,
}

/// A VirtualService `uri` match, with `ignoreUriCase`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathMatch {
    /// No `uri`: Envoy matches the prefix `/`, i.e. every path.
    Any,
    Exact {
        value: String,
        ignore_case: bool,
    },
    Prefix {
        value: String,
        ignore_case: bool,
    },
    /// RE2, full match on the path without the query; `ignoreUriCase` does not apply
    /// (Envoy ignores `case_sensitive` for `safe_regex`).
    Regex(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsMatch {
    pub path: PathMatch,
    /// Lower-cased names, sorted.
    pub headers: Vec<(String, StrMatch)>,
    pub query: Vec<(String, StrMatch)>,
    pub method: Option<String>,
    pub port: Option<u32>,
    pub span: Span,
}

impl VsMatch {
    /// Matches every request (no condition at all).
    pub fn is_catch_all(&self) -> bool {
        self.path_is_all()
            && self.headers.is_empty()
            && self.query.is_empty()
            && self.method.is_none()
    }
    pub fn path_is_all(&self) -> bool {
        match &self.path {
            PathMatch::Any => true,
            PathMatch::Prefix { value, .. } => value == "/",
            _ => false,
        }
    }
}

/// `set`/`add`/`remove` of one direction; `set` and `add` keep the map order of the source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderOps {
    pub set: Vec<(String, String)>,
    pub add: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl HeaderOps {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    pub request: HeaderOps,
    pub response: HeaderOps,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<u32>,
    pub weight: Option<i64>,
    pub headers: Option<Headers>,
    /// `route[i]` (or `mirror`, `mirrors[i]`).
    pub path: String,
    pub span: Span,
    pub host_span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivePort {
    FromProtocolDefault,
    FromRequestPort,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redirect {
    pub uri: Option<String>,
    pub authority: Option<String>,
    pub port: Option<u32>,
    pub derive_port: Option<DerivePort>,
    pub scheme: Option<String>,
    pub code: Option<u32>,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rewrite {
    pub uri: Option<String>,
    pub authority: Option<String>,
    pub span: Span,
    pub uri_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mirror {
    pub dest: Dest,
    /// Percentage of requests mirrored (100 when absent).
    pub percent: f64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retries {
    pub attempts: i64,
    pub per_try_timeout_ms: Option<u64>,
    pub retry_on: Option<String>,
    pub span: Span,
}

/// One `http[]` route.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRule {
    pub index: usize,
    pub span: Span,
    /// The mesh-active matches (`match[].gateways` without `mesh` are dropped). Empty with
    /// `had_matches == false` means "every request".
    pub matches: Vec<VsMatch>,
    pub had_matches: bool,
    pub route: Vec<Dest>,
    pub redirect: Option<Redirect>,
    pub rewrite: Option<Rewrite>,
    pub headers: Option<Headers>,
    pub mirrors: Vec<Mirror>,
    pub timeout_ms: Option<u64>,
    pub retries: Option<Retries>,
}

impl HttpRule {
    /// A rule whose every match was for gateways only: never applies to the mesh.
    pub fn inactive(&self) -> bool {
        self.had_matches && self.matches.is_empty()
    }
}

/// A field the translation cannot carry over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// `http[0].fault`, `http[2].match[0].sourceLabels`, `tcp`.
    pub field: String,
    pub span: Span,
    pub why: String,
    /// Retries (reported by their own rule: a CRD with `retry` would take them).
    pub retries: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct VsSpec {
    pub rules: Vec<HttpRule>,
    pub gaps: Vec<Gap>,
}

struct P<'a> {
    gaps: &'a mut Vec<Gap>,
}

impl P<'_> {
    fn gap(&mut self, field: impl Into<String>, span: Span, why: impl Into<String>) {
        self.gaps.push(Gap {
            field: field.into(),
            span,
            why: why.into(),
            retries: false,
        });
    }

    fn string(&mut self, n: &Node, field: &str) -> Option<String> {
        match n.as_str() {
            Some(s) if !n.is_map() => Some(s.to_string()),
            _ => {
                self.gap(field, n.span, "expected a string");
                None
            }
        }
    }

    fn uint(&mut self, n: &Node, field: &str) -> Option<u32> {
        match n.as_i64() {
            Some(v) if (0..=u32::MAX as i64).contains(&v) => Some(v as u32),
            _ => {
                self.gap(field, n.span, "expected a non-negative integer");
                None
            }
        }
    }

    fn str_match(&mut self, n: &Node, field: &str) -> Option<StrMatch> {
        let Some(entries) = n.as_map() else {
            if n.is_null() {
                return Some(StrMatch::Present);
            }
            self.gap(field, n.span, "expected a map (exact, prefix or regex)");
            return None;
        };
        let mut out = None;
        for e in entries {
            let key = e.key.as_str().unwrap_or("");
            let f = format!("{field}.{key}");
            let v = match key {
                "exact" | "prefix" | "regex" => self.string(&e.value, &f),
                _ => {
                    self.gap(f, e.key.span, "unknown string-match kind");
                    return None;
                }
            };
            let v = v?;
            if out.is_some() {
                self.gap(field, n.span, "more than one of exact, prefix, regex");
                return None;
            }
            out = Some(match key {
                "exact" => StrMatch::Exact(v),
                "prefix" => StrMatch::Prefix(v),
                _ if v == "*" => StrMatch::Present,
                _ => StrMatch::Regex(v),
            });
        }
        Some(out.unwrap_or(StrMatch::Present))
    }

    fn header_ops(&mut self, n: &Node, field: &str) -> HeaderOps {
        let mut ops = HeaderOps::default();
        let Some(entries) = n.as_map() else {
            if !n.is_null() {
                self.gap(field, n.span, "expected a map");
            }
            return ops;
        };
        for e in entries {
            let key = e.key.as_str().unwrap_or("");
            let f = format!("{field}.{key}");
            match key {
                "set" | "add" => {
                    let Some(items) = e.value.as_map() else {
                        if !e.value.is_null() {
                            self.gap(f, e.value.span, "expected a map of header names to values");
                        }
                        continue;
                    };
                    for it in items {
                        let name = it.key.as_str().unwrap_or("").to_string();
                        let Some(v) = self.string(&it.value, &format!("{f}.{name}")) else {
                            continue;
                        };
                        if key == "set" {
                            ops.set.push((name, v));
                        } else {
                            ops.add.push((name, v));
                        }
                    }
                }
                "remove" => match e.value.as_seq() {
                    Some(items) => {
                        for it in items {
                            if let Some(v) = self.string(it, &f) {
                                ops.remove.push(v);
                            }
                        }
                    }
                    None => {
                        if !e.value.is_null() {
                            self.gap(f, e.value.span, "expected a list of header names");
                        }
                    }
                },
                _ => self.gap(f, e.key.span, "unknown header operation"),
            }
        }
        ops
    }

    fn headers(&mut self, n: &Node, field: &str) -> Option<Headers> {
        let Some(entries) = n.as_map() else {
            if !n.is_null() {
                self.gap(field, n.span, "expected a map (request, response)");
            }
            return None;
        };
        let mut h = Headers::default();
        for e in entries {
            let key = e.key.as_str().unwrap_or("");
            let f = format!("{field}.{key}");
            match key {
                "request" => h.request = self.header_ops(&e.value, &f),
                "response" => h.response = self.header_ops(&e.value, &f),
                _ => self.gap(f, e.key.span, "unknown field"),
            }
        }
        Some(h)
    }

    fn dest(&mut self, n: &Node, field: &str, span: Span) -> Option<Dest> {
        let Some(entries) = n.as_map() else {
            self.gap(field, n.span, "expected a map");
            return None;
        };
        let mut d = Dest {
            host: String::new(),
            subset: None,
            port: None,
            weight: None,
            headers: None,
            path: field.to_string(),
            span,
            host_span: n.span,
        };
        for e in entries {
            let key = e.key.as_str().unwrap_or("");
            let f = format!("{field}.{key}");
            match key {
                "host" => {
                    d.host = self.string(&e.value, &f)?;
                    d.host_span = e.key.span.cover(e.value.span);
                }
                "subset" => d.subset = self.string(&e.value, &f),
                "port" => {
                    if let Some(p) = e.value.get("number") {
                        d.port = self.uint(p, &format!("{f}.number"));
                    } else if !e.value.is_null() {
                        self.gap(f, e.value.span, "expected port.number");
                    }
                }
                _ => self.gap(f, e.key.span, "unknown destination field"),
            }
        }
        if d.host.is_empty() {
            self.gap(format!("{field}.host"), n.span, "destination has no host");
            return None;
        }
        Some(d)
    }
}

/// Durations as Istio accepts them (`5s`, `0.5s`, `100ms`, `1m30s`, `1h`), in milliseconds.
/// `None` for anything else or a sub-millisecond remainder.
pub fn duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total_us: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let num = &rest[..num_end];
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let us_per: u128 = match unit {
            "h" => 3_600_000_000,
            "m" => 60_000_000,
            "s" => 1_000_000,
            "ms" => 1_000,
            "us" | "µs" => 1,
            _ => return None,
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut v = int.checked_mul(us_per)?;
        if !frac.is_empty() {
            // exact decimal fraction of the unit, in microseconds
            let digits = frac.len() as u32;
            if digits > 12 {
                return None;
            }
            let f: u128 = frac.parse().ok()?;
            let scaled = f.checked_mul(us_per)?;
            let den = 10u128.pow(digits);
            if scaled % den != 0 {
                return None;
            }
            v += scaled / den;
        }
        total_us = total_us.checked_add(v)?;
    }
    if !total_us.is_multiple_of(1000) {
        return None;
    }
    u64::try_from(total_us / 1000).ok()
}

/// Reads `spec.http` of a VirtualService. `tcp`/`tls` and the other top-level fields that have
/// no HTTPRoute form become gaps.
pub fn parse(spec: &Node) -> VsSpec {
    let mut out = VsSpec::default();
    let mut gaps = Vec::new();
    {
        let mut p = P { gaps: &mut gaps };
        for key in ["tcp", "tls"] {
            if let Some(e) = spec.entry(key) {
                if e.value.as_seq().is_some_and(|s| !s.is_empty()) {
                    p.gap(
                        key,
                        e.key.span,
                        format!("`{key}` routes have no HTTPRoute form ({}Route is not in the Gateway API standard channel)", key.to_uppercase()),
                    );
                }
            }
        }
        if let Some(http) = spec.entry("http") {
            match http.value.as_seq() {
                Some(items) => {
                    for (i, r) in items.iter().enumerate() {
                        if let Some(rule) = parse_rule(&mut p, r, i) {
                            out.rules.push(rule);
                        }
                    }
                }
                None => {
                    if !http.value.is_null() {
                        p.gap("http", http.value.span, "expected a list");
                    }
                }
            }
        }
    }
    out.gaps = gaps;
    out
}

fn parse_match(p: &mut P, m: &Node, field: &str) -> Option<(VsMatch, Vec<String>)> {
    let Some(entries) = m.as_map() else {
        p.gap(field, m.span, "expected a map");
        return None;
    };
    let mut vm = VsMatch {
        path: PathMatch::Any,
        headers: Vec::new(),
        query: Vec::new(),
        method: None,
        port: None,
        span: m.span,
    };
    let mut gateways = Vec::new();
    let mut ignore_case = false;
    let mut uri: Option<StrMatch> = None;
    let mut uri_span = m.span;
    for e in entries {
        let key = e.key.as_str().unwrap_or("");
        let f = format!("{field}.{key}");
        let espan = e.key.span.cover(e.value.span);
        match key {
            "name" | "statPrefix" => {}
            "uri" => {
                uri = p.str_match(&e.value, &f);
                uri_span = espan;
                uri.as_ref()?;
            }
            "ignoreUriCase" => ignore_case = e.value.as_bool().unwrap_or(false),
            "headers" | "queryParams" => {
                let Some(items) = e.value.as_map() else {
                    if !e.value.is_null() {
                        p.gap(f, espan, "expected a map");
                    }
                    continue;
                };
                for it in items {
                    let name = it.key.as_str().unwrap_or("").to_string();
                    let hf = format!("{f}.{name}");
                    let sm = p.str_match(&it.value, &hf)?;
                    if key == "headers" {
                        if name.starts_with('@') {
                            p.gap(
                                hf,
                                it.key.span.cover(it.value.span),
                                "JWT claim matches (`@request.auth.claims`) have no HTTPRoute form",
                            );
                            return None;
                        }
                        vm.headers.push((name.to_ascii_lowercase(), sm));
                    } else {
                        vm.query.push((name, sm));
                    }
                }
            }
            "method" => match p.str_match(&e.value, &f)? {
                StrMatch::Exact(m) => vm.method = Some(m),
                _ => {
                    p.gap(f, espan, "only an exact method match has an HTTPRoute form");
                    return None;
                }
            },
            "port" => vm.port = Some(p.uint(&e.value, &f)?),
            "gateways" => {
                if let Some(items) = e.value.as_seq() {
                    for g in items {
                        if let Some(s) = g.as_str() {
                            gateways.push(s.to_string());
                        }
                    }
                }
            }
            "sourceLabels" | "sourceNamespace" => {
                if !e.value.is_null() {
                    p.gap(f, espan, "matches on the client's identity; an HTTPRoute cannot select by caller (and a waypoint does not honour it either)");
                    return None;
                }
            }
            "withoutHeaders" => {
                p.gap(f, espan, "negative header matches have no HTTPRoute form");
                return None;
            }
            "authority" | "scheme" => {
                p.gap(
                    f,
                    espan,
                    format!("`{key}` matches have no HTTPRoute form for mesh routes"),
                );
                return None;
            }
            _ => {
                p.gap(f, e.key.span, "unknown match field");
                return None;
            }
        }
    }
    if let Some(u) = uri {
        vm.path = match u {
            StrMatch::Exact(v) => PathMatch::Exact {
                value: v,
                ignore_case,
            },
            StrMatch::Prefix(v) => {
                if v.contains('?') || v.contains('#') {
                    p.gap(
                        format!("{field}.uri"),
                        uri_span,
                        "a prefix with `?` or `#` also matches into the query string; an HTTPRoute path match cannot",
                    );
                    return None;
                }
                PathMatch::Prefix {
                    value: v,
                    ignore_case,
                }
            }
            StrMatch::Regex(r) => PathMatch::Regex(r),
            StrMatch::Present => PathMatch::Any,
        };
    }
    vm.headers.sort_by(|a, b| a.0.cmp(&b.0));
    vm.query.sort_by(|a, b| a.0.cmp(&b.0));
    Some((vm, gateways))
}

fn parse_rule(p: &mut P, r: &Node, i: usize) -> Option<HttpRule> {
    let base = format!("http[{i}]");
    let Some(entries) = r.as_map() else {
        p.gap(base, r.span, "expected a map");
        return None;
    };
    let mut rule = HttpRule {
        index: i,
        span: r.span,
        matches: Vec::new(),
        had_matches: false,
        route: Vec::new(),
        redirect: None,
        rewrite: None,
        headers: None,
        mirrors: Vec::new(),
        timeout_ms: None,
        retries: None,
    };
    let mut mirror: Option<Dest> = None;
    let mut mirror_pct: Option<f64> = None;
    let mut ok = true;
    for e in entries {
        let key = e.key.as_str().unwrap_or("");
        let f = format!("{base}.{key}");
        let espan = e.key.span.cover(e.value.span);
        if e.value.is_null() {
            continue;
        }
        match key {
            "name" => {}
            "match" => {
                let Some(items) = e.value.as_seq() else {
                    p.gap(f, espan, "expected a list");
                    ok = false;
                    continue;
                };
                rule.had_matches = !items.is_empty();
                for (j, m) in items.iter().enumerate() {
                    match parse_match(p, m, &format!("{f}[{j}]")) {
                        Some((vm, gws)) => {
                            if gws.is_empty() || gws.iter().any(|g| g == "mesh") {
                                rule.matches.push(vm);
                            }
                        }
                        None => ok = false,
                    }
                }
            }
            "route" => {
                let Some(items) = e.value.as_seq() else {
                    p.gap(f, espan, "expected a list");
                    ok = false;
                    continue;
                };
                for (j, d) in items.iter().enumerate() {
                    let df = format!("{f}[{j}]");
                    let Some(dm) = d.as_map() else {
                        p.gap(df, d.span, "expected a map");
                        ok = false;
                        continue;
                    };
                    let mut dest = None;
                    let mut weight = None;
                    let mut headers = None;
                    for de in dm {
                        let dk = de.key.as_str().unwrap_or("");
                        let ff = format!("{df}.{dk}");
                        match dk {
                            "destination" => {
                                dest = p.dest(&de.value, &format!("{df}.destination"), d.span)
                            }
                            "weight" => match de.value.as_i64() {
                                Some(w) if w >= 0 => weight = Some(w),
                                _ => {
                                    p.gap(ff, de.value.span, "expected a non-negative integer");
                                    ok = false;
                                }
                            },
                            "headers" => headers = p.headers(&de.value, &ff),
                            _ => {
                                p.gap(ff, de.key.span, "unknown field");
                                ok = false;
                            }
                        }
                    }
                    match dest {
                        Some(mut dd) => {
                            dd.weight = weight;
                            dd.headers = headers;
                            dd.path = df;
                            rule.route.push(dd);
                        }
                        None => ok = false,
                    }
                }
            }
            "redirect" => {
                let Some(items) = e.value.as_map() else {
                    p.gap(f, espan, "expected a map");
                    ok = false;
                    continue;
                };
                let mut rd = Redirect {
                    span: espan,
                    ..Default::default()
                };
                for re in items {
                    let rk = re.key.as_str().unwrap_or("");
                    let ff = format!("{f}.{rk}");
                    match rk {
                        "uri" => rd.uri = p.string(&re.value, &ff),
                        "authority" => rd.authority = p.string(&re.value, &ff),
                        "scheme" => rd.scheme = p.string(&re.value, &ff),
                        "port" => rd.port = p.uint(&re.value, &ff),
                        "redirectCode" => rd.code = p.uint(&re.value, &ff),
                        "derivePort" => match re.value.as_str() {
                            Some("FROM_PROTOCOL_DEFAULT") => {
                                rd.derive_port = Some(DerivePort::FromProtocolDefault)
                            }
                            Some("FROM_REQUEST_PORT") => {
                                rd.derive_port = Some(DerivePort::FromRequestPort)
                            }
                            _ => {
                                p.gap(ff, re.value.span, "unknown derivePort");
                                ok = false;
                            }
                        },
                        _ => {
                            p.gap(ff, re.key.span, "unknown redirect field");
                            ok = false;
                        }
                    }
                }
                rule.redirect = Some(rd);
            }
            "rewrite" => {
                let Some(items) = e.value.as_map() else {
                    p.gap(f, espan, "expected a map");
                    ok = false;
                    continue;
                };
                let mut rw = Rewrite {
                    span: espan,
                    uri_span: espan,
                    ..Default::default()
                };
                for re in items {
                    let rk = re.key.as_str().unwrap_or("");
                    let ff = format!("{f}.{rk}");
                    match rk {
                        "uri" => {
                            rw.uri = p.string(&re.value, &ff);
                            rw.uri_span = re.key.span.cover(re.value.span);
                        }
                        "authority" => rw.authority = p.string(&re.value, &ff),
                        "uriRegexRewrite" => {
                            p.gap(ff, re.key.span.cover(re.value.span), "regex rewrites have no HTTPRoute form (URLRewrite replaces a prefix or the full path)");
                            ok = false;
                        }
                        _ => {
                            p.gap(ff, re.key.span, "unknown rewrite field");
                            ok = false;
                        }
                    }
                }
                rule.rewrite = Some(rw);
            }
            "headers" => rule.headers = p.headers(&e.value, &f),
            "timeout" => match e.value.as_str().and_then(duration_ms) {
                Some(ms) => rule.timeout_ms = Some(ms),
                None => {
                    p.gap(f, espan, "not a duration with millisecond precision");
                    ok = false;
                }
            },
            "retries" => {
                // `attempts` defaults to 0 in the API: retries disabled
                let mut rt = Retries {
                    attempts: 0,
                    per_try_timeout_ms: None,
                    retry_on: None,
                    span: espan,
                };
                let Some(items) = e.value.as_map() else {
                    p.gap(f, espan, "expected a map");
                    ok = false;
                    continue;
                };
                for re in items {
                    let rk = re.key.as_str().unwrap_or("");
                    let ff = format!("{f}.{rk}");
                    match rk {
                        "attempts" => match re.value.as_i64() {
                            Some(a) => rt.attempts = a,
                            None => {
                                p.gap(ff, re.value.span, "expected an integer");
                                ok = false;
                            }
                        },
                        "perTryTimeout" => match re.value.as_str().and_then(duration_ms) {
                            Some(ms) => rt.per_try_timeout_ms = Some(ms),
                            None => {
                                p.gap(
                                    ff,
                                    re.value.span,
                                    "not a duration with millisecond precision",
                                );
                                ok = false;
                            }
                        },
                        "retryOn" => rt.retry_on = p.string(&re.value, &ff),
                        _ => {
                            p.gap(ff, re.key.span, "has no HTTPRoute retry form");
                            ok = false;
                        }
                    }
                }
                rule.retries = Some(rt);
            }
            "mirror" => {
                mirror = p.dest(&e.value, &f, espan);
                if mirror.is_none() {
                    ok = false;
                }
            }
            "mirrorPercentage" => match e
                .value
                .get("value")
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<f64>().ok())
            {
                Some(v) if (0.0..=100.0).contains(&v) => mirror_pct = Some(v),
                _ => {
                    p.gap(f, espan, "expected value between 0 and 100");
                    ok = false;
                }
            },
            "mirrorPercent" | "mirror_percent" => match e.value.as_i64() {
                Some(v) if (0..=100).contains(&v) => {
                    mirror_pct.get_or_insert(v as f64);
                }
                _ => {
                    p.gap(f, espan, "expected an integer between 0 and 100");
                    ok = false;
                }
            },
            "mirrors" => {
                let Some(items) = e.value.as_seq() else {
                    p.gap(f, espan, "expected a list");
                    ok = false;
                    continue;
                };
                for (j, m) in items.iter().enumerate() {
                    let mf = format!("{f}[{j}]");
                    let Some(d) = m.get("destination") else {
                        p.gap(mf, m.span, "mirror has no destination");
                        ok = false;
                        continue;
                    };
                    let Some(dest) = p.dest(d, &format!("{mf}.destination"), m.span) else {
                        ok = false;
                        continue;
                    };
                    let pct = match m.get("percentage") {
                        None => 100.0,
                        Some(pn) => match pn
                            .get("value")
                            .and_then(|v| v.as_str())
                            .and_then(|v| v.parse::<f64>().ok())
                        {
                            Some(v) if (0.0..=100.0).contains(&v) => v,
                            _ => {
                                p.gap(
                                    format!("{mf}.percentage"),
                                    pn.span,
                                    "expected value between 0 and 100",
                                );
                                ok = false;
                                continue;
                            }
                        },
                    };
                    rule.mirrors.push(Mirror { dest, percent: pct });
                }
            }
            "fault" => {
                p.gap(f, espan, "fault injection has no HTTPRoute form");
                ok = false;
            }
            "corsPolicy" => {
                p.gap(f, espan, "the HTTPRoute CORS filter answers unmatched preflight requests itself (Istio sets unmatchedPreflights: IGNORE for it), the VirtualService forwards them by default; CORS is not translated");
                ok = false;
            }
            "directResponse" => {
                p.gap(f, espan, "an HTTPRoute cannot answer with a fixed response");
                ok = false;
            }
            "delegate" => {
                p.gap(f, espan, "delegation has no HTTPRoute form");
                ok = false;
            }
            _ => {
                p.gap(f, e.key.span, "has no HTTPRoute form");
                ok = false;
            }
        }
    }
    if let Some(m) = mirror {
        let pct = mirror_pct.unwrap_or(100.0);
        rule.mirrors.insert(
            0,
            Mirror {
                dest: m,
                percent: pct,
            },
        );
    }
    ok.then_some(rule)
}
