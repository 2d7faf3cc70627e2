//! Phase `pre-reqs`: Kubernetes platform and CNI, Istio version, multicluster, VMs, SPIRE and
//! features ambient does not support.

use std::sync::Arc;

use super::{Global, NsCtx};
use crate::analysis::facts::json_path;
use crate::analysis::version::Version;
use crate::finding::{Finding, Location};
use crate::model::{Body, Container, Resource, Workload};
use crate::rules;
use crate::yaml::Span;

/// The revision a sidecar was injected by.
pub fn sidecar_revision(w: &Workload) -> String {
    if let Some(status) = w.pod_annotations.get("sidecar.istio.io/status") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(status) {
            if let Some(r) = v.get("revision").and_then(|r| r.as_str()) {
                if !r.is_empty() {
                    return r.to_string();
                }
            }
        }
    }
    w.pod_labels
        .get("istio.io/rev")
        .unwrap_or("default")
        .to_string()
}

pub fn proxy_version(c: &Container) -> Option<Version> {
    c.image_tag().and_then(Version::parse)
}

fn pods(ctx: &NsCtx) -> Vec<Arc<Resource>> {
    ctx.own("Pod")
}

fn loc(r: &Resource, span: Span) -> Location {
    Location { file: r.file, span }
}

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    // ---- INPUT-001: no Namespace manifest
    if ctx.v.mode.injection == crate::analysis::mesh::Injection::Assumed
        && !ctx.v.resources.is_empty()
    {
        ctx.summary.missing_manifest = true;
        let f = ctx.at_anchor(Finding::new(&rules::INPUT_001,
            format!("Namespace \"{ns}\" has no Namespace manifest in the input; its workloads are assumed to run with injected sidecars. Include the Namespace to use its real labels."),
        ));
        ctx.emit(f);
    }
    // ---- PR-VER-005 (b): namespace references a revision/tag with no control plane
    if let Some(m) = ctx.v.mode.manifest.clone() {
        if let Some(l) = m.labels.entry("istio.io/rev") {
            ctx.summary
                .revisions
                .push((l.value.to_string(), loc(&m, l.value_span)));
            if !ctx.facts.istiods.is_empty() {
                let rev = ctx.facts.resolve_rev(&l.value);
                if !ctx.facts.revision_exists(rev) {
                    ctx.emit(
                        Finding::new(&rules::PR_VER_005, format!("Namespace \"{ns}\" references revision/tag \"{}\" that has no control plane.", l.value))
                            .on_node(&m, l.key_span.cover(l.value_span)),
                    );
                }
            }
        }
    }
    let mut cluster_id_done = false;
    let mut network_done = false;
    let mut spire_label_done = false;
    for r in ctx.v.resources.clone() {
        match &r.body {
            Body::Workload(w) => {
                // PR-VER-006 (pods)
                if r.kind == "Pod" {
                    if let Some(proxy) = w.istio_proxy() {
                        if let Some(pv) = proxy_version(proxy) {
                            let rev = sidecar_revision(w);
                            let cp = ctx
                                .facts
                                .istiods
                                .iter()
                                .find(|i| i.revision == ctx.facts.resolve_rev(&rev))
                                .or(ctx.facts.istiods.first());
                            let cpv = cp.and_then(|c| c.version.clone());
                            let older = match &cpv {
                                Some(c) => (pv.major, pv.minor) < (c.major, c.minor),
                                None => false,
                            };
                            if older || !pv.at_least(1, 25) {
                                let msg = match &cpv {
                                    Some(c) if older => format!(
                                        "Pod \"{}\" runs proxy {} older than control plane {}.",
                                        r.ns_name(),
                                        pv,
                                        c
                                    ),
                                    _ => format!(
                                        "Pod \"{}\" runs proxy {}, below 1.25.",
                                        r.ns_name(),
                                        pv
                                    ),
                                };
                                ctx.emit(Finding::new(&rules::PR_VER_006, format!("{msg} Restart workloads after the control-plane upgrade.")).on_node(&r, proxy.span));
                            }
                        }
                        // PR-MC-002 / PR-MC-006 (first pod only)
                        if !cluster_id_done {
                            if let Some(id) = proxy.env("ISTIO_META_CLUSTER_ID") {
                                if id != "Kubernetes" {
                                    cluster_id_done = true;
                                    ctx.emit(
                                        Finding::new(&rules::PR_MC_002, format!("Non-default cluster ID \"{id}\" on Pod \"{}\" suggests a multicluster setup.", r.ns_name()))
                                            .on_node(&r, proxy.span),
                                    );
                                }
                            }
                        }
                        if !network_done {
                            if let Some(n) =
                                proxy.env("ISTIO_META_NETWORK").filter(|n| !n.is_empty())
                            {
                                network_done = true;
                                ctx.emit(
                                    Finding::new(
                                        &rules::PR_MC_006,
                                        format!(
                                            "Network \"{n}\" configured (Pod \"{}\").",
                                            r.ns_name()
                                        ),
                                    )
                                    .on_node(&r, proxy.span),
                                );
                            }
                        }
                    }
                }
                // PR-SPIRE-001: workload identity from SPIRE
                let spire_vol = w
                    .volumes
                    .iter()
                    .find(|v| v.csi_driver.as_deref() == Some("csi.spiffe.io"));
                let proxied =
                    w.istio_proxy().is_some() || w.pod_annotations.has("sidecar.istio.io/status");
                if let (Some(v), true) = (spire_vol, proxied) {
                    ctx.emit(
                        Finding::new(&rules::PR_SPIRE_001,
                            format!(
                                "Workload \"{}\" gets its Istio identity from SPIRE (volume \"{}\" uses csi.spiffe.io); ambient does not support SPIRE. Keep these workloads on sidecars or drop SPIRE before migrating.",
                                r.ns_name(),
                                v.name
                            ),
                        )
                        .on_node(&r, w.pod_meta_span),
                    );
                }
                // PR-SPIRE-002: injection template that wires SPIRE
                if let Some(t) = w.pod_annotations.entry("inject.istio.io/templates") {
                    let custom: Vec<&str> = t
                        .value
                        .split(',')
                        .map(str::trim)
                        .filter(|x| {
                            !matches!(
                                *x,
                                "sidecar"
                                    | "gateway"
                                    | "waypoint"
                                    | "grpc-agent"
                                    | "grpc-simple"
                                    | "init"
                                    | ""
                            )
                        })
                        .collect();
                    let spire_template = custom.iter().any(|c| {
                        *c == "spire"
                            || ctx.facts.injector_configs.iter().any(|cm| {
                                matches!(&cm.body, Body::ConfigMap(d) if d.data.iter().any(|(_, v, _)| v.contains("csi.spiffe.io") && v.contains(c)))
                            })
                    });
                    if spire_template {
                        ctx.emit(
                            Finding::new(&rules::PR_SPIRE_002, format!("Injection template(s) \"{}\" used by \"{}\" wire SPIRE into sidecars; ambient does not support SPIRE.", custom.join(","), r.ns_name()))
                                .on_node(&r, t.key_span.cover(t.value_span)),
                        );
                    }
                }
                if !spire_label_done {
                    if let Some(l) = w
                        .pod_labels
                        .entry("spiffe.io/spire-managed-identity")
                        .filter(|l| l.value == "true")
                    {
                        spire_label_done = true;
                        ctx.emit(
                            Finding::new(&rules::PR_SPIRE_003, format!("SPIRE components present: \"{}\" is labeled spiffe.io/spire-managed-identity; verify SPIRE is not Istio's CA.", r.ns_name()))
                                .on_node(&r, l.key_span.cover(l.value_span)),
                        );
                    }
                }
                if r.kind == "Pod" && w.init_containers.iter().any(|c| c.name == "istio-init") {
                    ctx.summary
                        .flags
                        .entry("istio-init")
                        .or_insert(loc(&r, r.name_span));
                }
            }
            Body::WorkloadGroup => {
                ctx.emit(
                    Finding::new(&rules::PR_VM_001,
                        format!("WorkloadGroup \"{}\" indicates VM onboarding; VMs cannot join ambient. Keep those services on sidecar mode or remove the VMs first.", r.ns_name()),
                    )
                    .on_node(&r, r.name_span),
                );
            }
            Body::WorkloadEntry(_) => {
                let auto = r.annotations.has("istio.io/autoRegistrationGroup");
                let rule = if auto {
                    &rules::PR_VM_002
                } else {
                    &rules::PR_VM_002_STATIC
                };
                let f = Finding::new(
                    rule,
                    format!(
                        "WorkloadEntry \"{}\" ({}) found; VMs cannot join ambient.",
                        r.ns_name(),
                        if auto {
                            "auto-registered VM endpoint"
                        } else {
                            "VM or external endpoint"
                        }
                    ),
                )
                .on_node(&r, r.name_span);
                ctx.emit(f);
            }
            Body::ServiceEntry(se) => {
                if let Some(ws) = &se.workload_selector {
                    ctx.emit(
                        Finding::new(
                            &rules::PR_VM_004,
                            format!(
                                "ServiceEntry \"{}\" selects WorkloadEntries (workloadSelector).",
                                r.ns_name()
                            ),
                        )
                        .on_node(&r, ws.key_span),
                    );
                }
            }
            Body::IstioGateway(g) => {
                if let Some(s) = g
                    .servers
                    .iter()
                    .find(|s| matches!(s.port, Some(15012) | Some(15017)))
                {
                    ctx.emit(
                        Finding::new(&rules::PR_VM_003, format!("Gateway \"{}\" exposes istiod (port {}) through an east-west gateway (VMs or remote clusters).", r.ns_name(), s.port.unwrap_or(0)))
                            .on_node(&r, s.span),
                    );
                }
                if let Some(s) = g
                    .servers
                    .iter()
                    .find(|s| s.tls_mode.as_deref() == Some("AUTO_PASSTHROUGH"))
                {
                    ctx.emit(
                        Finding::new(&rules::PR_MC_004, format!("East-west gateway \"{}\" found (AUTO_PASSTHROUGH, sidecar multi-network); replace it with an ambient east-west gateway when migrating.", r.ns_name()))
                            .on_node(&r, s.span),
                    );
                }
            }
            Body::Gateway(g) => {
                if matches!(g.class.as_str(), "istio-east-west" | "istio-remote") {
                    ctx.emit(
                        Finding::new(
                            &rules::PR_MC_004,
                            format!(
                                "Gateway \"{}\" of class {} found (multi-network).",
                                r.ns_name(),
                                g.class
                            ),
                        )
                        .on_node(&r, g.class_span.unwrap_or(r.name_span)),
                    );
                }
            }
            Body::Service(s)
                if (r.labels.get("istio") == Some("eastwestgateway")
                    || s.ports.iter().any(|p| p.port == 15443)) =>
            {
                ctx.emit(
                        Finding::new(&rules::PR_MC_004, format!("East-west gateway Service \"{}\" found (sidecar multi-network); replace it with an ambient east-west gateway when migrating.", r.ns_name()))
                            .on_node(&r, r.name_span),
                    );
            }
            Body::PeerAuthentication(pa) => {
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
                if let Some(span) = disable {
                    ctx.emit(
                        Finding::new(&rules::PR_FEAT_001,
                            format!("PeerAuthentication \"{}\" disables mTLS; ambient always enforces mTLS between mesh workloads. Remove or change it before migrating.", r.ns_name()),
                        )
                        .on_node(&r, span),
                    );
                }
            }
            Body::EnvoyFilter(ef) => {
                let sidecar_ctx = ef.contexts.is_empty()
                    || ef.contexts.iter().any(|c| {
                        matches!(c.as_str(), "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND" | "ANY")
                    });
                if !sidecar_ctx || !ef.target_refs.is_empty() {
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
                if applies {
                    ctx.emit(
                        Finding::new(&rules::PR_FEAT_002, format!("EnvoyFilter \"{}\" patches sidecars of workloads to be migrated; EnvoyFilter is not supported on waypoints. Re-implement it with WasmPlugin or first-class APIs.", r.ns_name()))
                            .on_node(&r, ef.workload_selector.as_ref().map(|s| s.key_span).or(ef.patches_span).unwrap_or(r.name_span)),
                    );
                }
            }
            Body::Sidecar(_) => {
                ctx.emit(Finding::new(&rules::PR_FEAT_003, format!("Sidecar \"{}\": Sidecar scoping resources are not used by ambient; plan their removal.", r.ns_name())).on_node(&r, r.name_span));
            }
            Body::NetworkPolicy(np) => {
                if np.is_default_deny_ingress() {
                    ctx.summary
                        .flags
                        .entry("default-deny")
                        .or_insert(loc(&r, r.name_span));
                }
                if np.allows_probe_cidr {
                    ctx.summary
                        .flags
                        .entry("probe-allowed")
                        .or_insert(loc(&r, r.name_span));
                }
            }
            Body::CiliumPolicy { allows_probe_cidr } if *allows_probe_cidr => {
                ctx.summary
                    .flags
                    .entry("probe-allowed")
                    .or_insert(loc(&r, r.name_span));
            }
            Body::SecurityGroupPolicy => {
                ctx.summary
                    .flags
                    .entry("security-group-policy")
                    .or_insert(loc(&r, r.name_span));
            }
            _ => {}
        }
    }
    let _ = pods(ctx);
}

