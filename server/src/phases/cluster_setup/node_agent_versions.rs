//! CS-AMB-008: ztunnel or istio-cni outside the skew Istio supports with its control plane. The
//! upgrade guides: "The ztunnel at version 1.x is generally compatible with the control plane
//! at version 1.x+1 and 1.x" (istio.io `ambient/upgrade/helm`), the same for the CNI node agent;
//! so the control plane is upgraded first and the node agents follow within one minor. Also a
//! ztunnel installed for a revision (`istio.io/rev` annotation, the ztunnel chart's `revision`)
//! that has no control plane. A node agent labelled for a revision (`istio.io/rev`) is compared
//! with that revision's istiods only (a canary upgrade runs two).

use std::sync::Arc;

use crate::analysis::facts::{address_service, agent_address, Istiod};
use crate::analysis::mesh::proxy_version;
use crate::analysis::version::Version;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::{Body, Resource};
use crate::rules;

/// The image version of a node agent's main container.
fn agent_version(d: &Resource, container: &str) -> Option<Version> {
    let Body::Workload(w) = &d.body else {
        return None;
    };
    w.containers
        .iter()
        .find(|c| c.name == container)
        .and_then(proxy_version)
}

/// Why `agent` is outside the supported skew with `cp`, if it is.
fn skew(agent: &Version, cp: &Version) -> Option<&'static str> {
    if agent.major != cp.major {
        return None;
    }
    if agent.minor > cp.minor {
        Some("newer than its control plane (upgrade istiod first)")
    } else if cp.minor > agent.minor + 1 {
        Some("more than one minor release behind its control plane")
    } else {
        None
    }
}

/// The revision a node agent was installed for (`istio.io/rev` label or annotation, on the
/// DaemonSet or its pods).
fn own_revision(d: &Resource) -> Option<&str> {
    d.labels
        .get("istio.io/rev")
        .or_else(|| d.annotations.get("istio.io/rev"))
        .or_else(|| match &d.body {
            Body::Workload(w) => w
                .pod_labels
                .get("istio.io/rev")
                .or_else(|| w.pod_annotations.get("istio.io/rev")),
            _ => None,
        })
}

/// The istiods of a node agent's own revision, else every istiod.
fn revision_istiods<'a>(g: &ClusterCtx<'a>, d: &Resource) -> Vec<&'a Istiod> {
    let f = g.facts;
    let own: Vec<&Istiod> = match own_revision(d) {
        Some(rev) => {
            let rev = f.resolve_rev(rev);
            f.istiods.iter().filter(|i| i.revision == rev).collect()
        }
        None => Vec::new(),
    };
    if own.is_empty() {
        f.istiods.iter().collect()
    } else {
        own
    }
}

/// The istiods a ztunnel talks to (its XDS address), else those of its revision.
fn ztunnel_istiods<'a>(g: &ClusterCtx<'a>, z: &Resource) -> Vec<&'a Istiod> {
    let f = g.facts;
    let behind = agent_address(z, "XDS_ADDRESS")
        .and_then(|(addr, _)| address_service(addr, &z.namespace))
        .and_then(|(ns, name)| g.index.find("", "Service", &ns, &name))
        .map(|s| f.istiods_behind(s))
        .unwrap_or_default();
    if behind.is_empty() {
        revision_istiods(g, z)
    } else {
        behind
    }
}

fn report(
    out: &mut Vec<Finding>,
    what: &str,
    d: &Arc<Resource>,
    dv: &Version,
    istiods: &[&Istiod],
) {
    for i in istiods {
        let Some(cv) = &i.version else { continue };
        if let Some(why) = skew(dv, cv) {
            out.push(
                Finding::new(
                    &rules::CS_AMB_008,
                    format!(
                        "{what} {} runs {dv}, {why}: istiod \"{}\" runs {cv}. Node agents are supported at the control plane's minor or one below; upgrade them in place after istiod (they have no canary revision).",
                        d.ns_name(),
                        i.res.ns_name()
                    ),
                )
                .on_node(d, d.name_span)
                .related(&i.res, i.res.name_span, "the control plane"),
            );
        }
    }
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    if f.istiods.is_empty() {
        return;
    }
    for z in &f.ztunnels {
        let rev = z.annotations.get("istio.io/rev").or_else(|| match &z.body {
            Body::Workload(w) => w.pod_annotations.get("istio.io/rev"),
            _ => None,
        });
        if let Some(rev) = rev {
            if !f.revision_exists(f.resolve_rev(rev)) {
                out.push(
                    Finding::new(
                        &rules::CS_AMB_008,
                        format!(
                            "ztunnel {} was installed for revision \"{rev}\", which has no control plane (revisions: {}). Reinstall it with the revision of an ambient-enabled istiod.",
                            z.ns_name(),
                            f.istiods.iter().map(|i| i.revision.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .on_node(z, z.name_span),
                );
            }
        }
        if let Some(v) = agent_version(z, "istio-proxy") {
            report(out, "ztunnel", z, &v, &ztunnel_istiods(g, z));
        }
    }
    for c in &f.cnis {
        if let Some(v) = agent_version(c, "install-cni") {
            report(out, "istio-cni", c, &v, &revision_istiods(g, c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_skew() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(skew(&v("1.26.3"), &v("1.26.0")), None);
        assert_eq!(skew(&v("1.25.2"), &v("1.26.0")), None);
        assert!(skew(&v("1.24.2"), &v("1.26.0")).is_some());
        assert!(skew(&v("1.27.0"), &v("1.26.3")).is_some());
    }
}
