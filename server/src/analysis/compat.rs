//! What each Istio release requires of the cluster and was built against, read from Istio's
//! sources at every release tag (`git show <tag>:…` on istio/istio, 1.22.0 … 1.30.3 and master):
//!
//! * the minimum Kubernetes minor: `istioctl/pkg/install/k8sversion/version.go`
//!   `MinK8SVersion` (what `istioctl install` warns about and `istioctl x precheck` reports as
//!   IST0142). It changed inside two patch series (1.25.1, 1.28.2), hence the patch column;
//! * the Gateway API module istiod was compiled with: `go.mod` `sigs.k8s.io/gateway-api`;
//! * the minimum `gateway.networking.k8s.io/bundle-version` per Gateway API CRD below which
//!   istiod's CRD watcher ignores the CRD (so every object of that kind):
//!   `pkg/kube/kclient/crdwatcher.go` `minimumCRDVersions` (1.22 – 1.30.2), then
//!   `pkg/config/schema/gatewayapi/minimumversions.go` (1.30.3, master), reported by
//!   `istioctl analyze` as IST0176 from 1.30.1.
//!
//! And where the Kubernetes version of the cluster can be read from.

use std::sync::Arc;

use super::version::Version;
use crate::index::Index;
use crate::model::{Body, Resource};

/// `(Istio minor, first patch, minimum Kubernetes minor)`, in order.
const MIN_KUBERNETES: &[(u32, u32, u32)] = &[
    (22, 0, 26),
    (23, 0, 26),
    (24, 0, 28),
    (25, 0, 28),
    (25, 1, 29),
    (26, 0, 29),
    (27, 0, 29),
    (28, 0, 29),
    (28, 2, 30),
    (29, 0, 30),
    (30, 0, 32),
];

/// The newest minor the tables were read for (1.31 is master at the time of reading).
const NEWEST_KNOWN_MINOR: u32 = 30;

/// A row of a per-release table for an Istio version: the last row of its minor whose first
/// patch is at or below its patch (a version without a patch counts as the highest patch, as
/// Istio's own parser does). `exact` is false for a minor newer than the tables.
fn row<T: Copy>(table: &[(u32, u32, T)], v: &Version) -> Option<(T, bool)> {
    if v.major != 1 {
        return None;
    }
    let patch = v.patch.unwrap_or(u32::MAX);
    if v.minor > NEWEST_KNOWN_MINOR {
        return table.last().map(|r| (r.2, false));
    }
    table
        .iter()
        .rev()
        .find(|(minor, first, _)| *minor == v.minor && *first <= patch)
        .map(|r| (r.2, true))
}

/// The minimum Kubernetes minor (`1.<minor>`) of an Istio version, and whether the tables know
/// that version (`false`: newer than the tables, the minimum is at least this).
pub fn min_kubernetes_minor(istio: &Version) -> Option<(u32, bool)> {
    row(MIN_KUBERNETES, istio)
}

/// `(Istio minor, first patch, Gateway API module version)`.
const GATEWAY_API_MODULE: &[(u32, u32, &str)] = &[
    (24, 0, "v1.2.0"),
    (24, 2, "v1.2.1"),
    (25, 0, "v1.2.1"),
    (26, 0, "v1.3.0-rc.1"),
    (26, 1, "v1.3.0"),
    (27, 0, "v1.3.0"),
    (28, 0, "v1.4.0"),
    (28, 7, "v1.4.1"),
    (29, 0, "v1.4.0"),
    (29, 3, "v1.4.1"),
    (30, 0, "v1.5.1"),
];

/// The Gateway API release an Istio version was built against (`None` outside the tables).
pub fn gateway_api_built_against(istio: &Version) -> Option<&'static str> {
    match row(GATEWAY_API_MODULE, istio) {
        Some((g, true)) => Some(g),
        _ => None,
    }
}

/// `(CRD name, minimum bundle version, first Istio minor that requires it)`.
const CRD_MINIMUMS: &[(&str, &str, u32)] = &[
    ("grpcroutes.gateway.networking.k8s.io", "1.1.0", 22),
    ("backendtlspolicies.gateway.networking.k8s.io", "1.4.0", 28),
    ("tlsroutes.gateway.networking.k8s.io", "1.5.0", 30),
    // master (1.31 pre-releases)
    ("tcproutes.gateway.networking.k8s.io", "1.6.0", 31),
];

/// The minimum bundle version an Istio version requires of a Gateway API CRD, if any.
pub fn crd_minimum(istio: &Version, crd: &str) -> Option<&'static str> {
    if istio.major != 1 {
        return None;
    }
    CRD_MINIMUMS
        .iter()
        .find(|(name, _, since)| *name == crd && istio.minor >= *since)
        .map(|(_, min, _)| *min)
}

/// A semantic version `MAJOR.MINOR.PATCH` of a bundle-version annotation, pre-release dropped
/// ("rounded up", as istiod does: `v1.3.0-rc.1` counts as 1.3.0). `None` when it does not parse
/// (istiod then ignores the CRD).
pub fn bundle_semver(s: &str) -> Option<(u32, u32, u32)> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let core = t.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// How the Kubernetes version of the cluster is known.
#[derive(Clone, Debug, PartialEq)]
pub enum KubeVersion {
    /// The API server's version: a kube-apiserver static Pod's image, or kubeadm's
    /// `ClusterConfiguration`.
    Exact {
        version: Version,
        source: String,
        resource: Option<Arc<Resource>>,
    },
    /// Only the kubelets are known: the API server is at least as new as the newest kubelet
    /// (Kubernetes version skew policy: a kubelet is never newer than its API server).
    AtLeast {
        version: Version,
        source: String,
        resource: Option<Arc<Resource>>,
    },
    Unknown,
}

