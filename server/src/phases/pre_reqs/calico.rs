//! PR-CNI-006: Calico eBPF connect-time load balancing sends traffic straight to pod IPs,
//! bypassing Istio (FelixConfiguration or calico-node environment).

use crate::analysis::facts::workload_env;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for r in &g.facts.cluster_objects {
        let Body::FelixConfiguration(fc) = &r.body else {
            continue;
        };
        if r.name != "default" {
            continue;
        }
        if let Some((v, s)) = &fc.ctlb {
            if v != "Disabled" {
                out.push(Finding::new(&rules::PR_CNI_006, format!("Calico eBPF connect-time load balancing ({v}) sends traffic straight to backend pod IPs, bypassing Istio. Set bpfConnectTimeLoadBalancing: Disabled.")).on_node(r, *s));
            }
        } else if let Some((true, s)) = &fc.ctlb_enabled {
            out.push(Finding::new(&rules::PR_CNI_006, "Calico eBPF connect-time load balancing is enabled and bypasses Istio. Set bpfConnectTimeLoadBalancingEnabled: false.").on_node(r, *s));
        }
    }
    if let Some(d) = g.facts.daemonsets.iter().find(|d| d.name == "calico-node") {
        let ctlb = workload_env(d, "FELIX_BPFCONNECTTIMELOADBALANCING")
            .filter(|v| !v.eq_ignore_ascii_case("disabled"));
        let en = workload_env(d, "FELIX_BPFCONNECTTIMELOADBALANCINGENABLED") == Some("true");
        let bpf = workload_env(d, "FELIX_BPFENABLED") == Some("true");
        if (ctlb.is_some() || en) && bpf {
            out.push(Finding::new(&rules::PR_CNI_006, "calico-node enables eBPF connect-time load balancing (FELIX_BPFCONNECTTIMELOADBALANCING), which bypasses Istio. Disable it.").on_node(d, d.name_span));
        }
    }
}
