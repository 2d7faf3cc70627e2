//! CS-AMB-002: the mesh config of a revision does not enable HBONE for proxies (a warning when
//! the mesh config is not in the input).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for i in &g.facts.istiods {
        let mesh = g.facts.mesh_for(&i.revision);
        match &mesh.source {
            None => out.push(
                Finding::new(
                    &rules::CS_AMB_002_UNVERIFIED,
                    format!(
                        "Cannot verify that the mesh config of revision \"{}\" enables HBONE: ConfigMap {}/{} is not in the input.",
                        i.revision,
                        i.res.namespace,
                        if i.revision == "default" { "istio".to_string() } else { format!("istio-{}", i.revision) }
                    ),
                )
                .on_node(&i.res, i.res.name_span),
            ),
            Some(cm) if mesh.hbone.as_deref() != Some("true") => {
                let span = match &cm.body {
                    Body::ConfigMap(c) => c.get_spanned("mesh").map(|(_, s)| s).unwrap_or(cm.name_span),
                    _ => cm.name_span,
                };
                out.push(
                    Finding::new(
                        &rules::CS_AMB_002,
                        format!(
                            "Mesh config for revision \"{}\" does not enable HBONE for proxies (defaultConfig.proxyMetadata.ISTIO_META_ENABLE_HBONE); newly injected sidecars cannot talk to ambient workloads. Upgrade with --set profile=ambient.",
                            i.revision
                        ),
                    )
                    .on_node(cm, span),
                );
            }
            Some(_) => {}
        }
    }
}
