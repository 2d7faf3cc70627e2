//! PR-MC-005: the cluster is a primary-remote / external-control-plane member, which ambient
//! does not support.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for (why, at) in g.remote_control_plane_signals() {
        let mut fi = Finding::new(
            &rules::PR_MC_005,
            format!("This cluster is a remote / external-control-plane member ({why}); ambient does not support primary-remote. Convert to multi-primary before migrating."),
        );
        if let Some((r, s)) = at {
            fi = fi.on_node(&r, s);
        }
        out.push(fi);
    }
}
