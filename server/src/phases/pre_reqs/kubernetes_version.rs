//! PR-VER-007: the cluster's Kubernetes minor is below the minimum of an istiod's Istio release
//! (`MinK8SVersion` of `istioctl/pkg/install/k8sversion/version.go` at that release; IST0142 of
//! `istioctl x precheck`). The version comes from a kube-apiserver Pod or kubeadm's ConfigMap; the kubelets of the Nodes only give a lower bound. When nothing tells,
//! the finding says so instead of guessing.

use crate::analysis::compat::{self, KubeVersion};
use crate::analysis::facts::Istiod;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

/// The strictest requirement among the control planes: (istiod, minimum minor, exact).
fn requirement<'a>(g: &ClusterCtx<'a>) -> Option<(&'a Istiod, u32, bool)> {
    g.facts
        .istiods
        .iter()
        .filter_map(|i| {
            let v = i.version.as_ref()?;
            let (min, exact) = compat::min_kubernetes_minor(v)?;
            Some((i, min, exact))
        })
        .max_by_key(|(_, min, _)| *min)
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some((istiod, min, exact)) = requirement(g) else {
        return;
    };
    let iv = istiod
        .version
        .as_ref()
        .map(|v| v.to_string())
        .unwrap_or_default();
    let needs = format!(
        "Istio {iv} (istiod \"{}\") {} Kubernetes 1.{min}{}",
        istiod.res.ns_name(),
        if exact {
            "requires"
        } else {
            "requires at least"
        },
        if exact {
            " or later"
        } else {
            " (a release newer than the tables of this tool; check its notes)"
        }
    );
    let at_istiod = |f: Finding| f.on_node(&istiod.res, istiod.res.name_span);
    match compat::kubernetes_version(g.index) {
        KubeVersion::Exact {
            version,
            source,
            resource,
        } if version.minor < min => {
            let f = Finding::new(
                &rules::PR_VER_007,
                format!(
                    "Kubernetes {} is below the minimum for Istio {iv}: {needs} ({source}). Upgrade Kubernetes to 1.{min}+ before migrating (istioctl x precheck reports this as IST0142).",
                    version.minor_str()
                ),
            );
            out.push(match resource {
                Some(r) => f
                    .on_node(&r, r.name_span)
                    .related(&istiod.res, istiod.res.name_span, "the control plane"),
                None => at_istiod(f),
            });
        }
        KubeVersion::Exact { .. } => {}
        KubeVersion::AtLeast { version, .. } if version.minor >= min => {}
        KubeVersion::AtLeast {
            version,
            source,
            resource,
        } => {
            let f = Finding::new(
                &rules::PR_VER_007_UNKNOWN,
                format!(
                    "The Kubernetes version could not be determined: {source}, so the API server runs {} or later, and {needs}. Check the server version with `kubectl version`.",
                    version.minor_str()
                ),
            );
            out.push(match resource {
                Some(r) => f
                    .on_node(&r, r.name_span)
                    .related(&istiod.res, istiod.res.name_span, "the control plane"),
                None => at_istiod(f),
            });
        }
        KubeVersion::Unknown => out.push(at_istiod(Finding::new(
            &rules::PR_VER_007_UNKNOWN,
            format!(
                "The Kubernetes version could not be determined from the input (no kube-apiserver Pod, kubeadm-config ConfigMap or Node); {needs}. Check the server version with `kubectl version`."
            ),
        ))),
    }
}
