//! Phase `cluster-setup`: ambient enabled in istiod and istio-cni, node agents deployed,
//! sidecars able to speak HBONE, Gateway API CRDs, injection webhooks.

use super::prereqs::{proxy_version, sidecar_revision};
use super::{Global, NsCtx};
use crate::analysis::mesh::is_gateway_pod;
use crate::finding::Finding;
use crate::model::{Body, LabelSelector};
use crate::rules;

/// Whether a sidecar container can speak HBONE.
fn has_hbone(w: &crate::model::Workload) -> bool {
    if w.pod_labels.has("networking.istio.io/tunnel") {
        return true;
    }
    let Some(p) = w.istio_proxy() else {
        return false;
    };
    if p.env("ISTIO_META_ENABLE_HBONE") == Some("true") {
        return true;
    }
    if let Some(cfg) = p.env("PROXY_CONFIG") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(cfg) {
            if v.pointer("/proxyMetadata/ISTIO_META_ENABLE_HBONE")
                .and_then(|x| x.as_str())
                == Some("true")
            {
                return true;
            }
        }
    }
    false
}

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.v.resources.clone() {
        if r.kind != "Pod" {
            continue;
        }
        let Body::Workload(w) = &r.body else { continue };
        let sidecar = w.pod_annotations.has("sidecar.istio.io/status") || w.istio_proxy().is_some();
        if !sidecar || is_gateway_pod(&w.pod_labels, &w.pod_annotations, w) {
            continue;
        }
        let span = w.istio_proxy().map(|c| c.span).unwrap_or(r.name_span);
        if !has_hbone(w) {
            ctx.emit(
                Finding::new(&rules::CS_SC_001,
                    format!("Sidecar {} is missing 'ENABLE_HBONE'. Upgrade Istio with '--set profile=ambient' and restart the pod.", r.ns_name()),
                )
                .on_node(&r, span),
            );
        }
        let rev = sidecar_revision(w);
        let resolved = ctx.facts.resolve_rev(&rev).to_string();
        if let Some(cp) = ctx.facts.istiods.iter().find(|i| i.revision == resolved) {
            let mesh_hbone = ctx.facts.mesh_for(&cp.revision).hbone.as_deref() == Some("true");
            if !cp.ambient_enabled()
                || (ctx.facts.mesh_for(&cp.revision).source.is_some() && !mesh_hbone)
            {
                ctx.emit(
                    Finding::new(&rules::CS_SC_002, format!("Sidecar {} is managed by revision \"{rev}\" that is not ambient-enabled. Upgrade that revision or relabel the namespace to an ambient-enabled revision/tag.", r.ns_name()))
                        .on_node(&r, span),
                );
            }
        }
        if let Some(v) = w.istio_proxy().and_then(proxy_version) {
            if !v.at_least(1, 25) {
                ctx.emit(Finding::new(&rules::CS_SC_003, format!("Sidecar proxy {v} of {} is too old for ambient interop; restart it after the upgrade.", r.ns_name())).on_node(&r, span));
            }
        }
    }
}

