//! AuthorizationPolicy classification (D7) and how ztunnel enforces a policy (§1.3, §1.4):
//! which attributes are HTTP-only, what an ALLOW/DENY rule becomes once its HTTP parts are
//! removed, and whether a rule matches a given source identity (the waypoint's).

use crate::model::{AttrSet, AuthorizationPolicy, AuthzAction, AuthzRule};
use crate::yaml::Span;

pub const L4_SOURCE: &[&str] = &[
    "principals",
    "notPrincipals",
    "namespaces",
    "notNamespaces",
    "ipBlocks",
    "notIpBlocks",
    "serviceAccounts",
    "notServiceAccounts",
];
/// Source fields that ztunnel cannot evaluate. `trustDomains`/`notTrustDomains` are not HTTP
/// attributes, but the ztunnel conversion neither converts nor flags them, leaving an empty
/// match that never matches — the same effect (catalog E13, inferred from
/// `pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go`).
pub const L7_SOURCE: &[&str] = &[
    "requestPrincipals",
    "notRequestPrincipals",
    "remoteIpBlocks",
    "notRemoteIpBlocks",
    "trustDomains",
    "notTrustDomains",
];
pub const L4_OPERATION: &[&str] = &["ports", "notPorts"];
pub const L7_OPERATION: &[&str] = &[
    "hosts",
    "notHosts",
    "methods",
    "notMethods",
    "paths",
    "notPaths",
];
pub const L4_WHEN: &[&str] = &[
    "source.ip",
    "source.namespace",
    "source.principal",
    "destination.ip",
    "destination.port",
];

/// An HTTP attribute found in a policy.
#[derive(Clone, Debug)]
pub struct L7Field {
    pub name: String,
    pub span: Span,
    pub rule: usize,
}

pub fn l7_fields(ap: &AuthorizationPolicy) -> Vec<L7Field> {
    let mut out = Vec::new();
    for (ri, rule) in ap.rules.iter().enumerate() {
        for s in &rule.from {
            for f in &s.fields {
                if L7_SOURCE.contains(&f.name.as_str()) {
                    out.push(L7Field {
                        name: if f.name.ends_with("rustDomains") {
                            format!("{} (not converted for ztunnel)", f.name)
                        } else {
                            f.name.clone()
                        },
                        span: f.span,
                        rule: ri,
                    });
                }
            }
        }
        for o in &rule.to {
            for f in &o.fields {
                if L7_OPERATION.contains(&f.name.as_str()) {
                    out.push(L7Field {
                        name: f.name.clone(),
                        span: f.span,
                        rule: ri,
                    });
                }
            }
        }
        for c in &rule.when {
            if !L4_WHEN.contains(&c.key.as_str()) {
                out.push(L7Field {
                    name: format!("when {}", c.key),
                    span: c.span,
                    rule: ri,
                });
            }
        }
    }
    out
}

/// Distinct HTTP attribute names, in order of appearance.
pub fn l7_names(fields: &[L7Field]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in fields {
        if !names.contains(&f.name) {
            names.push(f.name.clone());
        }
    }
    names
}

/// Only a waypoint can enforce it once its workloads are ambient, so it is copied there (P001,
/// P003): HTTP attributes, a CUSTOM or AUDIT action, or checks on the client's identity (which
/// a waypoint replaces at the workload).
pub fn needs_waypoint_copy(ap: &AuthorizationPolicy) -> bool {
    !l7_fields(ap).is_empty()
        || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit)
        || depends_on_source_identity(ap)
}

/// Depends on who the client is (§D7): behind a waypoint the client seen by ztunnel changes.
pub fn depends_on_source_identity(ap: &AuthorizationPolicy) -> bool {
    ap.rules.iter().any(|r| {
        r.from.iter().any(|s| {
            s.fields
                .iter()
                .any(|f| L4_SOURCE.contains(&f.name.as_str()))
        }) || r.when.iter().any(|c| c.key.starts_with("source."))
    })
}

