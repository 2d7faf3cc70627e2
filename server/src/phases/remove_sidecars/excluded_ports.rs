//! R010: inbound ports a sidecar left alone become captured. `traffic.sidecar.istio.io/
//! excludeInboundPorts` kept those ports out of the sidecar's iptables redirection, and
//! `traffic.sidecar.istio.io/includeInboundPorts` other than `*` (the injection template passes
//! it as istio-iptables `-b`; `tools/istio-iptables/pkg/capture/run.go`
//! `handleInboundPortsInclude`: `*` redirects every port, a list only those, an empty value
//! none) left every port it does not list alone, so plaintext callers reached them even under
//! STRICT mTLS. The ports not listed are known from the Services in front of the workload (their
//! numeric target ports); with an empty value and no such port, the finding says so without a
//! port list. ztunnel
//! captures every inbound port of an ambient pod (the only opt-out is
//! `ambient.istio.io/bypass-inbound-capture`, all inbound, `cni/pkg/iptables/iptables.go`), and a
//! STRICT PeerAuthentication makes it refuse plaintext on them. The fix keeps STRICT and opens
//! exactly those ports: a PeerAuthentication with `portLevelMtls: {<port>: PERMISSIVE}` (ztunnel
//! honours port-level modes of selector policies, `pilot/pkg/serviceregistry/kube/controller/
//! ambient/authorization.go` `convertPeerAuthentication`).
//!
//! The effective mode, port by port, is Istio's (`analysis::peer_authn::effective_mtls`, shared
//! with U010): a port whose effective mode is not STRICT is not reported.

use crate::analysis::mesh::injection_request;
use crate::analysis::peer_authn::effective_mtls;
use crate::analysis::NsCtx;
use crate::finding::{Action, Finding, Object};
use crate::model::Body;
use crate::rules;
use serde_json::{json, Map, Value};

const EXCLUDE: &str = "traffic.sidecar.istio.io/excludeInboundPorts";
const INCLUDE: &str = "traffic.sidecar.istio.io/includeInboundPorts";

fn port_list(v: &str) -> Vec<u32> {
    v.split(',')
        .filter_map(|p| p.trim().parse::<u32>().ok())
        .filter(|p| (1..=65535).contains(p))
        .collect()
}

pub fn namespace(ctx: &mut NsCtx) {
    let switches = ctx.view.mode.switches(ctx.facts) && !ctx.view.mode.ambient;
    let ns = ctx.ns().to_string();
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
        let excluded = w.pod_annotations.entry(EXCLUDE);
        let included = w
            .pod_annotations
            .entry(INCLUDE)
            .filter(|a| a.value.trim() != "*");
        if excluded.is_none() && included.is_none() {
            continue;
        }
        // the ports the sidecar never captured
        let mut ports: Vec<u32> = excluded.map(|a| port_list(&a.value)).unwrap_or_default();
        let mut none_captured = false;
        if let Some(inc) = included {
            let listed = port_list(&inc.value);
            none_captured = inc.value.trim().is_empty();
            let targets = ctx
                .view
                .services
                .iter()
                .filter(|sv| sv.units.contains(&u))
                .flat_map(|sv| sv.svc().ports.iter())
                .filter_map(|p| p.target_number())
                .filter_map(|p| u32::try_from(p).ok())
                .filter(|p| (1..=65535).contains(p));
            for p in targets {
                if !listed.contains(&p) {
                    ports.push(p);
                }
            }
        }
        ports.sort_unstable();
        ports.dedup();
        let mtls = effective_mtls(ctx, u);
        // ports that ztunnel will hold to STRICT (a port-level mode of the workload's own
        // policy may already open one)
        let ports: Vec<u32> = ports
            .into_iter()
            .filter(|p| mtls.port_mode(*p) == "STRICT")
            .collect();
        let all_unlisted = none_captured && ports.is_empty() && mtls.mode == "STRICT";
        if ports.is_empty() && !all_unlisted {
            continue;
        }
        // where: the annotation that names ports, else the other one
        let Some(ann) = excluded
            .filter(|a| !port_list(&a.value).is_empty())
            .or(included)
            .or(excluded)
        else {
            continue;
        };
        let why = match (excluded.is_some(), included) {
            (_, Some(i)) if i.value.trim().is_empty() => "traffic.sidecar.istio.io/includeInboundPorts is empty: no inbound port went through the sidecar".to_string(),
            (true, Some(i)) => format!("traffic.sidecar.istio.io/excludeInboundPorts, or not in traffic.sidecar.istio.io/includeInboundPorts \"{}\"", i.value.trim()),
            (false, Some(i)) => format!("not in traffic.sidecar.istio.io/includeInboundPorts \"{}\"", i.value.trim()),
            (_, None) => "traffic.sidecar.istio.io/excludeInboundPorts".to_string(),
        };
        if all_unlisted {
            let msg = format!(
                "No inbound port of \"{}\" went through the sidecar ({why}); under ambient ztunnel captures every one and STRICT mTLS will reject plaintext callers (node agents, health checkers, out-of-mesh clients).",
                unit.short()
            );
            let f = Finding::new(&rules::R010, msg)
                .on_node(r, ann.key_span.cover(ann.value_span))
                .detail("its ports are not known from a Service: list them PERMISSIVE in portLevelMtls of a PeerAuthentication that selects it before its sidecar is removed, or annotate the pod template with ambient.istio.io/bypass-inbound-capture: \"true\" to leave all its inbound traffic uncaptured");
            ctx.emit(f);
            continue;
        }
        let list = ports
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let msg = format!(
            "Port(s) {list} of \"{}\" were outside the sidecar ({why}); under ambient ztunnel captures them and STRICT mTLS will reject plaintext callers (node agents, health checkers, out-of-mesh clients).",
            unit.short()
        );
        let mut f = Finding::new(&rules::R010, msg).on_node(r, ann.key_span.cover(ann.value_span));
        match &mtls.workload_policy {
            Some(pa) => {
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