/// istioctl's webhook permutation check (IST0139): two injectors must never both match the
/// same namespace/pod labels.
fn webhook_overlap(g: &Global, out: &mut Vec<Finding>) {
    let f = g.facts;
    let mut hooks: Vec<(
        String,
        &std::sync::Arc<crate::model::Resource>,
        &crate::model::Webhook,
    )> = Vec::new();
    let mut revisions: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for r in &f.injectors {
        let Body::MutatingWebhook(c) = &r.body else {
            continue;
        };
        if let Some(rv) = r.labels.get("istio.io/rev") {
            revisions.insert(rv.to_string());
        }
        for h in &c.webhooks {
            for sel in [&h.namespace_selector, &h.object_selector]
                .into_iter()
                .flatten()
            {
                if let Some(v) = sel.match_labels.get("istio.io/rev") {
                    revisions.insert(v.to_string());
                }
                for e in &sel.expressions {
                    if e.key == "istio.io/rev" {
                        revisions.extend(e.values.iter().cloned());
                    }
                }
            }
            hooks.push((format!("{}/{}", r.name, h.name), r, h));
        }
    }
    let base_ns: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("istio-injection", "enabled".into())],
        vec![("istio-injection", "disabled".into())],
    ];
    let base_obj: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("sidecar.istio.io/inject", "true".into())],
        vec![("sidecar.istio.io/inject", "false".into())],
    ];
    let mut ns_sets = base_ns.clone();
    let mut obj_sets = base_obj.clone();
    for rev in &revisions {
        for b in &base_ns {
            let mut x = b.clone();
            x.push(("istio.io/rev", rev.clone()));
            ns_sets.push(x);
        }
        for b in &base_obj {
            let mut x = b.clone();
            x.push(("istio.io/rev", rev.clone()));
            obj_sets.push(x);
        }
    }
    let matches = |sel: &Option<LabelSelector>, labels: &[(&str, String)]| -> bool {
        match sel {
            None => true,
            Some(s) => {
                let pairs: Vec<(&str, &str)> =
                    labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
                s.matches_pairs(&pairs)
            }
        }
    };
    let mut reported: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for nl in &ns_sets {
        for ol in &obj_sets {
            let m: Vec<&(
                String,
                &std::sync::Arc<crate::model::Resource>,
                &crate::model::Webhook,
            )> = hooks
                .iter()
                .filter(|(_, _, h)| {
                    matches(&h.namespace_selector, nl) && matches(&h.object_selector, ol)
                })
                .collect();
            if m.len() > 1 {
                for (name, r, h) in &m {
                    if !reported.insert(name.clone()) {
                        continue;
                    }
                    let others: Vec<&str> = m
                        .iter()
                        .filter(|(n, _, _)| n != name)
                        .map(|(n, _, _)| n.as_str())
                        .collect();
                    out.push(
                        Finding::new(&rules::CS_WH_001, format!("Webhook overlaps with others: {}. This may cause injection to occur twice. Remove stale injectors or revision tags.", others.join(", ")))
                            .on_node(r, h.span),
                    );
                }
            }
        }
    }
    // CS-WH-002: injector refers to a missing control plane Service
    for (_, r, h) in &hooks {
        if let Some(s) = &h.service {
            if g.index.find("", "Service", &s.namespace, &s.name).is_none() {
                out.push(
                    Finding::new(&rules::CS_WH_002, format!("Injector refers to a control plane service that does not exist: {}/{} (include it in the input if it exists).", s.namespace, s.name))
                        .on_node(r, h.span),
                );
            }
        }
    }
}