/// Uses client namespaces or IPs at L4 (P006).
pub fn namespace_or_ip_checks(ap: &AuthorizationPolicy) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for r in &ap.rules {
        for s in &r.from {
            for f in &s.fields {
                if matches!(
                    f.name.as_str(),
                    "namespaces" | "notNamespaces" | "ipBlocks" | "notIpBlocks"
                ) {
                    out.push((f.name.clone(), f.span));
                }
            }
        }
        for c in &r.when {
            if matches!(c.key.as_str(), "source.ip" | "source.namespace") {
                out.push((format!("when {}", c.key), c.span));
            }
        }
    }
    out
}

/// What ztunnel makes of one DENY rule (§1.4 point 4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenyEffect {
    /// No HTTP attributes: enforced as written.
    Unchanged,
    /// A clause became empty: the rule never matches (fail-open for that rule).
    NoOp,
    /// HTTP parts removed, the L4 rest is enforced: denies more than intended.
    Broader(String),
}

fn set_l4_empty(set: &AttrSet, l4: &[&str]) -> bool {
    !set.fields
        .iter()
        .any(|f| l4.contains(&f.name.as_str()) && !f.values.is_empty())
}

fn set_has_l7(set: &AttrSet, l7: &[&str]) -> bool {
    set.fields.iter().any(|f| l7.contains(&f.name.as_str()))
}

pub fn deny_effect(rule: &AuthzRule) -> DenyEffect {
    let mut stripped = false;
    // to clause
    if !rule.to.is_empty() {
        if rule.to.iter().all(|o| set_l4_empty(o, L4_OPERATION)) {
            return if rule.to.iter().any(|o| set_has_l7(o, L7_OPERATION)) {
                DenyEffect::NoOp
            } else {
                DenyEffect::Unchanged
            };
        }
        stripped |= rule.to.iter().any(|o| set_has_l7(o, L7_OPERATION));
    }
    if !rule.from.is_empty() {
        if rule.from.iter().all(|s| set_l4_empty(s, L4_SOURCE)) {
            return DenyEffect::NoOp;
        }
        stripped |= rule.from.iter().any(|s| set_has_l7(s, L7_SOURCE));
    }
    for c in &rule.when {
        if !L4_WHEN.contains(&c.key.as_str()) {
            return DenyEffect::NoOp;
        }
    }
    if !stripped {
        return DenyEffect::Unchanged;
    }
    let ports: Vec<String> = rule
        .to
        .iter()
        .flat_map(|o| {
            o.fields
                .iter()
                .filter(|f| f.name == "ports")
                .flat_map(|f| f.values.clone())
        })
        .collect();
    let sources: Vec<String> = rule
        .from
        .iter()
        .flat_map(|s| {
            s.fields
                .iter()
                .filter(|f| L4_SOURCE.contains(&f.name.as_str()))
                .map(|f| format!("{} {:?}", f.name, f.values))
        })
        .collect();
    let mut what = String::from("deny every connection");
    if !sources.is_empty() {
        what.push_str(&format!(" from {}", sources.join(", ")));
    }
    if !ports.is_empty() {
        what.push_str(&format!(" to port(s) {}", ports.join(", ")));
    }
    DenyEffect::Broader(what)
}

/// At ztunnel, an ALLOW rule containing any HTTP attribute is dropped entirely.
pub fn allow_rule_dropped(rule: &AuthzRule) -> bool {
    rule.from.iter().any(|s| set_has_l7(s, L7_SOURCE))
        || rule.to.iter().any(|o| set_has_l7(o, L7_OPERATION))
        || rule.when.iter().any(|c| !L4_WHEN.contains(&c.key.as_str()))
}

/// Every ALLOW rule is dropped (or there are rules and all are dropped): at ztunnel the
/// policy matches nothing.
pub fn allow_matches_nothing_at_ztunnel(ap: &AuthorizationPolicy) -> bool {
    ap.action == AuthzAction::Allow
        && !ap.rules.is_empty()
        && ap.rules.iter().all(allow_rule_dropped)
}

/// A source identity (the waypoint's, as ztunnel sees it).
#[derive(Clone, Debug)]
pub struct Identity {
    pub principal: String,
    pub namespace: String,
    /// `<ns>/<sa>`.
    pub service_account: String,
}

