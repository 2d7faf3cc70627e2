//! Phase `migrate-policies`: copies of sidecar-era policies that the waypoint enforces, the
//! allow-from-waypoint policies, and configuration ambient ignores. Add, never replace.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::waypoints::{quoted, workloads_list};
use super::{Global, NsCtx, Planned, Target, TargetKind};
use crate::analysis::authz::{
    allow_admits, deny_catches, depends_on_source_identity, l7_fields, namespace_or_ip_checks,
    Identity, Tri,
};
use crate::analysis::mesh::normalize_host;
use crate::finding::{Action, Finding, Severity};
use crate::fixes;
use crate::model::{AuthorizationPolicy, AuthzAction, Body, Resource, TargetRef};
use crate::rules::{self, Rule};

/// A waypointed service of this namespace: index, target, planned waypoint.
#[derive(Clone)]
struct Wp {
    si: usize,
    name: String,
    plan: Planned,
}

fn waypointed(ctx: &NsCtx) -> Vec<Wp> {
    let mut out = Vec::new();
    for (si, sv) in ctx.v.services.iter().enumerate() {
        if sv.infra {
            continue;
        }
        if let Some(p) = ctx.planned.get(&Target::svc(sv.name())) {
            out.push(Wp {
                si,
                name: sv.name().to_string(),
                plan: p.clone(),
            });
        }
    }
    out
}

fn identity(ctx: &NsCtx, p: &Planned) -> Identity {
    Identity {
        principal: p.principal(ctx.facts),
        namespace: p.ns.clone(),
        service_account: format!("{}/{}", p.ns, p.sa),
    }
}

fn refs_key(refs: &[TargetRef]) -> BTreeSet<(String, String)> {
    refs.iter()
        .map(|t| (t.kind.clone(), t.name.clone()))
        .collect()
}