fn ds_named<'a>(g: &'a Global, ns: Option<&str>, name: &str) -> Option<&'a Arc<Resource>> {
    g.facts
        .daemonsets
        .iter()
        .find(|d| d.name == name && ns.is_none_or(|n| d.namespace == n))
}

fn ds_env<'a>(d: &'a Resource, key: &str) -> Option<&'a str> {
    let Body::Workload(w) = &d.body else {
        return None;
    };
    w.containers.iter().find_map(|c| c.env(key))
}

fn host_path(d: &Resource, volume: &str) -> Option<String> {
    let Body::Workload(w) = &d.body else {
        return None;
    };
    w.volumes
        .iter()
        .find(|v| v.name == volume)
        .and_then(|v| v.host_path.clone())
}

fn flag(g: &Global, key: &str) -> Option<Location> {
    g.results
        .values()
        .find_map(|r| r.summary.flags.get(key).copied())
}

fn at(f: Finding, r: &Arc<Resource>, span: Span) -> Finding {
    f.on_node(r, span)
}

/// Platform detection (PR-CNI-020): (name, confidence, evidence).
fn platform(g: &Global) -> Option<(&'static str, &'static str, String)> {
    let f = g.facts;
    let node_label = |k: &str| {
        f.nodes
            .iter()
            .find(|n| n.labels.has(k))
            .map(|n| n.name.clone())
    };
    let kubelet = |needle: &str| {
        f.nodes.iter().find(|n| matches!(&n.body, Body::Node(i) if i.kubelet_version.as_deref().is_some_and(|v| v.contains(needle)))).map(|n| n.name.clone())
    };
    if let Some(n) = kubelet("-gke").or_else(|| node_label("cloud.google.com/gke-nodepool")) {
        return Some(("GKE", "high", format!("node {n}")));
    }
    if let Some(d) = ds_named(g, Some("kube-system"), "anetd")
        .or_else(|| ds_named(g, Some("kube-system"), "gke-metadata-server"))
    {
        return Some(("GKE", "medium", format!("DaemonSet {}", d.ns_name())));
    }
    if f.openshift_namespaces || f.crds.iter().any(|c| c.name.ends_with(".openshift.io")) {
        return Some((
            "OpenShift",
            "medium",
            "openshift-* namespaces or *.openshift.io CRDs".to_string(),
        ));
    }
    if let Some(n) = f.nodes.iter().find(|n| n.name.starts_with("k3d-")) {
        return Some(("k3d", "medium", format!("node {}", n.name)));
    }
    if let Some(n) = kubelet("+k3s").or_else(|| node_label("k3s.io/hostname")) {
        return Some(("k3s", "high", format!("node {n}")));
    }
    if let Some(d) = f.daemonsets.iter().find(|d| d.name.starts_with("svclb-")) {
        return Some((
            "k3s",
            "medium",
            format!("ServiceLB DaemonSet {}", d.ns_name()),
        ));
    }
    if f.crds.iter().any(|c| c.name.ends_with(".helm.cattle.io")) {
        return Some(("k3s", "low", "helm.cattle.io CRDs".to_string()));
    }
    if let Some(n) = node_label("microk8s.io/cluster")
        .or_else(|| node_label("node.kubernetes.io/microk8s-controlplane"))
    {
        return Some(("MicroK8s", "high", format!("node {n}")));
    }
    if let Some(n) = node_label("minikube.k8s.io/name").or_else(|| {
        f.nodes
            .iter()
            .find(|n| n.name == "minikube")
            .map(|n| n.name.clone())
    }) {
        return Some(("minikube", "high", format!("node {n}")));
    }
    if let Some(d) = ds_named(g, Some("kube-system"), "aws-node") {
        return Some(("EKS", "medium", format!("DaemonSet {}", d.ns_name())));
    }
    if let Some(d) = ds_named(g, Some("kube-system"), "azure-cns") {
        return Some(("AKS", "medium", format!("DaemonSet {}", d.ns_name())));
    }
    if let Some(d) = ds_named(g, Some("kube-system"), "kindnet") {
        return Some(("kind", "high", format!("DaemonSet {}", d.ns_name())));
    }
    None
}