pub fn global(g: &Global, out: &mut Vec<Finding>) {
    let f = g.facts;
    // ---- Ambient mode is enabled
    for i in &f.istiods {
        if !i.ambient_enabled() {
            let r = &i.res;
            out.push(
                Finding::new(&rules::CS_AMB_001,
                    format!("istiod {} must have 'PILOT_ENABLE_AMBIENT=true'. Upgrade Istio with '--set profile=ambient'.", r.ns_name()),
                )
                .on_node(r, r.name_span),
            );
        }
        let mesh = f.mesh_for(&i.revision);
        match &mesh.source {
            None => out.push(
                Finding::new(&rules::CS_AMB_002_UNVERIFIED,
                    format!(
                        "Cannot verify that the mesh config of revision \"{}\" enables HBONE: ConfigMap {}/{} is not in the input.",
                        i.revision,
                        i.res.namespace,
                        if i.revision == "default" { "istio".to_string() } else { format!("istio-{}", i.revision) }
                    ),
                )
                .on_node(&i.res, i.res.name_span),
            ),
            Some(cm) => {
                if mesh.hbone.as_deref() != Some("true") {
                    let span = match &cm.body {
                        Body::ConfigMap(c) => c.get_spanned("mesh").map(|(_, s)| s).unwrap_or(cm.name_span),
                        _ => cm.name_span,
                    };
                    out.push(
                        Finding::new(&rules::CS_AMB_002,
                            format!(
                                "Mesh config for revision \"{}\" does not enable HBONE for proxies (defaultConfig.proxyMetadata.ISTIO_META_ENABLE_HBONE); newly injected sidecars cannot talk to ambient workloads. Upgrade with --set profile=ambient.",
                                i.revision
                            ),
                        )
                        .on_node(cm, span),
                    );
                }
            }
        }
    }
    for cni in &f.cnis {
        let cms: Vec<_> = f
            .cni_configs
            .iter()
            .filter(|c| c.namespace == cni.namespace)
            .collect();
        if cms.is_empty() {
            out.push(
                Finding::new(&rules::CS_AMB_003_UNVERIFIED, format!("Cannot verify ambient support of istio-cni {}: its ConfigMap (istio-cni-config) is not in the input.", cni.ns_name()))
                    .on_node(cni, cni.name_span),
            );
        }
        for cm in cms {
            let Body::ConfigMap(c) = &cm.body else {
                continue;
            };
            if c.get("AMBIENT_ENABLED") != Some("true") {
                let span = c
                    .get_spanned("AMBIENT_ENABLED")
                    .map(|(_, s)| s)
                    .unwrap_or(cm.name_span);
                out.push(
                    Finding::new(&rules::CS_AMB_003, format!("istio-cni is installed without ambient support (ConfigMap {} AMBIENT_ENABLED is not \"true\"). helm upgrade istio-cni … --set profile=ambient.", cm.ns_name()))
                        .on_node(cm, span),
                );
            }
        }
    }
    if f.cnis.is_empty() {
        if let Some(l) = g
            .results
            .values()
            .find_map(|r| r.summary.flags.get("istio-init").copied())
        {
            let mut fi = Finding::new(&rules::CS_AMB_004, "Istio CNI node agent not installed (sidecars use istio-init). Install the istio/cni chart with profile=ambient.");
            fi.location = Some(l);
            out.push(fi);
        }
    }
    // ---- DaemonSets are deployed (only meaningful when a control plane is present)
    if !f.istiods.is_empty() {
        if f.ztunnels.is_empty() {
            let mut fi = Finding::new(&rules::CS_DS_001, "ztunnel not found. Install it: helm install ztunnel istio/ztunnel -n istio-system (include its DaemonSet in --from-files if it exists).");
            fi = fi.on_node(&f.istiods[0].res, f.istiods[0].res.name_span);
            out.push(fi);
        }
        if f.cnis.is_empty() {
            let fi = Finding::new(&rules::CS_DS_002, "istio-cni node agent not found. Install the istio/cni chart with profile=ambient (include its DaemonSet in --from-files if it exists).")
                .on_node(&f.istiods[0].res, f.istiods[0].res.name_span);
            out.push(fi);
        }
    }
    for d in f.ztunnels.iter().chain(f.cnis.iter()) {
        let Body::Workload(w) = &d.body else { continue };
        match &w.ds_status {
            None => out.push(
                Finding::new(&rules::CS_DS_003_UNVERIFIED, format!("DaemonSet {} readiness is not verifiable offline (no status in the input).", d.ns_name()))
                    .on_node(d, d.name_span),
            ),
            Some(st) => {
                let desired = st.desired.unwrap_or(0);
                let ready = st.ready.unwrap_or(0);
                let bad = ready < desired
                    || st.updated.is_some_and(|u| u < desired)
                    || st.unavailable.unwrap_or(0) > 0
                    || matches!((st.observed_generation, w.generation), (Some(o), Some(g)) if o < g);
                if bad {
                    out.push(
                        Finding::new(&rules::CS_DS_003, format!("DaemonSet {}: {ready}/{desired} ready. Inspect its failing pods (quota on GKE, paths, privileges).", d.ns_name()))
                            .on_node(d, d.name_span),
                    );
                }
            }
        }
    }
    // ---- Required CRDs are installed
    let present = g.index.group_count("gateway.networking.k8s.io") > 0;
    let gw = &f.gateway_api;
    let core_missing: Vec<&str> = [
        "gateways.gateway.networking.k8s.io",
        "gatewayclasses.gateway.networking.k8s.io",
    ]
    .into_iter()
    .filter(|n| !gw.installed(n, present))
    .collect();
    if !core_missing.is_empty() {
        let mut fi = Finding::new(
            &rules::CS_CRD_001,
            if gw.has_gateway_crds() {
                format!("Gateway API CRDs not found: {}.", core_missing.join(", "))
            } else {
                "Gateway API CRDs not found.".to_string()
            },
        );
        fi = fi.detail("kubectl get crd gateways.gateway.networking.k8s.io || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml");
        out.push(fi);
    }
    if gw.has_gateway_crds() {
        for name in [
            "httproutes.gateway.networking.k8s.io",
            "grpcroutes.gateway.networking.k8s.io",
            "referencegrants.gateway.networking.k8s.io",
        ] {
            if !gw.crds.contains_key(name) {
                out.push(Finding::new(
                    &rules::CS_CRD_002,
                    format!("Gateway API CRD {name} missing; install the standard channel."),
                ));
            }
        }
        for (name, crd) in &gw.crds {
            let Body::Crd(c) = &crd.body else { continue };
            let span = c.versions_span.unwrap_or(crd.name_span);
            if matches!(
                c.plural.as_str(),
                "gateways" | "gatewayclasses" | "httproutes" | "referencegrants"
            ) && !c.serves("v1beta1")
                && !c.versions.is_empty()
            {
                out.push(
                    Finding::new(&rules::CS_CRD_003, format!("The Gateway API CRD {name} does not serve v1beta1 (IST0156); upgrade the Gateway API CRDs."))
                        .on_node(crd, span),
                );
            }
            if matches!(
                c.plural.as_str(),
                "gateways" | "gatewayclasses" | "httproutes" | "grpcroutes"
            ) && !c.serves("v1")
                && !c.versions.is_empty()
            {
                out.push(
                    Finding::new(&rules::CS_CRD_003_V1, format!("The Gateway API CRD {name} does not serve v1 (IST0172); upgrade the Gateway API CRDs."))
                        .on_node(crd, span),
                );
            }
        }
    }
    webhook_overlap(g, out);
}