/// Istio string matching: `*` presence, `*x` suffix, `x*` prefix, exact.
pub fn string_match(pattern: &str, v: &str) -> bool {
    if pattern == "*" {
        return !v.is_empty();
    }
    if let Some(s) = pattern.strip_prefix('*') {
        return v.ends_with(s);
    }
    if let Some(p) = pattern.strip_suffix('*') {
        return v.starts_with(p);
    }
    pattern == v
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Maybe,
}

impl Tri {
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }
    fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Maybe,
        }
    }
}

fn source_matches(set: &AttrSet, id: &Identity) -> Tri {
    let mut t = Tri::Yes;
    for f in &set.fields {
        let any = |v: &str| f.values.iter().any(|p| string_match(p, v));
        let r = match f.name.as_str() {
            "principals" => bool_tri(any(&id.principal)),
            "notPrincipals" => bool_tri(!any(&id.principal)),
            "namespaces" => bool_tri(any(&id.namespace)),
            "notNamespaces" => bool_tri(!any(&id.namespace)),
            "serviceAccounts" => bool_tri(any(&id.service_account)),
            "notServiceAccounts" => bool_tri(!any(&id.service_account)),
            // the waypoint's pod IP is not known statically; it is not in client IP lists
            "ipBlocks" => Tri::Maybe,
            "notIpBlocks" => Tri::Maybe,
            _ => Tri::Maybe,
        };
        t = t.and(r);
    }
    t
}

fn bool_tri(b: bool) -> Tri {
    if b {
        Tri::Yes
    } else {
        Tri::No
    }
}

/// Whether the rule's `from` and source `when` conditions match `id` (operations ignored).
pub fn rule_matches_source(rule: &AuthzRule, id: &Identity) -> Tri {
    let mut t = if rule.from.is_empty() {
        Tri::Yes
    } else {
        rule.from
            .iter()
            .fold(Tri::No, |acc, s| acc.or(source_matches(s, id)))
    };
    for c in &rule.when {
        let v = match c.key.as_str() {
            "source.principal" => Some(&id.principal),
            "source.namespace" => Some(&id.namespace),
            _ => None,
        };
        let r = match v {
            Some(v) => {
                let pos = c.values.is_empty() || c.values.iter().any(|p| string_match(p, v));
                let neg = c.not_values.iter().any(|p| string_match(p, v));
                bool_tri(pos && !neg)
            }
            None => Tri::Maybe,
        };
        t = t.and(r);
    }
    t
}

/// An ALLOW policy lets `id` in at ztunnel (and at a sidecar): some rule without HTTP
/// attributes whose sources certainly match.
pub fn allow_admits(ap: &AuthorizationPolicy, id: &Identity) -> bool {
    ap.action == AuthzAction::Allow
        && ap
            .rules
            .iter()
            .any(|r| !allow_rule_dropped(r) && rule_matches_source(r, id) == Tri::Yes)
}

/// An ALLOW policy that admits only `id` (the allow-from-waypoint pattern, P004): copying it
/// to the waypoint would be meaningless.
pub fn admits_only(ap: &AuthorizationPolicy, id: &Identity) -> bool {
    ap.action == AuthzAction::Allow
        && !ap.rules.is_empty()
        && ap.rules.iter().all(|r| {
            !r.from.is_empty()
                && r.when.is_empty()
                && r.from.iter().all(|s| {
                    !s.fields.is_empty()
                        && s.fields.iter().all(|f| match f.name.as_str() {
                            "principals" => f.values.iter().all(|v| v == &id.principal),
                            "serviceAccounts" => f.values.iter().all(|v| v == &id.service_account),
                            _ => false,
                        })
                })
        })
}