fn cni_rules(g: &Global, out: &mut Vec<Finding>) {
    let f = g.facts;
    // ---- Cilium
    let cilium_cm = g
        .index
        .ns("kube-system")
        .find(|r| r.kind == "ConfigMap" && r.name == "cilium-config")
        .cloned();
    let cilium = cilium_cm.is_some() || f.daemonsets.iter().any(|d| d.name == "cilium");
    if let Some(cm) = &cilium_cm {
        let Body::ConfigMap(d) = &cm.body else {
            unreachable!()
        };
        let get = |k: &str| d.get_spanned(k);
        if let Some((v, s)) = get("cni-exclusive") {
            if v == "true" {
                out.push(at(
                    Finding::new(&rules::PR_CNI_001, "Cilium is configured with cni-exclusive=true and will remove istio-cni's chained config. Set Helm cni.exclusive=false (ConfigMap cni-exclusive: \"false\") and restart Cilium."),
                    cm,
                    s,
                ));
            }
        }
        if let Some((v, s)) = get("enable-bpf-masquerade") {
            if v == "true" {
                out.push(at(
                    Finding::new(&rules::PR_CNI_002, "Cilium BPF masquerading breaks ambient's link-local kubelet probe SNAT; pod health checks will fail. Disable BPF masquerade (use iptables masquerading)."),
                    cm,
                    s,
                ));
            }
        }
        let hostns_only = get("bpf-lb-sock-hostns-only")
            .map(|(v, _)| v == "true")
            .unwrap_or(false);
        if let Some((v, s)) = get("bpf-lb-sock") {
            if v == "true" && !hostns_only {
                out.push(at(
                    Finding::new(&rules::PR_CNI_003, "Cilium socket load-balancing runs inside pods and bypasses Istio redirection. Set socketLB.hostNamespaceOnly=true (bpf-lb-sock-hostns-only: \"true\")."),
                    cm,
                    s,
                ));
            }
        }
        if let Some((v, s)) = get("kube-proxy-replacement") {
            if !hostns_only && (v == "strict" || v == "true") {
                let rule = if v == "strict" {
                    &rules::PR_CNI_004
                } else {
                    &rules::PR_CNI_004_PARTIAL
                };
                out.push(at(
                    Finding::new(rule,
                        format!("Cilium kube-proxy replacement ({v}) without host-namespace-only socket LB can bypass Istio. Set socketLB.hostNamespaceOnly=true."),
                    ),
                    cm,
                    s,
                ));
            }
        }
    }
    if cilium {
        if let Some(l) = flag(g, "default-deny") {
            let cluster_wide_allow = g.facts.cluster_objects.iter().any(|r| {
                matches!(
                    r.body,
                    Body::CiliumPolicy {
                        allows_probe_cidr: true
                    }
                )
            });
            if flag(g, "probe-allowed").is_none() && !cluster_wide_allow {
                let mut fi = Finding::new(&rules::PR_CNI_005,
                    "Kubelet probes to ambient pods are SNAT'ed to 169.254.7.127 and will be blocked by default-deny policies under Cilium. Apply a CiliumClusterwideNetworkPolicy allowing fromCIDR 169.254.7.127/32 (allow-ambient-hostprobes).",
                );
                fi.location = Some(l);
                out.push(fi);
            }
        }
    }
    // ---- Calico eBPF connect-time LB
    for r in &f.cluster_objects {
        let Body::FelixConfiguration(fc) = &r.body else {
            continue;
        };
        if r.name != "default" {
            continue;
        }
        if let Some((v, s)) = &fc.ctlb {
            if v != "Disabled" {
                out.push(at(
                    Finding::new(&rules::PR_CNI_006, format!("Calico eBPF connect-time load balancing ({v}) sends traffic straight to backend pod IPs, bypassing Istio. Set bpfConnectTimeLoadBalancing: Disabled.")),
                    r,
                    *s,
                ));
            }
        } else if let Some((true, s)) = &fc.ctlb_enabled {
            out.push(at(
                Finding::new(&rules::PR_CNI_006, "Calico eBPF connect-time load balancing is enabled and bypasses Istio. Set bpfConnectTimeLoadBalancingEnabled: false."),
                r,
                *s,
            ));
        }
    }
    if let Some(d) = f.daemonsets.iter().find(|d| d.name == "calico-node") {
        let ctlb = ds_env(d, "FELIX_BPFCONNECTTIMELOADBALANCING")
            .filter(|v| !v.eq_ignore_ascii_case("disabled"));
        let en = ds_env(d, "FELIX_BPFCONNECTTIMELOADBALANCINGENABLED") == Some("true");
        let bpf = ds_env(d, "FELIX_BPFENABLED") == Some("true");
        if (ctlb.is_some() || en) && bpf {
            out.push(at(Finding::new(&rules::PR_CNI_006, "calico-node enables eBPF connect-time load balancing (FELIX_BPFCONNECTTIMELOADBALANCING), which bypasses Istio. Disable it."), d, d.name_span));
        }
    }
    // ---- EKS security groups for pods
    if let Some(d) = ds_named(g, Some("kube-system"), "aws-node") {
        if ds_env(d, "ENABLE_POD_ENI") == Some("true")
            && flag(g, "security-group-policy").is_some()
            && ds_env(d, "POD_SECURITY_GROUP_ENFORCING_MODE") != Some("standard")
        {
            out.push(at(
                Finding::new(&rules::PR_CNI_007, "EKS pod security groups in strict mode drop ambient's link-local probe traffic; health probes will fail. Set POD_SECURITY_GROUP_ENFORCING_MODE=standard on aws-node and recycle pods, or use exec probes."),
                d,
                d.name_span,
            ));
        }
    }
    // ---- platform specific paths
    let plat = platform(g);
    if let Some((p, conf, why)) = &plat {
        out.push(Finding::new(
            &rules::PR_CNI_020,
            format!("Detected platform: {p} (confidence {conf}; {why})."),
        ));
    }
    let cni = f.cnis.first().cloned();
    let ztunnel = f.ztunnels.first().cloned();
    match plat.as_ref().map(|p| p.0) {
        Some("GKE") => {
            for d in [&cni, &ztunnel].into_iter().flatten() {
                if d.namespace != "kube-system" {
                    let quota = g.index.ns(&d.namespace).any(|r| matches!(&r.body, Body::ResourceQuota(q) if q.priority_classes.iter().any(|c| c == "system-node-critical")));
                    if !quota {
                        out.push(at(
                            Finding::new(&rules::PR_CNI_008,
                                format!(
                                    "On GKE, node-critical DaemonSet \"{}\" needs kube-system or a ResourceQuota for PriorityClass system-node-critical in \"{}\". Install with global.platform=gke (or resourceQuotas.enabled=true).",
                                    d.ns_name(),
                                    d.namespace
                                ),
                            ),
                            d,
                            d.name_span,
                        ));
                    }
                }
            }
            if let Some(c) = &cni {
                if let Some(p) = host_path(c, "cni-bin-dir") {
                    if p.trim_end_matches('/') != "/home/kubernetes/bin" {
                        out.push(at(Finding::new(&rules::PR_CNI_008, format!("GKE CNI binaries live in /home/kubernetes/bin, but istio-cni uses {p}. Install with global.platform=gke.")), c, c.name_span));
                    }
                }
            }
        }
        Some("OpenShift") => {
            let mut problems = Vec::new();
            for d in [&cni, &ztunnel].into_iter().flatten() {
                if d.namespace != "kube-system" {
                    problems.push(format!("{} runs in {}", d.ns_name(), d.namespace));
                }
            }
            if let Some(c) = &cni {
                if host_path(c, "cni-bin-dir")
                    .is_some_and(|p| p.trim_end_matches('/') != "/var/lib/cni/bin")
                {
                    problems.push("cni-bin-dir is not /var/lib/cni/bin".to_string());
                }
                if host_path(c, "cni-net-dir")
                    .is_some_and(|p| p.trim_end_matches('/') != "/etc/cni/multus/net.d")
                {
                    problems.push("cni-net-dir is not /etc/cni/multus/net.d".to_string());
                }
            }
            for i in &f.istiods {
                if let Some(v) = i.env("CA_TRUSTED_NODE_ACCOUNTS") {
                    if !v.split(',').any(|a| a.trim() == "kube-system/ztunnel") {
                        problems.push(format!("istiod CA_TRUSTED_NODE_ACCOUNTS is {v}"));
                    }
                }
            }
            if !problems.is_empty() {
                let mut fi = Finding::new(&rules::PR_CNI_009,
                    format!("OpenShift requires ztunnel and istio-cni in kube-system with platform=openshift ({}). Reinstall with global.platform=openshift (istioctl: profile=openshift-ambient).", problems.join("; ")),
                );
                if let Some(d) = cni.as_ref().or(ztunnel.as_ref()) {
                    fi = fi.on_node(d, d.name_span);
                }
                out.push(fi);
            }
        }
        Some(p @ ("k3s" | "k3d")) => {
            if let Some(c) = &cni {
                let net = host_path(c, "cni-net-dir");
                let bin = host_path(c, "cni-bin-dir");
                let net_ok = net.as_deref().is_none_or(|n| {
                    n.trim_end_matches('/') == "/var/lib/rancher/k3s/agent/etc/cni/net.d"
                });
                let bin_ok = bin.as_deref().is_none_or(|b| {
                    let b = b.trim_end_matches('/');
                    if p == "k3d" {
                        b == "/bin"
                    } else {
                        b == "/var/lib/rancher/k3s/data/cni"
                            || b == "/var/lib/rancher/k3s/data/current/bin"
                    }
                });
                if !net_ok || !bin_ok {
                    out.push(at(
                        Finding::new(&rules::PR_CNI_010,
                            format!("istio-cni paths ({} / {}) do not match the {p} CNI locations; pods will not be captured. Install with global.platform={p}.", net.unwrap_or_default(), bin.unwrap_or_default()),
                        ),
                        c,
                        c.name_span,
                    ));
                }
            }
        }
        Some(p @ ("MicroK8s" | "minikube")) => {
            if let Some(c) = &cni {
                let wrong = if p == "MicroK8s" {
                    host_path(c, "cni-net-dir").is_some_and(|n| {
                        n.trim_end_matches('/') != "/var/snap/microk8s/current/args/cni-network"
                    }) || host_path(c, "cni-bin-dir").is_some_and(|n| {
                        n.trim_end_matches('/') != "/var/snap/microk8s/current/opt/cni/bin"
                    })
                } else {
                    host_path(c, "cni-netns-dir")
                        .is_some_and(|n| n.trim_end_matches('/') != "/var/run/docker/netns")
                };
                if wrong {
                    let plat = if p == "MicroK8s" {
                        "microk8s"
                    } else {
                        "minikube"
                    };
                    out.push(at(Finding::new(&rules::PR_CNI_011, format!("istio-cni paths do not match {p}. Install with global.platform={plat}.")), c, c.name_span));
                }
            }
        }
        _ => {}
    }
    if let Some(d) = ds_named(g, Some("kube-system"), "kindnet") {
        out.push(at(
            Finding::new(
                &rules::PR_CNI_012,
                "kind (kindnet) detected; no platform-specific ambient settings documented.",
            ),
            d,
            d.name_span,
        ));
    }
}