fn parse_k8s(s: &str) -> Option<Version> {
    Version::parse(s).filter(|v| v.major == 1)
}

/// The kube-apiserver static Pod's version (kubeadm, kind, k3d do not hide the control plane).
fn apiserver_pod(index: &Index) -> Option<(Version, Arc<Resource>)> {
    index.ns("kube-system").find_map(|r| {
        let Body::Workload(w) = &r.body else {
            return None;
        };
        if r.kind != "Pod" || w.pod_labels.get("component") != Some("kube-apiserver") {
            return None;
        }
        let c = w.containers.iter().find(|c| c.name == "kube-apiserver")?;
        Some((parse_k8s(c.image_tag()?)?, r.clone()))
    })
}

/// kubeadm's `kube-system/kubeadm-config` ConfigMap: `ClusterConfiguration.kubernetesVersion`.
fn kubeadm_config(index: &Index) -> Option<(Version, Arc<Resource>)> {
    let r = index.find("", "ConfigMap", "kube-system", "kubeadm-config")?;
    let Body::ConfigMap(cm) = &r.body else {
        return None;
    };
    let text = cm.get("ClusterConfiguration")?;
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("kubernetesVersion:"))?;
    let v = line.trim().trim_matches(['"', '\'']);
    Some((parse_k8s(v)?, r.clone()))
}

/// The newest kubelet among the Nodes.
fn newest_kubelet(index: &Index) -> Option<(Version, Arc<Resource>)> {
    index
        .ns("")
        .filter_map(|r| match &r.body {
            Body::Node(n) => Some((parse_k8s(n.kubelet_version.as_deref()?)?, r.clone())),
            _ => None,
        })
        .max_by(|a, b| {
            a.0.key()
                .cmp(&b.0.key())
                .then_with(|| b.1.name.cmp(&a.1.name))
        })
}

/// The Kubernetes version of the cluster, from the best source the input has. (A live
/// cluster's `GET /version` is not read: it is not an object, so a dump of the cluster re-read
/// offline would give another result.)
pub fn kubernetes_version(index: &Index) -> KubeVersion {
    if let Some((v, r)) = apiserver_pod(index) {
        return KubeVersion::Exact {
            source: format!("kube-apiserver Pod {} runs {}", r.ns_name(), v.raw),
            version: v,
            resource: Some(r),
        };
    }
    if let Some((v, r)) = kubeadm_config(index) {
        return KubeVersion::Exact {
            source: format!("kubeadm ClusterConfiguration says {}", v.raw),
            version: v,
            resource: Some(r),
        };
    }
    if let Some((v, r)) = newest_kubelet(index) {
        return KubeVersion::AtLeast {
            source: format!("the newest kubelet (Node {}) runs {}", r.name, v.raw),
            version: v,
            resource: Some(r),
        };
    }
    KubeVersion::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn minimum_kubernetes_per_release_and_patch() {
        assert_eq!(min_kubernetes_minor(&v("1.25.0")), Some((28, true)));
        assert_eq!(min_kubernetes_minor(&v("1.25.1")), Some((29, true)));
        assert_eq!(
            min_kubernetes_minor(&v("1.26.3-distroless")),
            Some((29, true))
        );
        assert_eq!(min_kubernetes_minor(&v("1.28.1")), Some((29, true)));
        assert_eq!(min_kubernetes_minor(&v("1.28.2-solo")), Some((30, true)));
        // no patch: Istio's parser takes the highest
        assert_eq!(min_kubernetes_minor(&v("release-1.28")), Some((30, true)));
        assert_eq!(min_kubernetes_minor(&v("1.30.3")), Some((32, true)));
        assert_eq!(min_kubernetes_minor(&v("1.31.0")), Some((32, false)));
        assert_eq!(min_kubernetes_minor(&v("1.21.0")), None);
    }

    #[test]
    fn gateway_api_pairing_and_crd_minimums() {
        assert_eq!(gateway_api_built_against(&v("1.26.0")), Some("v1.3.0-rc.1"));
        assert_eq!(gateway_api_built_against(&v("1.26.3")), Some("v1.3.0"));
        assert_eq!(gateway_api_built_against(&v("1.28.7")), Some("v1.4.1"));
        assert_eq!(gateway_api_built_against(&v("1.31.0")), None);
        let grpc = "grpcroutes.gateway.networking.k8s.io";
        let tls = "tlsroutes.gateway.networking.k8s.io";
        assert_eq!(crd_minimum(&v("1.26.3"), grpc), Some("1.1.0"));
        assert_eq!(crd_minimum(&v("1.26.3"), tls), None);
        assert_eq!(crd_minimum(&v("1.30.0"), tls), Some("1.5.0"));
        assert_eq!(bundle_semver("v1.3.0-rc.1"), Some((1, 3, 0)));
        assert_eq!(bundle_semver("v1.0.0"), Some((1, 0, 0)));
        assert_eq!(bundle_semver("v1.2"), Some((1, 2, 0)));
        assert_eq!(bundle_semver("main"), None);
    }
}
