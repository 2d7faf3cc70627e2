//! W009–W015: policies that select workloads by label and that ztunnel ignores or enforces
//! differently, so the services in front of those workloads need a waypoint:
//! W009 AuthorizationPolicy with HTTP attributes, W010 CUSTOM, W011 AUDIT, W012
//! RequestAuthentication, W013 selector Telemetry, W014 WasmPlugin, W015 EnvoyFilter.
//!
//! One pass over the policies that apply to the namespace computes what they select; each rule
//! is one function below. A root-namespace policy is reported once for the whole mesh
//! (`cluster`), with what every namespace found.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analysis::authz::{deny_effect, l7_fields, l7_names, DenyEffect};
use crate::analysis::context::{selector_span, RootHit, RootMessage, RootScope};
use crate::analysis::{ClusterCtx, NsCtx, Target};
use crate::finding::{quoted_list, workloads_list, Finding};
use crate::model::{AuthorizationPolicy, AuthzAction, Body, EnvoyFilter, Resource, Telemetry};
use crate::rules::{self, Rule};
use crate::yaml::Span;

/// What a policy selects in this namespace.
struct Scope {
    policy: Arc<Resource>,
    root: bool,
    units: Vec<usize>,
    unit_names: Vec<String>,
    services: Vec<String>,
    /// `"ns/a", "ns/b", 1 more`.
    workloads: String,
    /// `Service(s) "ns/a" need a waypoint`, or why none can.
    services_text: String,
    /// Where the finding goes: the selector, else the name.
    at: Span,
}

/// A waypoint need found by one of the rules.
struct Need {
    /// The rule the need is recorded under (not the variant the finding uses).
    rule: &'static Rule,
    finding: Finding,
    root_message: RootMessage,
}

pub fn namespace(ctx: &mut NsCtx) {
    for (policy, root) in ctx.scoped_policies() {
        let Some(scope) = scope(ctx, policy, root) else {
            continue;
        };
        let need = match &scope.policy.body {
            Body::AuthorizationPolicy(ap) => match ap.action {
                AuthzAction::Custom => Some(custom(&scope, ap)),
                AuthzAction::Audit => Some(audit(&scope)),
                AuthzAction::Allow | AuthzAction::Deny => http_attributes(&scope, ap),
            },
            Body::RequestAuthentication(_) => Some(request_authentication(ctx, &scope)),
            Body::Telemetry(t) => telemetry(&scope, t),
            Body::WasmPlugin(_) => Some(wasm_plugin(&scope)),
            Body::EnvoyFilter(ef) => envoy_filter(&scope, ef),
            _ => None,
        };
        if let Some(need) = need {
            record(ctx, &scope, need);
        }
    }
}