fn version_rules(g: &Global, out: &mut Vec<Finding>) {
    let f = g.facts;
    if f.istiods.is_empty() {
        if !remote_signals(g) {
            out.push(Finding::new(&rules::PR_VER_001,
                "No Istio control plane (istiod) found. Include the istiod Deployment (usually in istio-system) in --from-files, or run against the right cluster.",
            ));
        }
        return;
    }
    for i in &f.istiods {
        let r = &i.res;
        match &i.version {
            None => out.push(
                Finding::new(&rules::PR_VER_003,
                    format!(
                        "Cannot determine the Istio version of istiod \"{}\" (revision {}): image {} has no version tag. Add app.kubernetes.io/version, use a tagged image, or include the values ConfigMap.",
                        r.ns_name(),
                        i.revision,
                        i.image.clone().unwrap_or_else(|| "?".to_string())
                    ),
                )
                .on_node(r, r.name_span),
            ),
            Some(v) if !v.at_least(1, 25) => out.push(
                Finding::new(&rules::PR_VER_002,
                    format!(
                        "istiod \"{}\" (revision {}) runs Istio {}; ambient migration requires 1.25+ on every control plane. Upgrade that revision (you can enable ambient in the same step) or retire it.",
                        r.ns_name(),
                        i.revision,
                        v
                    ),
                )
                .on_node(r, r.name_span),
            ),
            Some(v) => {
                if !v.is_solo() {
                    out.push(
                        Finding::new(&rules::PR_VER_004,
                            format!("istiod \"{}\" uses an upstream build ({v}); the zero-downtime path requires Solo.io builds of Istio (tags ending in -solo).", r.ns_name()),
                        )
                        .on_node(r, r.name_span),
                    );
                }
                if v.is_prerelease() {
                    out.push(
                        Finding::new(&rules::PR_VER_003, format!("istiod \"{}\" runs a pre-release build ({v}).", r.ns_name()))
                            .on_node(r, r.name_span),
                    );
                }
            }
        }
    }
    // PR-VER-005 (a): revisions with different versions
    let versions: std::collections::BTreeSet<String> = f
        .istiods
        .iter()
        .filter_map(|i| i.version.as_ref().map(|v| v.minor_str()))
        .collect();
    if versions.len() > 1 {
        let desc: Vec<String> = f
            .istiods
            .iter()
            .map(|i| {
                format!(
                    "{} ({})",
                    i.revision,
                    i.version
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "?".into())
                )
            })
            .collect();
        let r = &f.istiods[0].res;
        out.push(Finding::new(&rules::PR_VER_005, format!("Several control plane revisions run different Istio versions: {}. Each referenced revision must pass the version check.", desc.join(", "))).on_node(r, r.name_span));
    }
    // (c): tags pointing at a revision with no istiod
    for w in &f.injectors {
        if let (Some(tag), Some(rev)) = (w.labels.get("istio.io/tag"), w.labels.get("istio.io/rev"))
        {
            if !f.revision_exists(rev) {
                out.push(
                    Finding::new(&rules::PR_VER_005, format!("Revision tag \"{tag}\" ({}) points at revision \"{rev}\", which has no control plane.", w.name))
                        .on_node(w, w.name_span),
                );
            }
        }
    }
}