/// A DENY policy may deny `id`: some rule that is enforced at ztunnel and whose sources match
/// (or may match). Returns the offending rule index.
pub fn deny_catches(ap: &AuthorizationPolicy, id: &Identity) -> Option<(usize, Tri)> {
    if ap.action != AuthzAction::Deny {
        return None;
    }
    for (i, r) in ap.rules.iter().enumerate() {
        if deny_effect(r) == DenyEffect::NoOp {
            continue;
        }
        let has_negative = r.from.iter().any(|s| {
            s.fields
                .iter()
                .any(|f| f.name.starts_with("not") && L4_SOURCE.contains(&f.name.as_str()))
        }) || r
            .when
            .iter()
            .any(|c| c.key.starts_with("source.") && !c.not_values.is_empty());
        let m = rule_matches_source(r, id);
        if m == Tri::Yes || (m == Tri::Maybe && has_negative) {
            return Some((i, m));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{extract, Body};
    use crate::yaml::{parse_stream, Limits};

    fn ap(text: &str) -> AuthorizationPolicy {
        let s = parse_stream(text, &Limits::default());
        let ex = extract(s.docs[0].root.as_ref().unwrap(), 0, 0);
        match &ex.resources[0].body {
            Body::AuthorizationPolicy(a) => (**a).clone(),
            _ => panic!(),
        }
    }

    const HEAD: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: a}\nspec:\n";

    #[test]
    fn deny_methods_only_is_noop_deny_methods_ports_is_broader() {
        let p = ap(&format!("{HEAD}  action: DENY\n  rules:\n  - from: [{{source: {{namespaces: [x]}}}}]\n    to: [{{operation: {{paths: [/admin]}}}}]\n"));
        assert_eq!(deny_effect(&p.rules[0]), DenyEffect::NoOp);
        let p = ap(&format!("{HEAD}  action: DENY\n  rules:\n  - to: [{{operation: {{methods: [DELETE], ports: [\"8080\"]}}}}]\n"));
        assert!(matches!(deny_effect(&p.rules[0]), DenyEffect::Broader(s) if s.contains("8080")));
        let p = ap(&format!("{HEAD}  action: DENY\n  rules:\n  - from: [{{source: {{namespaces: [x]}}}}]\n    when: [{{key: \"request.headers[x]\", values: [a]}}]\n"));
        assert_eq!(deny_effect(&p.rules[0]), DenyEffect::NoOp);
        let p = ap(&format!(
            "{HEAD}  action: DENY\n  rules:\n  - from: [{{source: {{notNamespaces: [x]}}}}]\n"
        ));
        assert_eq!(deny_effect(&p.rules[0]), DenyEffect::Unchanged);
    }

    #[test]
    fn allow_rule_with_any_l7_is_dropped_whole() {
        let p = ap(&format!("{HEAD}  rules:\n  - from: [{{source: {{principals: [a]}}}}]\n    to: [{{operation: {{methods: [GET]}}}}]\n"));
        assert!(allow_rule_dropped(&p.rules[0]));
        assert!(allow_matches_nothing_at_ztunnel(&p));
        let p = ap(&format!(
            "{HEAD}  rules:\n  - when: [{{key: source.serviceAccount, values: [a/b]}}]\n"
        ));
        assert_eq!(
            l7_fields(&p).len(),
            1,
            "source.serviceAccount is not an L4 when key"
        );
    }

    #[test]
    fn identity_matching() {
        let id = Identity {
            principal: "cluster.local/ns/bookinfo/sa/waypoint".into(),
            namespace: "bookinfo".into(),
            service_account: "bookinfo/waypoint".into(),
        };
        let p = ap(&format!("{HEAD}  action: DENY\n  rules:\n  - from: [{{source: {{notPrincipals: [\"cluster.local/ns/bookinfo/sa/waypoint\"]}}}}]\n"));
        assert!(deny_catches(&p, &id).is_none());
        let p = ap(&format!("{HEAD}  action: DENY\n  rules:\n  - from: [{{source: {{notPrincipals: [\"cluster.local/ns/x/sa/y\"]}}}}]\n"));
        assert!(deny_catches(&p, &id).is_some());
        let p = ap(&format!("{HEAD}  action: DENY\n  rules:\n  - from: [{{source: {{notPrincipals: [\"*\"], notNamespaces: [kube-system]}}}}]\n"));
        assert!(
            deny_catches(&p, &id).is_none(),
            "plaintext-only deny does not catch the waypoint"
        );
        let p = ap(&format!("{HEAD}  rules:\n  - from: [{{source: {{principals: [\"cluster.local/ns/bookinfo/sa/*\"]}}}}]\n"));
        assert!(allow_admits(&p, &id));
        let p = ap(&format!("{HEAD}  rules:\n  - from: [{{source: {{principals: [\"cluster.local/ns/other/sa/x\"]}}}}]\n"));
        assert!(!allow_admits(&p, &id));
    }
}
