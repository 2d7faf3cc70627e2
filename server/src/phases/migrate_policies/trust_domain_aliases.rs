//! P016: a principal relies on Envoy's trust-domain alias expansion, which ztunnel does not do
//! (`pilot/pkg/security/trustdomain/bundle.go` `ReplaceTrustDomainAliases`: `cluster.local`
//! and the mesh trust domain and its aliases).

use super::ztunnel_enforced::{authz, policies};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::AuthzRule;
use crate::rules;
use crate::yaml::Span;

/// A principal that ztunnel will compare literally where Envoy would have expanded the trust
/// domain.
fn alias_dependent(principal: &str, mesh_td: &str, aliases: &[String]) -> bool {
    let Some((td, _)) = principal.split_once("/ns/") else {
        return false;
    };
    if td.contains('*') || principal.starts_with('*') {
        return false;
    }
    if td == "cluster.local" {
        return mesh_td != "cluster.local" || !aliases.is_empty();
    }
    (td == mesh_td || aliases.iter().any(|a| a == td)) && !aliases.is_empty()
}

/// The alias-dependent principals of a rule (`from.principals`, `when source.principal`).
fn principals(rule: &AuthzRule, mesh_td: &str, aliases: &[String]) -> Vec<(String, Span)> {
    let mut found = Vec::new();
    for s in &rule.from {
        for f in &s.fields {
            if f.name == "principals" || f.name == "notPrincipals" {
                for v in &f.values {
                    if alias_dependent(v, mesh_td, aliases) {
                        found.push((v.clone(), f.span));
                    }
                }
            }
        }
    }
    for c in &rule.when {
        if c.key == "source.principal" {
            for v in c.values.iter().chain(&c.not_values) {
                if alias_dependent(v, mesh_td, aliases) {
                    found.push((v.clone(), c.span));
                }
            }
        }
    }
    found
}

pub fn namespace(ctx: &mut NsCtx) {
    let mesh_td = ctx.facts.trust_domain.clone();
    let aliases = ctx.facts.mesh.trust_domain_aliases.clone();
    let alias_note = if aliases.is_empty() {
        String::new()
    } else {
        format!(", aliases {}", aliases.join(", "))
    };
    for r in policies(ctx) {
        for rule in &authz(&r).rules {
            for (p, span) in principals(rule, &mesh_td, &aliases) {
                ctx.emit(
                    Finding::new(
                        &rules::P016,
                        format!(
                            "Principal \"{p}\" in AuthorizationPolicy \"{}\" relies on Envoy's trust-domain expansion (mesh trust domain \"{mesh_td}\"{alias_note}); ztunnel compares principals literally and will not match it. Write it with the actual trust domain, or use serviceAccounts (1.25+).",
                            r.ns_name(),
                        ),
                    )
                    .on_node(&r, span),
                );
            }
        }
    }
}