/// PR-MC-005 signals: remote / external control plane.
fn remote_signals(g: &Global) -> bool {
    !remote_reasons(g).is_empty()
}

/// Why this cluster looks like a remote member, and where.
type RemoteReason = (String, Option<(Arc<Resource>, Span)>);

fn remote_reasons(g: &Global) -> Vec<RemoteReason> {
    let f = g.facts;
    let mut out = Vec::new();
    for w in &f.injectors {
        if let Body::MutatingWebhook(c) = &w.body {
            if let Some(h) = c.webhooks.iter().find(|h| h.url.is_some()) {
                out.push((
                    format!("injection webhook {} calls a remote URL", w.name),
                    Some((w.clone(), h.span)),
                ));
            }
        }
    }
    for r in g.index.ns(&f.istio_ns) {
        if let Body::Service(s) = &r.body {
            if (r.name == "istiod" || r.name.starts_with("istiod-"))
                && (s.selector.as_ref().is_none_or(|x| x.is_empty())
                    || s.type_.as_deref() == Some("ExternalName"))
            {
                out.push((
                    format!(
                        "Service {} points at a remote istiod (no selector)",
                        r.ns_name()
                    ),
                    Some((r.clone(), r.name_span)),
                ));
            }
        }
    }
    for i in &f.istiods {
        if i.env("EXTERNAL_ISTIOD") == Some("true") {
            out.push((
                format!("istiod {} runs with EXTERNAL_ISTIOD=true", i.res.ns_name()),
                Some((i.res.clone(), i.res.name_span)),
            ));
        }
    }
    if f.istiods.is_empty() && g.results.values().any(|r| r.summary.has_pods_with_sidecar) {
        out.push((
            "pods have sidecars but there is no local istiod".to_string(),
            None,
        ));
    }
    out
}

