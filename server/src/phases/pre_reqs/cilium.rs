//! PR-CNI-001 to PR-CNI-005: Cilium settings that break ambient (cni-exclusive, BPF
//! masquerading, socket load-balancing inside pods, kube-proxy replacement, default-deny
//! policies that block the ambient probe address). They share the reading of cilium-config.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let cilium_cm = g
        .index
        .ns("kube-system")
        .find(|r| r.kind == "ConfigMap" && r.name == "cilium-config")
        .cloned();
    let cilium = cilium_cm.is_some() || g.facts.daemonsets.iter().any(|d| d.name == "cilium");
    if let Some(cm) = &cilium_cm {
        let Body::ConfigMap(d) = &cm.body else {
            unreachable!()
        };
        let get = |k: &str| d.get_spanned(k);
        if let Some((v, s)) = get("cni-exclusive") {
            if v == "true" {
                out.push(Finding::new(&rules::PR_CNI_001, "Cilium is configured with cni-exclusive=true and will remove istio-cni's chained config. Set Helm cni.exclusive=false (ConfigMap cni-exclusive: \"false\") and restart Cilium.").on_node(cm, s));
            }
        }
        if let Some((v, s)) = get("enable-bpf-masquerade") {
            if v == "true" {
                out.push(Finding::new(&rules::PR_CNI_002, "Cilium BPF masquerading breaks ambient's link-local kubelet probe SNAT; pod health checks will fail. Disable BPF masquerade (use iptables masquerading).").on_node(cm, s));
            }
        }
        let hostns_only = get("bpf-lb-sock-hostns-only")
            .map(|(v, _)| v == "true")
            .unwrap_or(false);
        if let Some((v, s)) = get("bpf-lb-sock") {
            if v == "true" && !hostns_only {
                out.push(Finding::new(&rules::PR_CNI_003, "Cilium socket load-balancing runs inside pods and bypasses Istio redirection. Set socketLB.hostNamespaceOnly=true (bpf-lb-sock-hostns-only: \"true\").").on_node(cm, s));
            }
        }
        if let Some((v, s)) = get("kube-proxy-replacement") {
            if !hostns_only && (v == "strict" || v == "true") {
                let rule = if v == "strict" {
                    &rules::PR_CNI_004
                } else {
                    &rules::PR_CNI_004_PARTIAL
                };
                out.push(Finding::new(rule, format!("Cilium kube-proxy replacement ({v}) without host-namespace-only socket LB can bypass Istio. Set socketLB.hostNamespaceOnly=true.")).on_node(cm, s));
            }
        }
    }
    if cilium {
        default_deny(g, out);
    }
}

/// PR-CNI-005: kubelet probes to ambient pods come from 169.254.7.127, which default-deny
/// policies block unless a policy admits it.
fn default_deny(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some(l) = g.flag("default-deny") else {
        return;
    };
    let cluster_wide_allow = g.facts.cluster_objects.iter().any(|r| {
        matches!(
            r.body,
            Body::CiliumPolicy {
                allows_probe_cidr: true
            }
        )
    });
    if g.flag("probe-allowed").is_none() && !cluster_wide_allow {
        let mut fi = Finding::new(
            &rules::PR_CNI_005,
            "Kubelet probes to ambient pods are SNAT'ed to 169.254.7.127 and will be blocked by default-deny policies under Cilium. Apply a CiliumClusterwideNetworkPolicy allowing fromCIDR 169.254.7.127/32 (allow-ambient-hostprobes).",
        );
        fi.location = Some(l);
        out.push(fi);
    }
}