fn scope(ctx: &NsCtx, policy: Arc<Resource>, root: bool) -> Option<Scope> {
    let units = ctx.selected_ambient(&policy);
    let selector = selector_span(&policy);
    // EnvoyFilters without selector in application namespaces apply even with no workload seen
    let ef_ns_wide = matches!(policy.body, Body::EnvoyFilter(_))
        && selector.is_none()
        && !ctx.view.mode.system
        && !root;
    if units.is_empty() && !ef_ns_wide {
        return None;
    }
    let services = ctx.services_of(&units);
    let unit_names: Vec<String> = units.iter().map(|&u| ctx.unit(u).short()).collect();
    let services_text = if services.is_empty() {
        "no Service fronts these pods (a workload waypoint would be needed)".to_string()
    } else {
        format!(
            "Service(s) {} need a waypoint",
            services
                .iter()
                .map(|s| format!("\"{}/{}\"", ctx.ns(), s))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some(Scope {
        workloads: workloads_list(&unit_names),
        at: selector.unwrap_or(policy.name_span),
        policy,
        root,
        units,
        unit_names,
        services,
        services_text,
    })
}

/// The services need a waypoint; a root-namespace policy is kept for the cluster-wide finding,
/// an advisory need is reported without asking for a waypoint.
fn record(ctx: &mut NsCtx, scope: &Scope, need: Need) {
    for s in &scope.services {
        ctx.add_reason(Target::service(s), need.rule, scope.policy.quoted());
    }
    if scope.root {
        ctx.summary.root_hits.push(RootHit {
            policy: scope.policy.clone(),
            rule: need.rule,
            units: scope.unit_names.clone(),
            services: scope
                .services
                .iter()
                .map(|s| format!("{}/{}", ctx.view.ns, s))
                .collect(),
            message: need.root_message,
        });
    } else if need.rule.advisory {
        ctx.emit(need.finding);
    } else {
        let targets = scope.services.iter().map(|s| Target::service(s)).collect();
        ctx.emit_need(need.finding, targets);
    }
}

/// W010: CUSTOM (external authorizer) policies are ignored by ztunnel: fail-open.
fn custom(scope: &Scope, ap: &AuthorizationPolicy) -> Need {
    let provider = ap.provider.clone().unwrap_or_else(|| "?".to_string());
    let finding = Finding::new(
        &rules::W010,
        format!(
            "AuthorizationPolicy \"{}\" delegates to external authorizer \"{}\"; ztunnel ignores CUSTOM policies, so the check would silently stop for {} (fail-open). A waypoint is required; {}.",
            scope.policy.ns_name(),
            provider,
            scope.workloads,
            scope.services_text
        ),
    )
    .on_node(&scope.policy, scope.at);
    Need {
        rule: &rules::W010,
        finding,
        root_message: |s| {
            format!("The {} delegates to an external authorizer; ztunnel ignores CUSTOM policies, so the check silently stops for {} (fail-open). {}.", s.scope, s.workloads, s.services)
        },
    }
}

/// W011: AUDIT policies are not supported by ztunnel (advisory).
fn audit(scope: &Scope) -> Need {
    let finding = Finding::new(
        &rules::W011,
        format!(
            "AUDIT policy \"{}\" is not supported by ztunnel; audit records for {} will stop unless it is attached to a waypoint.",
            scope.policy.ns_name(),
            scope.workloads
        ),
    )
    .on_node(&scope.policy, scope.at);
    Need {
        rule: &rules::W011,
        finding,
        root_message: |s| {
            format!("The {} is an AUDIT policy; ztunnel does not support it, audit records for {} stop unless attached to a waypoint.", s.scope, s.workloads)
        },
    }
}

/// W009: ALLOW/DENY rules with HTTP attributes: ztunnel drops them (ALLOW: denies the traffic
/// they allowed; DENY: enforces them without their HTTP parts).
fn http_attributes(scope: &Scope, ap: &AuthorizationPolicy) -> Option<Need> {
    let l7 = l7_fields(ap);
    if l7.is_empty() {
        return None;
    }
    let names = l7_names(&l7);
    let msg = if ap.action == AuthzAction::Allow {
        format!(
            "AuthorizationPolicy \"{}\" uses HTTP attributes ({}). Once {} loses its sidecar, ztunnel drops every rule containing them, so matching traffic will be denied. {}; the policy must move to the waypoint.",
            scope.policy.ns_name(),
            names.join(", "),
            scope.workloads,
            scope.services_text
        )
    } else {
        let effects: Vec<String> = ap
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match deny_effect(r) {
                DenyEffect::NoOp => Some(format!(
                    "rule {} will never match (its HTTP-only parts are dropped: fail-open)",
                    i + 1
                )),
                DenyEffect::Broader(w) => Some(format!("rule {} will {}", i + 1, w)),
                DenyEffect::Unchanged => None,
            })
            .collect();
        format!(
            "AuthorizationPolicy \"{}\" uses HTTP attributes ({}). ztunnel enforces DENY rules without their HTTP parts once {} loses its sidecar: {}. {}; the policy must move to the waypoint.",
            scope.policy.ns_name(),
            names.join(", "),
            scope.workloads,
            effects.join("; "),
            scope.services_text
        )
    };
    let mut finding = Finding::new(&rules::W009, msg).on_node(&scope.policy, scope.at);
    for l in &l7 {
        finding = finding.related(&scope.policy, l.span, format!("HTTP attribute {}", l.name));
    }
    Some(Need {
        rule: &rules::W009,
        finding,
        root_message: |s| {
            let names = match &s.policy.body {
                Body::AuthorizationPolicy(ap) => l7_names(&l7_fields(ap)).join(", "),
                _ => String::new(),
            };
            format!("The {} uses HTTP attributes ({names}). Once {} lose their sidecars, ztunnel drops the rules containing them. {}; the policy must be copied to the waypoints.", s.scope, s.workloads, s.services)
        },
    })
}

/// W012: RequestAuthentication is ignored by ztunnel; an error when an AuthorizationPolicy on
/// the same workloads relies on the JWT.
fn request_authentication(ctx: &NsCtx, scope: &Scope) -> Need {
    let relies = ctx.scoped_policies().iter().any(|(other, _)| {
        let Body::AuthorizationPolicy(ap) = &other.body else {
            return false;
        };
        let sel = ctx.selected(other);
        if !scope.units.iter().any(|u| sel.contains(u)) {
            return false;
        }
        ap.rules.iter().any(|r| {
            r.from.iter().any(|s| {
                s.fields
                    .iter()
                    .any(|f| f.name == "requestPrincipals" || f.name == "notRequestPrincipals")
            }) || r.when.iter().any(|c| c.key.starts_with("request.auth."))
        })
    });
    let subjects = if scope.services.is_empty() {
        scope.workloads.clone()
    } else {
        scope
            .services
            .iter()
            .map(|s| format!("\"{}/{}\"", ctx.ns(), s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rule = if relies {
        &rules::W012_JWT_REQUIRED
    } else {
        &rules::W012
    };
    let finding = Finding::new(
        rule,
        format!(
            "RequestAuthentication \"{}\" is ignored by ztunnel; JWTs for {} will not be validated without a waypoint{}. {}.",
            scope.policy.ns_name(),
            subjects,
            if relies { ", and AuthorizationPolicies that check request.auth/requestPrincipals will deny (ALLOW) or never match (DENY)" } else { "" },
            scope.services_text
        ),
    )
    .on_node(&scope.policy, scope.at);
    Need {
        rule: &rules::W012,
        finding,
        root_message: |s| {
            format!("The {} is ignored by ztunnel; JWTs for {} will not be validated without a waypoint. {}.", s.scope, s.workloads, s.services)
        },
    }
}

/// W013: selector Telemetry that only a waypoint could honour (advisory).
fn telemetry(scope: &Scope, t: &Telemetry) -> Option<Need> {
    if t.selector.is_none()
        || (t.access_logging.is_none() && t.tracing.is_none() && t.metrics.is_none())
    {
        return None;
    }
    let finding = Finding::new(
        &rules::W013,
        format!(
            "Telemetry \"{}\" targets sidecar workloads ({}); ztunnel emits only TCP telemetry and waypoints ignore selector-based Telemetry.",
            scope.policy.ns_name(),
            scope.workloads
        ),
    )
    .on_node(&scope.policy, scope.at);
    Some(Need {
        rule: &rules::W013,
        finding,
        root_message: |s| {
            format!(
                "The {} targets sidecar workloads ({}); ztunnel emits only TCP telemetry.",
                s.scope, s.workloads
            )
        },
    })
}

/// W014: WasmPlugins run in sidecars only.
fn wasm_plugin(scope: &Scope) -> Need {
    let finding = Finding::new(
        &rules::W014,
        format!(
            "WasmPlugin \"{}\" runs in sidecars only ({}); ztunnel cannot run it and waypoints ignore selector-based plugins. {}.",
            scope.policy.ns_name(),
            scope.workloads,
            scope.services_text
        ),
    )
    .on_node(&scope.policy, scope.at);
    Need {
        rule: &rules::W014,
        finding,
        root_message: |s| {
            format!(
                "The {} runs in sidecars only ({}); ztunnel cannot run it. {}.",
                s.scope, s.workloads, s.services
            )
        },
    }
}

/// W015: EnvoyFilters that patch sidecars have no effect in ambient (advisory).
fn envoy_filter(scope: &Scope, ef: &EnvoyFilter) -> Option<Need> {
    if !ef.patches_sidecars() {
        return None;
    }
    let at = selector_span(&scope.policy)
        .or(ef.patches_span)
        .unwrap_or(scope.policy.name_span);
    let finding = Finding::new(
        &rules::W015,
        format!(
            "EnvoyFilter \"{}\" patches sidecar Envoy config and has no effect in ambient{}. Porting it to a waypoint is Alpha and not supported by the official migration guide — manual review required.",
            scope.policy.ns_name(),
            if scope.units.is_empty() { String::new() } else { format!(" ({})", scope.workloads) }
        ),
    )
    .on_node(&scope.policy, at);
    Some(Need {
        rule: &rules::W015,
        finding,
        root_message: |s| {
            format!("The {} patches sidecar Envoy config of {} and has no effect in ambient; manual review required.", s.scope, s.workloads)
        },
    })
}

/// Root-namespace policies that select workloads in several namespaces: one finding each.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    type Hit = (
        &'static Rule,
        RootMessage,
        Arc<Resource>,
        Vec<String>,
        Vec<String>,
    );
    let mut hits: BTreeMap<(String, &'static str), Hit> = BTreeMap::new();
    for ns in &g.agg.root_hits {
        for h in &g.results[ns].summary.root_hits {
            let e = hits
                .entry((h.policy.name.to_string() + "/" + &h.policy.kind, h.rule.id))
                .or_insert_with(|| (h.rule, h.message, h.policy.clone(), Vec::new(), Vec::new()));
            e.3.extend(h.units.iter().cloned());
            e.4.extend(h.services.iter().cloned());
        }
    }
    for (rule, message, pol, units, mut services) in hits.into_values() {
        services.sort();
        services.dedup();
        let services = if services.is_empty() {
            "no Service fronts these pods".to_string()
        } else {
            format!("Service(s) {} need a waypoint", quoted_list(&services, 5))
        };
        let scope = format!(
            "root-namespace (mesh-wide) {} \"{}\"",
            pol.kind,
            pol.ns_name()
        );
        let msg = message(&RootScope {
            policy: &pol,
            scope: &scope,
            workloads: &quoted_list(&units, 3),
            services: &services,
        });
        let at = selector_span(&pol).unwrap_or(pol.name_span);
        out.push(Finding::new(rule, msg).on_node(&pol, at));
    }
}