fn multicluster_rules(g: &Global, out: &mut Vec<Finding>) {
    let f = g.facts;
    let remote = remote_reasons(g);
    for (why, at_) in &remote {
        let mut fi = Finding::new(&rules::PR_MC_005,
            format!("This cluster is a remote / external-control-plane member ({why}); ambient does not support primary-remote. Convert to multi-primary before migrating."),
        );
        if let Some((r, s)) = at_ {
            fi = fi.on_node(r, *s);
        }
        out.push(fi);
    }
    if !f.remote_secrets.is_empty() {
        let clusters: Vec<String> = f
            .remote_secrets
            .iter()
            .map(|s| {
                s.name
                    .trim_start_matches("istio-remote-secret-")
                    .to_string()
            })
            .collect();
        let r = &f.remote_secrets[0];
        let rule = if remote.is_empty() {
            &rules::PR_MC_001
        } else {
            &rules::PR_MC_001_REMOTE
        };
        let fi = Finding::new(rule,
            format!(
                "Multicluster mesh detected (remote secrets for clusters {}); ambient multicluster is alpha and limited to multi-primary, multi-network. Review the ambient multicluster limitations and migrate one cluster at a time.",
                clusters.join(", ")
            ),
        )
        .on_node(r, r.name_span);
        out.push(fi);
    }
    for (rev, m) in &f.mesh_by_rev {
        if !m.networks.is_empty() {
            if let Some(src) = &m.source {
                let span = match &src.body {
                    Body::ConfigMap(c) => c
                        .get_spanned("meshNetworks")
                        .map(|(_, s)| s)
                        .unwrap_or(src.name_span),
                    _ => src.name_span,
                };
                out.push(
                    Finding::new(&rules::PR_MC_003,
                        format!("meshNetworks (revision {rev}) defines networks {}; sidecar multi-network config must be re-done for ambient (topology.istio.io/network + istio-east-west gateway).", m.networks.join(", ")),
                    )
                    .on_node(src, span),
                );
            }
        }
    }
    if let Some(nso) = g.index.namespace_object(&f.istio_ns) {
        if let Some(l) = nso.labels.entry("topology.istio.io/network") {
            out.push(
                Finding::new(
                    &rules::PR_MC_006,
                    format!(
                        "Network \"{}\" configured on namespace {}.",
                        l.value, f.istio_ns
                    ),
                )
                .on_node(nso, l.key_span.cover(l.value_span)),
            );
        }
    }
}