fn value_refs_key(refs: &[Value]) -> BTreeSet<(String, String)> {
    refs.iter()
        .map(|v| {
            (
                v.get("kind")
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string(),
                v.get("name")
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

/// An existing object of this namespace that already is this copy (same targets, same content).
fn existing_copy(
    ctx: &NsCtx,
    kind: &str,
    refs: &[Value],
    content: &Value,
) -> Option<Arc<Resource>> {
    let want = value_refs_key(refs);
    ctx.v
        .resources
        .iter()
        .find(|r| {
            if r.kind != kind {
                return false;
            }
            match &r.body {
                Body::AuthorizationPolicy(p) => {
                    !p.target_refs.is_empty()
                        && refs_key(&p.target_refs) == want
                        && content.get("action").and_then(|a| a.as_str()) == Some(p.action.as_str())
                        && content.get("rules").cloned().unwrap_or(Value::Null)
                            == p.rules_json.value()
                }
                Body::RequestAuthentication(p) => {
                    !p.target_refs.is_empty()
                        && refs_key(&p.target_refs) == want
                        && strip(&p.spec_json.value()) == strip(content)
                }
                Body::Telemetry(p) => {
                    !p.target_refs.is_empty()
                        && refs_key(&p.target_refs) == want
                        && strip(&p.spec_json.value()) == strip(content)
                }
                Body::WasmPlugin(p) => {
                    !p.target_refs.is_empty()
                        && refs_key(&p.target_refs) == want
                        && strip(&p.spec_json.value()) == strip(content)
                }
                _ => false,
            }
        })
        .cloned()
}

fn strip(spec: &Value) -> Value {
    let mut v = spec.clone();
    if let Value::Object(m) = &mut v {
        for k in ["selector", "targetRef", "targetRefs", "workloadSelector"] {
            m.remove(k);
        }
    }
    v
}

/// Names already used in this namespace for `kind` (existing objects and generated ones).
fn taken(ctx: &NsCtx, kind: &str, generated: &BTreeSet<String>) -> BTreeSet<String> {
    let mut t: BTreeSet<String> = ctx
        .v
        .resources
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.name.to_string())
        .collect();
    t.extend(generated.iter().cloned());
    t
}

/// Whether the waypoint of this namespace is also used by other namespaces.
fn shared(ctx: &NsCtx, wp: &Planned) -> bool {
    if wp.ns != ctx.ns() {
        return true;
    }
    for other in ctx
        .index
        .users_of(&crate::model::refs::RefKey::Ns(ctx.ns().to_string()))
    {
        for r in ctx.index.ns(other).chain(ctx.index.namespace_object(other)) {
            if r.labels.get("istio.io/use-waypoint-namespace") == Some(ctx.ns())
                && r.labels.get("istio.io/use-waypoint") == Some(wp.name.as_str())
            {
                return true;
            }
        }
    }
    false
}

struct Gen<'c, 'a> {
    ctx: &'c mut NsCtx<'a>,
    generated: BTreeMap<String, BTreeSet<String>>,
}

impl<'c, 'a> Gen<'c, 'a> {
    /// Emit a copy: returns false when an equivalent object already exists.
    #[allow(clippy::too_many_arguments)]
    fn copy(
        &mut self,
        rule: &'static Rule,
        kind: &str,
        base_name: &str,
        refs: Vec<Value>,
        build: &dyn Fn(&str, Vec<Value>) -> Value,
        origin: &Arc<Resource>,
        origin_desc: &str,
        loc: crate::yaml::Span,
        targets: &[String],
        extra: Option<String>,
    ) {
        let ns = self.ctx.ns().to_string();
        let probe = build("probe", refs.clone());
        let content = probe.get("spec").cloned().unwrap_or(Value::Null);
        if existing_copy(self.ctx, kind, &refs, &content).is_some() {
            return;
        }
        let gen = self.generated.entry(kind.to_string()).or_default().clone();
        let mut taken = taken(self.ctx, kind, &gen);
        // an existing object with the base name that is not a copy is someone else's
        let name = self.ctx.free_name(kind, base_name, &taken);
        taken.insert(name.clone());
        self.generated
            .entry(kind.to_string())
            .or_default()
            .insert(name.clone());
        let obj = build(&name, refs);
        let mut msg = format!(
            "Apply {kind}/{ns}/{name}: Existing configuration is copied from {origin_desc} {} to be enforced at the waypoint.",
            origin.ns_name()
        );
        if let Some(e) = extra {
            msg.push(' ');
            msg.push_str(&e);
        }
        let f = Finding::new(rule, msg)
            .on_node(origin, loc)
            .action(Action::Apply {
                resource: crate::finding::Object::new(&obj),
                reason: format!(
                    "{} {} copied to the waypoint",
                    origin.kind,
                    origin.ns_name()
                ),
            });
        self.ctx.emit(f);
        for t in targets {
            self.ctx
                .pending
                .entry(Target::svc(t))
                .or_default()
                .push(super::Pending {
                    item: format!("{kind}/{name}"),
                    origin: format!("{}/{}", origin.kind, origin.name),
                });
        }
    }
}

impl Gen<'_, '_> {
    /// Copies of a namespace-wide policy: to the waypoint Gateway when it serves only this
    /// namespace, else to this namespace's Services, 16 per copy (the targetRefs limit).
    /// `note_shared` explains the Service-targeted form in the finding instead of `extra`.
    #[allow(clippy::too_many_arguments)]
    fn copy_namespace_wide(
        &mut self,
        rule: &'static Rule,
        kind: &str,
        origin: &Arc<Resource>,
        origin_desc: &str,
        loc: crate::yaml::Span,
        wps: &[&Wp],
        build: &dyn Fn(&str, Vec<Value>) -> Value,
        extra: Option<String>,
        note_shared: bool,
    ) {
        let ns = self.ctx.ns().to_string();
        let mut groups: BTreeMap<(String, String), Vec<&Wp>> = BTreeMap::new();
        for wp in wps {
            groups
                .entry((wp.plan.ns.clone(), wp.plan.name.clone()))
                .or_default()
                .push(wp);
        }
        for ((wns, wname), members) in groups {
            let names: Vec<String> = members.iter().map(|w| w.name.clone()).collect();
            if wns == ns && !shared(self.ctx, &members[0].plan) {
                self.copy(
                    rule,
                    kind,
                    &format!("waypoint-{}", origin.name),
                    vec![fixes::target_ref_gateway(&wname)],
                    build,
                    origin,
                    origin_desc,
                    loc,
                    &names,
                    extra.clone(),
                );
                continue;
            }
            let chunk_extra = if note_shared {
                Some(format!("Waypoint \"{wns}/{wname}\" serves other namespaces too, so the copy targets this namespace's Services."))
            } else {
                extra.clone()
            };
            for (i, chunk) in names.chunks(16).enumerate() {
                let base = if i == 0 {
                    format!("waypoint-{}", origin.name)
                } else {
                    format!("waypoint-{}-{}", origin.name, i + 1)
                };
                self.copy(
                    rule,
                    kind,
                    &base,
                    chunk.iter().map(|n| fixes::target_ref_service(n)).collect(),
                    build,
                    origin,
                    origin_desc,
                    loc,
                    chunk,
                    chunk_extra.clone(),
                );
            }
        }
    }
}

fn ap_selector_span(r: &Resource, ap: &AuthorizationPolicy) -> crate::yaml::Span {
    ap.selector
        .as_ref()
        .map(|s| s.key_span)
        .unwrap_or(r.name_span)
}

/// E25: a Service-attached policy does not cover pod-addressed traffic, which is all the
/// traffic of a headless Service.
fn headless_caveat(ctx: &NsCtx, si: usize) -> Option<String> {
    let sv = &ctx.v.services[si];
    if !sv.svc().is_headless() {
        return None;
    }
    Some(format!(
        "Service \"{}\" is headless: its clients address the pods, and a Service-attached policy does not apply to pod-addressed traffic through a waypoint (istio/istio#56505). To enforce it, attach the copy to a waypoint dedicated to these pods (istio.io/waypoint-for: workload, enrolled with istio.io/use-waypoint on the pods) with targetRefs kind Gateway; attaching it to a shared waypoint would apply it to every service behind that waypoint.",
        sv.name()
    ))
}

/// E10: ports in copied rules are workload ports; warn when the Service maps them.
fn port_caveat(ctx: &NsCtx, ap: &AuthorizationPolicy, si: usize) -> Option<String> {
    let uses_ports = ap.rules.iter().any(|r| {
        r.to.iter().any(|o| {
            o.fields
                .iter()
                .any(|f| f.name == "ports" || f.name == "notPorts")
        }) || r.when.iter().any(|c| c.key == "destination.port")
    });
    if !uses_ports {
        return None;
    }
    let svc = ctx.v.services[si].svc();
    let mapped: Vec<String> = svc
        .ports
        .iter()
        .filter(|p| p.target_number() != Some(p.port))
        .map(|p| format!("{}→{}", p.port, p.target_port.clone().unwrap_or_default()))
        .collect();
    if mapped.is_empty() {
        return None;
    }
    Some(format!(
        "Its rules match ports, which Istio defines as workload (target) ports; Service \"{}\" maps {} — verify the port match at the waypoint.",
        ctx.v.services[si].res.name,
        mapped.join(", ")
    ))
}

fn authz(g: &mut Gen, wps: &[Wp]) {
    let ns = g.ctx.ns().to_string();
    let scoped = g.ctx.scoped_policies();
    // ---- P001 / P003(b): selector policies, one copy per waypointed service
    for (pol, root) in &scoped {
        let Body::AuthorizationPolicy(ap) = &pol.body else {
            continue;
        };
        if ap.selector.is_none() {
            continue;
        }
        let needs_copy = !l7_fields(ap).is_empty()
            || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit)
            || depends_on_source_identity(ap);
        if !needs_copy {
            continue;
        }
        let sel: Vec<usize> = g
            .ctx
            .selected(pol)
            .into_iter()
            .filter(|&u| g.ctx.unit(u).ambient_bound())
            .collect();
        if sel.is_empty() {
            continue;
        }
        for wp in wps {
            let svc_units: Vec<usize> = g.ctx.v.services[wp.si].units.clone();
            if !svc_units.iter().any(|u| sel.contains(u)) {
                continue;
            }
            if crate::analysis::authz::admits_only(ap, &identity(g.ctx, &wp.plan)) {
                continue;
            }
            let mut extra = Vec::new();
            let partial = svc_units
                .iter()
                .filter(|u| g.ctx.unit(**u).ambient_bound())
                .count()
                > svc_units.iter().filter(|u| sel.contains(u)).count();
            if partial {
                extra.push(format!(
                    "The original selects only some workloads of Service \"{}\"; the copy applies to all of them.",
                    wp.name
                ));
            }
            if let Some(c) = port_caveat(g.ctx, ap, wp.si) {
                extra.push(c);
            }
            if let Some(c) = headless_caveat(g.ctx, wp.si) {
                extra.push(c);
            }
            let (rule, desc) = if *root {
                (&rules::P003, "mesh-wide policy")
            } else {
                (&rules::P001, "policy")
            };
            let action = ap.action.as_str().to_string();
            let provider = ap.provider.clone();
            let rules = ap.rules_json.value();
            let ns2 = ns.clone();
            let build = move |name: &str, refs: Vec<Value>| {
                fixes::authz_copy(name, &ns2, refs, &action, provider.as_deref(), &rules)
            };
            g.copy(
                rule,
                "AuthorizationPolicy",
                &format!("{}-{}", wp.name, pol.name),
                vec![fixes::target_ref_service(&wp.name)],
                &build,
                pol,
                desc,
                ap_selector_span(pol, ap),
                std::slice::from_ref(&wp.name),
                if extra.is_empty() {
                    None
                } else {
                    Some(extra.join(" "))
                },
            );
        }
    }
    // ---- P002: namespace-wide policies of this namespace
    if !g.ctx.is_root() && !wps.is_empty() {
        for (pol, root) in &scoped {
            let Body::AuthorizationPolicy(ap) = &pol.body else {
                continue;
            };
            if *root || ap.selector.is_some() {
                continue;
            }
            let action = ap.action.as_str().to_string();
            let provider = ap.provider.clone();
            let rules = ap.rules_json.value();
            let ns2 = ns.clone();
            let build = move |name: &str, refs: Vec<Value>| {
                fixes::authz_copy(name, &ns2, refs, &action, provider.as_deref(), &rules)
            };
            let loc = if ap.has_spec {
                pol.name_span
            } else {
                ap.spec_span
            };
            let all: Vec<&Wp> = wps.iter().collect();
            g.copy_namespace_wide(
                &rules::P002,
                "AuthorizationPolicy",
                pol,
                "namespace policy",
                loc,
                &all,
                &build,
                None,
                true,
            );
        }
    }
    // ---- P004 / P005 per waypointed service
    let mut no_allow: Vec<String> = Vec::new();
    let mut p005_done: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut p006_done: BTreeSet<String> = BTreeSet::new();
    for wp in wps {
        let svc_res = g.ctx.v.services[wp.si].res.clone();
        let units: Vec<usize> = g.ctx.v.services[wp.si]
            .units
            .iter()
            .copied()
            .filter(|&u| g.ctx.unit(u).ambient_bound())
            .collect();
        if units.is_empty() {
            continue;
        }
        let id = identity(g.ctx, &wp.plan);
        let applying: Vec<(Arc<Resource>, bool)> = scoped
            .iter()
            .filter(|(p, _)| matches!(p.body, Body::AuthorizationPolicy(_)))
            .filter(|(p, _)| {
                let sel = g.ctx.selected(p);
                units.iter().any(|u| sel.contains(u))
            })
            .cloned()
            .collect();
        // P005: DENY policies that catch the waypoint
        for (p, _) in &applying {
            let Body::AuthorizationPolicy(ap) = &p.body else {
                continue;
            };
            if let Some((ri, m)) = deny_catches(ap, &id) {
                g.ctx
                    .blocked
                    .entry(Target::svc(&wp.name))
                    .or_default()
                    .push(format!("DENY policy {}", p.ns_name()));
                let key = (p.ns_name(), wp.plan.ns.clone(), wp.plan.name.clone());
                if !p005_done.insert(key) {
                    continue;
                }
                let span = ap.rules[ri]
                    .from
                    .first()
                    .map(|s| s.span)
                    .unwrap_or(ap.rules[ri].span);
                let sure = if m == Tri::Yes { "will" } else { "may" };
                let f = Finding::new(&rules::P005,
                    format!(
                        "AuthorizationPolicy \"{}\" denies sources other than those it lists; traffic relayed by waypoint \"{}\" carries identity {} and {} be denied at the workload. Add the waypoint to the exceptions (e.g. notPrincipals) and enforce the original check at the waypoint.",
                        p.ns_name(),
                        wp.plan.display(),
                        id.principal,
                        sure
                    ),
                )
                .on_node(p, span)
                .ns(ns.clone());
                g.ctx.emit(f);
            }
        }
        // P006: namespace / IP checks at the workload (policies of this namespace)
        for (p, root) in &applying {
            let Body::AuthorizationPolicy(ap) = &p.body else {
                continue;
            };
            if *root || !p006_done.insert(p.ns_name()) {
                continue;
            }
            let checks = namespace_or_ip_checks(ap);
            if checks.is_empty() {
                continue;
            }
            let mut fields: Vec<String> = Vec::new();
            for (n, _) in &checks {
                if !fields.contains(n) {
                    fields.push(n.clone());
                }
            }
            let f = Finding::new(&rules::P006,
                format!(
                    "\"{}\" checks the client's {} at the workload; behind a waypoint the peer is the waypoint (namespace \"{}\", its pod IP), so this check no longer sees the real client. Enforce it at the waypoint instead (the copy does).",
                    p.ns_name(),
                    fields.join(", "),
                    wp.plan.ns
                ),
            )
            .on_node(p, checks[0].1);
            g.ctx.emit(f);
        }
        // P004
        if g.ctx.facts.auto_allow_waypoint {
            continue;
        }
        let allows: Vec<&Arc<Resource>> = applying
            .iter()
            .filter(|(p, _)| matches!(&p.body, Body::AuthorizationPolicy(ap) if ap.action == AuthzAction::Allow))
            .map(|(p, _)| p)
            .collect();
        if allows.is_empty() {
            no_allow.push(wp.name.clone());
            continue;
        }
        let admitted = allows
            .iter()
            .any(|p| matches!(&p.body, Body::AuthorizationPolicy(ap) if allow_admits(ap, &id)));
        if admitted {
            continue;
        }
        let Some(selector) = g.ctx.v.services[wp.si].svc().selector.clone() else {
            continue;
        };
        let base = format!("{}-from-waypoint", wp.name);
        let gen = g
            .generated
            .get("AuthorizationPolicy")
            .cloned()
            .unwrap_or_default();
        let taken = taken(g.ctx, "AuthorizationPolicy", &gen);
        let name = g.ctx.free_name("AuthorizationPolicy", &base, &taken);
        g.generated
            .entry("AuthorizationPolicy".to_string())
            .or_default()
            .insert(name.clone());
        let obj = fixes::allow_from_waypoint(&name, &ns, &selector, &id.principal);
        let mut f = Finding::new(&rules::P004,
            format!(
                "Add AuthorizationPolicy/{}/{}: Service/{}/{} must allow traffic from its waypoint ({}).",
                ns, name, ns, wp.name, id.principal
            ),
        )
        .on_node(&svc_res, svc_res.name_span)
        .action(Action::Apply {
            resource: crate::finding::Object::new(&obj),
            reason: format!("Service {}/{} must allow traffic from waypoint {}", ns, wp.name, wp.plan.display()),
        });
        for p in &allows {
            let Body::AuthorizationPolicy(ap) = &p.body else {
                continue;
            };
            f = f.related(
                p,
                ap_selector_span(p, ap),
                "ALLOW policy that does not admit the waypoint",
            );
        }
        g.ctx.emit(f);
        g.ctx
            .pending
            .entry(Target::svc(&wp.name))
            .or_default()
            .push(super::Pending {
                item: format!("AuthorizationPolicy/{name}"),
                origin: String::new(),
            });
    }
    if !no_allow.is_empty() {
        let f = g.ctx.at_anchor(Finding::new(&rules::P004_NO_ALLOW_POLICY,
            format!(
                "No ALLOW policy applies to {} in \"{}\": traffic from the waypoint is already allowed. Once every client is ambient you can make the waypoint mandatory with an ALLOW policy that admits only its identity (plus explicit exceptions such as ingress gateways or Prometheus).",
                no_allow.iter().map(|s| format!("Service \"{s}\"")).collect::<Vec<_>>().join(", "),
                ns
            ),
        ));
        g.ctx.emit(f);
    }
}

/// P007, P008, P009: RequestAuthentication, Telemetry, WasmPlugin copies.
fn other_copies(g: &mut Gen, wps: &[Wp]) {
    let ns = g.ctx.ns().to_string();
    for (pol, root) in g.ctx.scoped_policies() {
        let (rule, kind_desc, spec, has_selector, extra): (
            &'static Rule,
            &str,
            Value,
            bool,
            Option<String>,
        ) = match &pol.body {
            Body::RequestAuthentication(ra) => (
                &rules::P007,
                "RequestAuthentication",
                ra.spec_json.value(),
                ra.selector.is_some(),
                if ra.forward_original_token {
                    None
                } else {
                    Some("The waypoint removes the JWT after validating it (forwardOriginalToken: false), so policies at the workload that check request.auth.* fail for relayed requests (the allow-from-waypoint policy covers them).".to_string())
                },
            ),
            Body::Telemetry(t) => {
                if t.selector.is_none() {
                    // root and namespace-wide Telemetry already apply to waypoints
                    continue;
                }
                (
                    &rules::P008,
                    "Telemetry",
                    t.spec_json.value(),
                    true,
                    if t.client_mode {
                        Some("Its match.mode CLIENT settings have no waypoint equivalent (waypoints report as the server).".to_string())
                    } else {
                        None
                    },
                )
            }
            Body::WasmPlugin(w) => (
                &rules::P009,
                "WasmPlugin",
                w.spec_json.value(),
                w.selector.is_some(),
                if w.client_mode {
                    Some("It matches mode CLIENT, which runs on the client sidecar's outbound path; the waypoint runs plugins on its server side.".to_string())
                } else {
                    None
                },
            ),
            _ => continue,
        };
        let sel: Vec<usize> = g
            .ctx
            .selected(&pol)
            .into_iter()
            .filter(|&u| g.ctx.unit(u).ambient_bound())
            .collect();
        let covered: Vec<&Wp> = wps
            .iter()
            .filter(|wp| {
                g.ctx.v.services[wp.si]
                    .units
                    .iter()
                    .any(|u| sel.contains(u))
            })
            .collect();
        if covered.is_empty() {
            continue;
        }
        let api_version = pol.api_version.clone();
        let kind = pol.kind.clone();
        let ns2 = ns.clone();
        let spec2 = spec.clone();
        let build = move |name: &str, refs: Vec<Value>| {
            fixes::spec_copy(&api_version, &kind, name, &ns2, &spec2, refs)
        };
        let loc = match &pol.body {
            Body::RequestAuthentication(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::Telemetry(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::WasmPlugin(p) => p.selector.as_ref().map(|s| s.key_span),
            _ => None,
        }
        .unwrap_or(pol.name_span);
        let desc = if root {
            format!("mesh-wide {kind_desc}")
        } else if has_selector {
            kind_desc.to_string()
        } else {
            format!("namespace {kind_desc}")
        };
        if has_selector || root {
            for wp in covered {
                g.copy(
                    rule,
                    &pol.kind,
                    &format!("{}-{}", wp.name, pol.name),
                    vec![fixes::target_ref_service(&wp.name)],
                    &build,
                    &pol,
                    &desc,
                    loc,
                    std::slice::from_ref(&wp.name),
                    extra.clone(),
                );
            }
        } else {
            g.copy_namespace_wide(
                rule, &pol.kind, &pol, &desc, loc, &covered, &build, extra, false,
            );
        }
    }
}

/// P010: EnvoyFilters need a manual port.
fn envoy_filters(ctx: &mut NsCtx) {
    let wp_name = ctx
        .ns_waypoint
        .as_ref()
        .map(|w| w.name.clone())
        .unwrap_or_else(|| ctx.opts.waypoint_name.clone());
    for r in ctx.v.resources.clone() {
        let Body::EnvoyFilter(ef) = &r.body else {
            continue;
        };
        if !ef.target_refs.is_empty() {
            // E24: EnvoyFilters are matched per proxy, without service context; only
            // Gateway/GatewayClass targetRefs bind (catalog §6 item 2)
            if let Some(t) = ef
                .target_refs
                .iter()
                .find(|t| !matches!(t.kind.as_str(), "Gateway" | "GatewayClass"))
            {
                let f = Finding::new(&rules::P010,
                    format!(
                        "EnvoyFilter \"{}\" targets {} \"{}\": EnvoyFilters are matched per proxy without service context, so only Gateway/GatewayClass targetRefs bind and this one applies to nothing. To target the waypoint use targetRefs: [{{kind: Gateway, group: gateway.networking.k8s.io, name: {wp_name}}}] with patch context SIDECAR_INBOUND. Officially unsupported; consider a WasmPlugin.",
                        r.ns_name(),
                        t.kind,
                        t.name
                    ),
                )
                .on_node(&r, t.span);
                ctx.emit(f);
            }
            continue;
        }
        let sidecar_ctx = ef.contexts.is_empty()
            || ef
                .contexts
                .iter()
                .any(|c| matches!(c.as_str(), "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND" | "ANY"));
        if !sidecar_ctx {
            continue;
        }
        let applies = match &ef.workload_selector {
            Some(s) => ctx
                .v
                .select(Some(&s.labels))
                .iter()
                .any(|&u| ctx.unit(u).ambient_bound()),
            None => !ctx.v.mode.system || ctx.is_root(),
        };
        if !applies {
            continue;
        }
        let target = if ctx.is_root() {
            "targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}] in the root namespace".to_string()
        } else {
            format!("targetRefs: [{{kind: Gateway, group: gateway.networking.k8s.io, name: {wp_name}}}] in namespace \"{}\"", ctx.ns())
        };
        let f = Finding::new(&rules::P010,
            format!(
                "EnvoyFilter \"{}\" cannot be translated automatically. To target a waypoint it needs {}, patch context SIDECAR_INBOUND, and listener/cluster matches rewritten for waypoint listener names. Officially unsupported; consider a WasmPlugin.",
                r.ns_name(),
                target
            ),
        )
        .on_node(&r, ef.workload_selector.as_ref().map(|s| s.key_span).or(ef.patches_span).unwrap_or(r.name_span));
        ctx.emit(f);
    }
}

/// P011: Sidecar resources stop applying.
fn sidecar_resources(ctx: &mut NsCtx) {
    for r in ctx.v.resources.clone() {
        let Body::Sidecar(sc) = &r.body else { continue };
        let units: Vec<usize> = ctx
            .v
            .select(sc.workload_selector.as_ref().map(|s| &s.labels))
            .into_iter()
            .filter(|&u| ctx.unit(u).ambient_bound())
            .collect();
        if units.is_empty() && !ctx.is_root() {
            continue;
        }
        let mut items: Vec<(Severity, String)> = Vec::new();
        if !sc.egress_hosts.is_empty() {
            items.push((
                Severity::Info,
                "Configuration scoping is detected. Typically, this is used for scalability purposes, which is not necessary with ambient.".to_string(),
            ));
        }
        if let Some(m) = &sc.outbound_mode {
            if m.value == "REGISTRY_ONLY" {
                items.push((
                    Severity::Warning,
                    "Outbound restriction (outboundTrafficPolicy REGISTRY_ONLY) is not enforced in ambient: ztunnel passes unknown destinations through. Use an egress waypoint plus NetworkPolicy/AuthorizationPolicy.".to_string(),
                ));
            }
        }
        if sc.egress_proxy.is_some() {
            items.push((
                Severity::Warning,
                "egressProxy is not enforced in ambient; use an egress waypoint.".to_string(),
            ));
        }
        if sc.ingress.is_some() {
            items.push((
                Severity::Warning,
                "Custom ingress listeners (ingress) are not applicable in ambient.".to_string(),
            ));
        }
        if sc.inbound_connection_pool.is_some() {
            items.push((
                Severity::Warning,
                "inboundConnectionPool is not applicable in ambient.".to_string(),
            ));
        }
        if items.is_empty() {
            continue;
        }
        let rule = if items.iter().any(|(s, _)| *s == Severity::Warning) {
            &rules::P011
        } else {
            &rules::P011_SCOPING_ONLY
        };
        let f = Finding::new(
            rule,
            format!(
                "Sidecar/{}/{} will be removed in a later step: Found unsupported configurations:",
                r.namespace, r.name
            ),
        )
        .on_node(
            &r,
            sc.workload_selector
                .as_ref()
                .map(|s| s.key_span)
                .or(sc.egress_span)
                .unwrap_or(r.name_span),
        )
        .details(items.into_iter().map(|(_, m)| m));
        ctx.emit(f);
    }
}

/// P012: PeerAuthentication differences.
fn peer_authn(ctx: &mut NsCtx) {
    for (r, root) in ctx.scoped_policies() {
        let Body::PeerAuthentication(pa) = &r.body else {
            continue;
        };
        if root && r.namespace != ctx.ns() {
            continue; // root policies are reported once, by the root namespace
        }
        if root && pa.selector.is_some() {
            ctx.emit(
                Finding::new(&rules::P012_ROOT_SELECTOR,
                    format!("PeerAuthentication \"{}\" has a selector in the root namespace; the ztunnel conversion ignores it.", r.ns_name()),
                )
                .on_node(&r, pa.selector.as_ref().map(|s| s.key_span).unwrap_or(r.name_span)),
            );
        }
        let disable = pa
            .mode
            .as_ref()
            .filter(|m| m.value == "DISABLE")
            .map(|m| m.span)
            .or_else(|| {
                pa.port_level
                    .iter()
                    .find(|(_, m, _)| m == "DISABLE")
                    .map(|(_, _, s)| *s)
            });
        let Some(span) = disable else { continue };
        let applies = root
            || ctx
                .selected(&r)
                .iter()
                .any(|&u| ctx.unit(u).ambient_bound());
        if !applies {
            continue;
        }
        ctx.emit(
            Finding::new(&rules::P012,
                format!(
                    "PeerAuthentication \"{}\": mTLS cannot be disabled for ambient workloads; DISABLE is treated like PERMISSIVE (plaintext accepted inbound, HBONE still used between mesh pods).",
                    r.ns_name()
                ),
            )
            .on_node(&r, span),
        );
    }
}

const TRAFFIC_ANNOTATIONS: &[&str] = &[
    "traffic.sidecar.istio.io/includeInboundPorts",
    "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/includeOutboundPorts",
    "traffic.sidecar.istio.io/excludeOutboundPorts",
    "traffic.sidecar.istio.io/includeOutboundIPRanges",
    "traffic.sidecar.istio.io/excludeOutboundIPRanges",
    "traffic.sidecar.istio.io/excludeInterfaces",
    "traffic.sidecar.istio.io/kubevirtInterfaces",
];

fn proxy_only(key: &str) -> bool {
    key == "sidecar.istio.io/interceptionMode"
        || key == "proxy.istio.io/config"
        || key == "sidecar.istio.io/rewriteAppHTTPProbers"
        || key == "prometheus.istio.io/merge-metrics"
        || key.starts_with("sidecar.istio.io/proxyCPU")
        || key.starts_with("sidecar.istio.io/proxyMemory")
        || key == "sidecar.istio.io/logLevel"
        || key == "sidecar.istio.io/componentLogLevel"
        || key == "sidecar.istio.io/agentLogLevel"
        || key.starts_with("sidecar.istio.io/statsInclusion")
        || key == "sidecar.istio.io/proxyImage"
        || key == "sidecar.istio.io/bootstrapOverride"
}

/// P013: annotations and ProxyConfig that only mean something to an Envoy in the pod.
fn annotations(ctx: &mut NsCtx) {
    for u in ctx.v.units.clone() {
        if !u.ambient_bound() || u.res.is_none() {
            continue;
        }
        let traffic: Vec<String> = u
            .annotations
            .iter()
            .filter(|(k, _)| TRAFFIC_ANNOTATIONS.contains(k))
            .map(|(k, _)| k.to_string())
            .collect();
        let other: Vec<String> = u
            .annotations
            .iter()
            .filter(|(k, _)| proxy_only(k))
            .map(|(k, _)| k.to_string())
            .collect();
        if traffic.is_empty() && other.is_empty() {
            continue;
        }
        let r = u.res.clone().unwrap();
        let Body::Workload(w) = &r.body else { continue };
        let span = w.annotations_span.unwrap_or(w.pod_meta_span);
        let mut parts = Vec::new();
        if !traffic.is_empty() {
            parts.push(format!(
                "{} lose their meaning (excluded inbound ports become captured by ztunnel, excluded outbound ports/CIDRs now go through ztunnel; ambient only has ambient.istio.io/bypass-inbound-capture and ambient.istio.io/dns-capture)",
                traffic.join(", ")
            ));
        }
        if !other.is_empty() {
            parts.push(format!(
                "{} only configure a sidecar and have no effect without one",
                other.join(", ")
            ));
        }
        let rule = if traffic.is_empty() {
            &rules::P013_PROXY_ONLY
        } else {
            &rules::P013
        };
        let f =
            Finding::new(rule, format!("{}: {}.", u.display(), parts.join("; "))).on_node(&r, span);
        ctx.emit(f);
    }
    for r in ctx.v.resources.clone() {
        let Body::ProxyConfig(pc) = &r.body else {
            continue;
        };
        let units: Vec<usize> = ctx
            .v
            .select(pc.selector.as_ref().map(|s| &s.labels))
            .into_iter()
            .filter(|&u| ctx.unit(u).ambient_bound())
            .collect();
        if units.is_empty() {
            continue;
        }
        let names: Vec<String> = units.iter().map(|&u| ctx.unit(u).short()).collect();
        ctx.emit(
            Finding::new(&rules::P013_PROXY_ONLY,
                format!("ProxyConfig \"{}\" configures the proxies of {}; ztunnel does not read ProxyConfig, it has no effect once they are ambient.", r.ns_name(), workloads_list(&names)),
            )
            .on_node(&r, pc.selector.as_ref().map(|s| s.key_span).unwrap_or(r.name_span)),
        );
    }
}

/// P019: VirtualService and HTTPRoute for the same service.
fn mixed_apis(ctx: &mut NsCtx) {
    for (t, reasons) in ctx.reasons.clone() {
        if t.kind != TargetKind::Service {
            continue;
        }
        let vs: Vec<&String> = reasons
            .iter()
            .filter(|r| r.rule.id == rules::W001.id || r.rule.id == rules::W002.id)
            .map(|r| &r.what)
            .collect();
        let routes: Vec<&String> = reasons
            .iter()
            .filter(|r| {
                r.rule.id == rules::W016.id
                    && (r.what.starts_with("HTTPRoute") || r.what.starts_with("GRPCRoute"))
            })
            .map(|r| &r.what)
            .collect();
        if vs.is_empty() || routes.is_empty() {
            continue;
        }
        let Some((_, sv)) = ctx.v.service(&t.name) else {
            continue;
        };
        let res = sv.res.clone();
        ctx.emit(
            Finding::new(&rules::P019,
                format!(
                    "Mixing VirtualService and HTTPRoute for \"{}\" is unsupported in ambient (undefined behaviour): {} and {}. Keep one API.",
                    res.ns_name(),
                    vs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    routes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
            .on_node(&res, res.name_span),
        );
    }
}

/// P015: ingress gateway routes to a service that gets a waypoint. Ingress gateways send
/// straight to the pods unless `istio.io/ingress-use-waypoint=true` (catalog E17).
fn ingress(ctx: &mut NsCtx, wps: &[Wp]) {
    if wps.is_empty() {
        return;
    }
    let domain = ctx.facts.dns_domain.clone();
    let ns = ctx.ns().to_string();
    let ns_opt_in = ctx.v.mode.label("istio.io/ingress-use-waypoint") == Some("true");
    let vss = super::waypoints::cross_ns(ctx, "VirtualService", &[]);
    let mut routes = super::waypoints::cross_ns(ctx, "HTTPRoute", &[]);
    routes.extend(super::waypoints::cross_ns(ctx, "GRPCRoute", &[]));
    for wp in wps {
        let sv = &ctx.v.services[wp.si];
        let svc_res = sv.res.clone();
        let fqdn = sv.fqdn.clone();
        if ns_opt_in || svc_res.labels.get("istio.io/ingress-use-waypoint") == Some("true") {
            continue;
        }
        let mut via: Vec<(Arc<Resource>, crate::yaml::Span)> = Vec::new();
        for vsr in &vss {
            let Body::VirtualService(vs) = &vsr.body else {
                continue;
            };
            let Some(g) = &vs.gateways else { continue };
            if !g.value.iter().any(|x| x != "mesh") {
                continue;
            }
            let dests = vs
                .http
                .iter()
                .flat_map(|r| r.destinations.iter())
                .chain(vs.tcp.iter().flat_map(|r| r.destinations.iter()))
                .chain(vs.tls.iter().flat_map(|r| r.destinations.iter()));
            if let Some(d) = dests
                .into_iter()
                .find(|d| normalize_host(&d.host, &vsr.namespace, &domain) == fqdn)
            {
                via.push((vsr.clone(), d.span));
            }
        }
        for rr in &routes {
            let Body::Route(route) = &rr.body else {
                continue;
            };
            let ingress_parent = route.parent_refs.iter().any(|p| {
                p.r.kind == "Gateway" && p.r.group == "gateway.networking.k8s.io" && {
                    let pns = p.r.namespace.as_deref().unwrap_or(&rr.namespace);
                    // a parent Gateway that is a waypoint is not an ingress
                    !ctx.index
                        .find("gateway.networking.k8s.io", "Gateway", pns, &p.r.name)
                        .is_some_and(|g| matches!(&g.body, Body::Gateway(gw) if gw.is_waypoint()))
                }
            });
            if !ingress_parent {
                continue;
            }
            if let Some(b) = route.backend_refs.iter().find(|b| {
                (b.kind.is_empty() || b.kind == "Service")
                    && b.name == svc_res.name
                    && b.namespace.as_deref().unwrap_or(&rr.namespace) == ns
            }) {
                via.push((rr.clone(), b.span));
            }
        }
        let Some((first, span)) = via.first().cloned() else {
            continue;
        };
        let names: Vec<String> = via.iter().map(|(r, _)| quoted(r)).collect();
        let mut f = Finding::new(&rules::P015,
            format!(
                "Ingress traffic to \"{}\" ({}) goes straight to the pods and skips waypoint \"{}\" unless the Service or Namespace has istio.io/ingress-use-waypoint=true: the waypoint copies of policies will not apply to it, and once the original policies are removed, \"{}-from-waypoint\" will block the gateway.",
                svc_res.ns_name(),
                names.join(", "),
                format_args!("{}/{}", wp.plan.ns, wp.plan.name),
                svc_res.name
            ),
        )
        .on_node(&first, span)
        .ns(ns.clone())
        .related(&svc_res, svc_res.name_span, "the service behind the ingress route")
        .action(super::use_waypoints::label_action(
            "Service",
            &ns,
            &svc_res.name,
            &[("istio.io/ingress-use-waypoint", "true".to_string())],
            format!(
                "kubectl label service -n {ns} {} istio.io/ingress-use-waypoint=true",
                svc_res.name
            ),
        ));
        for (r, s) in via.iter().skip(1) {
            f = f.related(r, *s, "another ingress route to the service");
        }
        ctx.emit(f);
    }
}

/// The principals of a policy that ztunnel will compare literally, where Envoy would have
/// expanded the trust domain (`pilot/pkg/security/trustdomain/bundle.go`
/// `ReplaceTrustDomainAliases`: `cluster.local` and the mesh trust domain and its aliases).
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

/// P016 (principals that rely on trust-domain alias expansion) and P017 (dry-run policies):
/// policies that stay enforced by ztunnel for ambient workloads.
fn ztunnel_semantics(ctx: &mut NsCtx) {
    let mesh_td = ctx.facts.trust_domain.clone();
    let aliases = ctx.facts.mesh.trust_domain_aliases.clone();
    for (r, root) in ctx.scoped_policies() {
        let Body::AuthorizationPolicy(ap) = &r.body else {
            continue;
        };
        if root && r.namespace != ctx.ns() {
            continue; // reported once, in the root namespace
        }
        let applies = if root {
            true
        } else {
            let sel = ctx.selected(&r);
            sel.iter().any(|&u| ctx.unit(u).ambient_bound())
        };
        if !applies {
            continue;
        }
        if r.annotations
            .get("istio.io/dry-run")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            ctx.emit(
                Finding::new(&rules::P017,
                    format!(
                        "AuthorizationPolicy \"{}\" is a dry-run policy. ztunnel support for dry-run policies exists only from Istio 1.29, behind AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY (earlier conversions may enforce it); verify how your version treats it before removing sidecars.",
                        r.ns_name()
                    ),
                )
                .on_node(
                    &r,
                    r.annotations
                        .entry("istio.io/dry-run")
                        .map(|l| l.key_span)
                        .unwrap_or(r.name_span),
                ),
            );
        }
        for rule in &ap.rules {
            let mut found: Vec<(String, crate::yaml::Span)> = Vec::new();
            for s in &rule.from {
                for f in &s.fields {
                    if f.name == "principals" || f.name == "notPrincipals" {
                        for v in &f.values {
                            if alias_dependent(v, &mesh_td, &aliases) {
                                found.push((v.clone(), f.span));
                            }
                        }
                    }
                }
            }
            for c in &rule.when {
                if c.key == "source.principal" {
                    for v in c.values.iter().chain(&c.not_values) {
                        if alias_dependent(v, &mesh_td, &aliases) {
                            found.push((v.clone(), c.span));
                        }
                    }
                }
            }
            for (p, span) in found {
                ctx.emit(
                    Finding::new(&rules::P016,
                        format!(
                            "Principal \"{p}\" in AuthorizationPolicy \"{}\" relies on Envoy's trust-domain expansion (mesh trust domain \"{mesh_td}\"{}); ztunnel compares principals literally and will not match it. Write it with the actual trust domain, or use serviceAccounts (1.25+).",
                            r.ns_name(),
                            if aliases.is_empty() {
                                String::new()
                            } else {
                                format!(", aliases {}", aliases.join(", "))
                            }
                        ),
                    )
                    .on_node(&r, span),
                );
            }
        }
    }
}

/// The root namespace: its Sidecar and PeerAuthentication resources apply mesh-wide.
pub fn root(ctx: &mut NsCtx) {
    ztunnel_semantics(ctx);
    sidecar_resources(ctx);
    peer_authn(ctx);
}

pub fn run(ctx: &mut NsCtx) {
    let wps = waypointed(ctx);
    {
        let mut g = Gen {
            ctx,
            generated: BTreeMap::new(),
        };
        authz(&mut g, &wps);
        other_copies(&mut g, &wps);
    }
    ingress(ctx, &wps);
    ztunnel_semantics(ctx);
    envoy_filters(ctx);
    sidecar_resources(ctx);
    peer_authn(ctx);
    annotations(ctx);
    mixed_apis(ctx);
}

/// P003(a) and the root part of P007/P009: mesh-wide policies without selector are copied once
/// to every waypoint through GatewayClass istio-waypoint, when any waypoint is planned.
pub fn global(g: &Global, out: &mut Vec<Finding>) {
    if !g.results.values().any(|r| r.summary.has_waypoint) {
        return;
    }
    let root = g.facts.root_ns.clone();
    let root_res: Vec<Arc<Resource>> = g.facts.root_resources.clone();
    let mut taken: BTreeSet<String> = root_res
        .iter()
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect();
    for r in &root_res {
        let (rule, spec_obj): (&'static Rule, Option<Value>) = match &r.body {
            Body::AuthorizationPolicy(ap) if ap.selector.is_none() && ap.target_refs.is_empty() => {
                (
                    &rules::P003,
                    Some(fixes::authz_copy(
                        "",
                        &root,
                        vec![fixes::target_ref_waypoint_class()],
                        ap.action.as_str(),
                        ap.provider.as_deref(),
                        &ap.rules_json.value(),
                    )),
                )
            }
            Body::RequestAuthentication(ra)
                if ra.selector.is_none() && ra.target_refs.is_empty() =>
            {
                (
                    &rules::P007,
                    Some(fixes::spec_copy(
                        &r.api_version,
                        &r.kind,
                        "",
                        &root,
                        &ra.spec_json.value(),
                        vec![fixes::target_ref_waypoint_class()],
                    )),
                )
            }
            Body::WasmPlugin(w) if w.selector.is_none() && w.target_refs.is_empty() => (
                &rules::P009,
                Some(fixes::spec_copy(
                    &r.api_version,
                    &r.kind,
                    "",
                    &root,
                    &w.spec_json.value(),
                    vec![fixes::target_ref_waypoint_class()],
                )),
            ),
            _ => continue,
        };
        let Some(mut obj) = spec_obj else { continue };
        // already copied? (an object of the same kind in the root namespace targeting the class)
        let want_spec = obj.get("spec").cloned().unwrap_or(Value::Null);
        let exists = root_res.iter().any(|o| {
            o.kind == r.kind
                && match &o.body {
                    Body::AuthorizationPolicy(p) => {
                        p.target_refs.iter().any(|t| t.is_gateway_class())
                            && want_spec.get("rules").cloned().unwrap_or(Value::Null)
                                == p.rules_json.value()
                            && want_spec.get("action").and_then(|a| a.as_str())
                                == Some(p.action.as_str())
                    }
                    Body::RequestAuthentication(p) => {
                        p.target_refs.iter().any(|t| t.is_gateway_class())
                            && strip(&p.spec_json.value()) == strip(&want_spec)
                    }
                    Body::WasmPlugin(p) => {
                        p.target_refs.iter().any(|t| t.is_gateway_class())
                            && strip(&p.spec_json.value()) == strip(&want_spec)
                    }
                    _ => false,
                }
        });
        if exists {
            continue;
        }
        let mut name = fixes::k8s_name(&format!("waypoint-{}", r.name));
        let mut i = 2;
        while taken.contains(&format!("{}/{}", r.kind, name)) {
            name = fixes::k8s_name(&format!("waypoint-{}-{}", r.name, i));
            i += 1;
        }
        taken.insert(format!("{}/{}", r.kind, name));
        obj["metadata"]["name"] = Value::String(name.clone());
        let f = Finding::new(
            rule,
            format!(
                "Apply {}/{}/{}: Existing configuration is copied from mesh-wide {} {} to be enforced at every waypoint (targetRefs GatewayClass istio-waypoint, Istio 1.25+).",
                r.kind,
                root,
                name,
                r.kind,
                r.ns_name()
            ),
        )
        .on_node(r, r.name_span)
        .action(Action::Apply {
            resource: crate::finding::Object::new(&obj),
            reason: format!("{} {} copied to every waypoint", r.kind, r.ns_name()),
        });
        out.push(f);
    }
    let _ = quoted;
}
