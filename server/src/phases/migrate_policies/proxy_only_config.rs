//! P013: pod annotations and ProxyConfig that only mean something to an Envoy in the pod. The
//! traffic annotations (which ports/CIDRs are captured) change behaviour: a warning; the
//! others simply stop applying.

use crate::analysis::NsCtx;
use crate::finding::{workloads_list, Finding};
use crate::model::Body;
use crate::rules;

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

pub fn namespace(ctx: &mut NsCtx) {
    annotations(ctx);
    proxy_config(ctx);
}

fn annotations(ctx: &mut NsCtx) {
    for u in ctx.view.units.clone() {
        if !u.ambient_bound() {
            continue;
        }
        let Some(r) = u.res.clone() else { continue };
        let keys = |pick: &dyn Fn(&str) -> bool| -> Vec<String> {
            u.annotations
                .iter()
                .filter(|(k, _)| pick(k))
                .map(|(k, _)| k.to_string())
                .collect()
        };
        let traffic = keys(&|k| TRAFFIC_ANNOTATIONS.contains(&k));
        let other = keys(&proxy_only);
        if traffic.is_empty() && other.is_empty() {
            continue;
        }
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
}

fn proxy_config(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::ProxyConfig(pc) = &r.body else {
            continue;
        };
        let units: Vec<usize> = ctx
            .view
            .select(pc.selector.as_ref().map(|s| &s.labels))
            .into_iter()
            .filter(|&u| ctx.unit(u).ambient_bound())
            .collect();
        if units.is_empty() {
            continue;
        }
        let names: Vec<String> = units.iter().map(|&u| ctx.unit(u).short()).collect();
        ctx.emit(
            Finding::new(
                &rules::P013_PROXY_ONLY,
                format!("ProxyConfig \"{}\" configures the proxies of {}; ztunnel does not read ProxyConfig, it has no effect once they are ambient.", r.ns_name(), workloads_list(&names)),
            )
            .on_node(&r, pc.selector.as_ref().map(|s| s.key_span).unwrap_or(r.name_span)),
        );
    }
}