fn spire_rules(g: &Global, out: &mut Vec<Finding>) {
    let f = g.facts;
    for cm in &f.injector_configs {
        let Body::ConfigMap(d) = &cm.body else {
            continue;
        };
        if let Some((k, _, span)) = d.data.iter().find(|(_, v, _)| v.contains("csi.spiffe.io")) {
            out.push(
                Finding::new(&rules::PR_SPIRE_002, format!("Injection config \"{}\" ({k}) has a template that wires SPIRE (csi.spiffe.io) into sidecars; ambient does not support SPIRE.", cm.ns_name()))
                    .on_node(cm, *span),
            );
        }
    }
    let ds: Vec<&Arc<Resource>> = f
        .daemonsets
        .iter()
        .filter(|d| d.name.contains("spire-agent") || d.name.contains("spiffe-csi-driver"))
        .collect();
    let ids: Vec<&Arc<Resource>> = f
        .cluster_objects
        .iter()
        .filter(|r| matches!(r.body, Body::ClusterSpiffeId))
        .collect();
    if let Some(first) = ds.first().or(ids.first()) {
        out.push(
            Finding::new(&rules::PR_SPIRE_003, format!("SPIRE components present ({}); verify SPIRE is not Istio's certificate provider.", first.display()))
                .on_node(first, first.name_span),
        );
    }
}

pub fn global(g: &Global, out: &mut Vec<Finding>) {
    cni_rules(g, out);
    version_rules(g, out);
    multicluster_rules(g, out);
    spire_rules(g, out);
    let _ = json_path;
}
