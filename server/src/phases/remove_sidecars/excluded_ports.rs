//! R010: inbound ports a sidecar left alone become captured. `traffic.sidecar.istio.io/
//! excludeInboundPorts` kept those ports out of the sidecar's iptables redirection
//! (`tools/istio-iptables`), so plaintext callers reached them even under STRICT mTLS. ztunnel
//! captures every inbound port of an ambient pod (the only opt-out is
//! `ambient.istio.io/bypass-inbound-capture`, all inbound, `cni/pkg/iptables/iptables.go`), and a
//! STRICT PeerAuthentication makes it refuse plaintext on them. The fix keeps STRICT and opens
//! exactly those ports: a PeerAuthentication with `portLevelMtls: {<port>: PERMISSIVE}` (ztunnel
//! honours port-level modes of selector policies, `pilot/pkg/serviceregistry/kube/controller/
//! ambient/authorization.go` `convertPeerAuthentication`).
//!
//! The effective mode is Istio's: the workload's selector PeerAuthentication, else its
//! namespace's, else the root namespace's; `UNSET` inherits; default PERMISSIVE.

use crate::analysis::mesh::injection_request;
use crate::analysis::NsCtx;
use crate::finding::{Action, Finding, Object};
use crate::model::{Body, PeerAuthentication, Resource};
use crate::rules;
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn pas(ctx: &NsCtx, ns: &str) -> Vec<(Arc<Resource>, PeerAuthentication)> {
    let mut v: Vec<(Arc<Resource>, PeerAuthentication)> = ctx
        .index
        .ns(ns)
        .filter_map(|r| match &r.body {
            Body::PeerAuthentication(p) => Some((r.clone(), (**p).clone())),
            _ => None,
        })
        .collect();
    v.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    v
}

fn mode_of(p: &PeerAuthentication) -> Option<&str> {
    p.mode
        .as_ref()
        .map(|m| m.value.as_str())
        .filter(|m| *m != "UNSET")
}

pub fn namespace(ctx: &mut NsCtx) {
    let switches = ctx.view.mode.switches(ctx.facts) && !ctx.view.mode.ambient;
    let ns = ctx.ns().to_string();
    let own = pas(ctx, &ns);
    let root = if ctx.is_root() {
        Vec::new()
    } else {
        pas(ctx, &ctx.facts.root_ns.clone())
    };
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u).clone();
        if !unit.has_sidecar() || !unit.ambient_bound() {
            continue;
        }
        let (Some(r), Some(c)) = (&unit.res, &unit.controller) else {
            continue;
        };
        let Body::Workload(w) = &r.body else { continue };
        if !switches && injection_request(w).is_none() {
            continue;
        }
        if w.pod_annotations
            .get("ambient.istio.io/bypass-inbound-capture")
            == Some("true")
        {
            continue;
        }
        let Some(ann) = w
            .pod_annotations
            .entry("traffic.sidecar.istio.io/excludeInboundPorts")
        else {
            continue;
        };
        let ports: Vec<u32> = ann
            .value
            .split(',')
            .filter_map(|p| p.trim().parse::<u32>().ok())
            .filter(|p| (1..=65535).contains(p))
            .collect();
        if ports.is_empty() {
            continue;
        }
        let selected = own.iter().find(|(_, p)| {
            p.selector
                .as_ref()
                .is_some_and(|s| s.labels.subset_of(&unit.labels))
        });
        let ns_wide = own
            .iter()
            .find(|(_, p)| p.selector.is_none())
            .and_then(|(_, p)| mode_of(p));
        let root_wide = root
            .iter()
            .find(|(_, p)| p.selector.is_none())
            .and_then(|(_, p)| mode_of(p));
        let mode = selected
            .and_then(|(_, p)| mode_of(p))
            .or(ns_wide)
            .or(root_wide)
            .unwrap_or("PERMISSIVE");
        // ports a port-level mode of the workload's own policy already opens
        let open = |port: &u32| {
            selected.is_some_and(|(_, p)| {
                p.port_level
                    .iter()
                    .any(|(pp, m, _)| pp == &port.to_string() && m != "STRICT")
            })
        };
        let ports: Vec<u32> = ports.into_iter().filter(|p| !open(p)).collect();
        if mode != "STRICT" || ports.is_empty() {
            continue;
        }
        let list = ports
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let msg = format!(
            "Port(s) {list} of \"{}\" were outside the sidecar (traffic.sidecar.istio.io/excludeInboundPorts); under ambient ztunnel captures them and STRICT mTLS will reject plaintext callers (node agents, health checkers, out-of-mesh clients).",
            unit.short()
        );
        let mut f = Finding::new(&rules::R010, msg).on_node(r, ann.key_span.cover(ann.value_span));
        match selected {
            Some((pa, _)) => {
                f = f.detail(format!(
                    "add portLevelMtls {{{}}} with mode PERMISSIVE to PeerAuthentication {}/{}, which selects it, before its sidecar is removed (or annotate the pod template with ambient.istio.io/bypass-inbound-capture: \"true\" to leave all its inbound traffic uncaptured)",
                    list, pa.namespace, pa.name
                ));
            }
            None => {
                let name =
                    ctx.generate_name("PeerAuthentication", &format!("{}-plaintext-ports", c.name));
                let mut port_level = Map::new();
                for p in &ports {
                    port_level.insert(p.to_string(), json!({"mode": "PERMISSIVE"}));
                }
                let obj = json!({
                    "apiVersion": "security.istio.io/v1",
                    "kind": "PeerAuthentication",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {
                        "selector": {"matchLabels": selector_labels(&unit.labels)},
                        "mtls": {"mode": "STRICT"},
                        "portLevelMtls": Value::Object(port_level),
                    }
                });
                f = f
                    .detail(format!("apply PeerAuthentication {ns}/{name} (recommended-policies.yaml) before the sidecars are removed: STRICT, with the port(s) PERMISSIVE (or annotate the pod template with ambient.istio.io/bypass-inbound-capture: \"true\")"))
                    .action(Action::Apply {
                        resource: Object::new(&obj),
                        reason: format!("keep plaintext working on the formerly excluded ports of {}", unit.short()),
                    });
            }
        }
        ctx.emit(f);
    }
}

/// The pod labels that select the workload (without the per-ReplicaSet hash).
fn selector_labels(labels: &crate::model::Labels) -> Value {
    let mut v = labels.to_json();
    if let Value::Object(m) = &mut v {
        m.remove("pod-template-hash");
    }
    v
}
