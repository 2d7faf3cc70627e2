//! CS-AMB-007: the istiod that ztunnel asks for certificates (its `CA_ADDRESS`) does not list
//! ztunnel's service account in `CA_TRUSTED_NODE_ACCOUNTS` (`pilot/pkg/features/security.go`:
//! only those accounts may request certificates for other identities on their node; unset means
//! none). The istiod chart sets `<trustedZtunnelNamespace|release ns>/<trustedZtunnelName|ztunnel>`
//! (`templates/deployment.yaml`).

use crate::analysis::facts::{address_service, agent_address, Istiod};
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    for z in &f.ztunnels {
        let Body::Workload(w) = &z.body else { continue };
        let Some((addr, _)) = agent_address(z, "CA_ADDRESS") else {
            continue;
        };
        let Some((ns, name)) = address_service(addr, &z.namespace) else {
            continue;
        };
        let Some(svc) = g.index.find("", "Service", &ns, &name) else {
            continue; // CS-AMB-006
        };
        let sa = w.service_account.as_deref().unwrap_or("default");
        let account = format!("{}/{sa}", z.namespace);
        let istiods: Vec<&Istiod> = f.istiods_behind(svc);
        for i in istiods {
            let discovery = match &i.res.body {
                Body::Workload(iw) => iw.containers.iter().find(|c| c.name == "discovery"),
                _ => None,
            };
            if discovery.is_some_and(|c| c.has_env("CA_TRUSTED_NODE_ACCOUNTS"))
                && i.env("CA_TRUSTED_NODE_ACCOUNTS").is_none()
            {
                continue; // set through valueFrom: not readable here
            }
            let value = i.env("CA_TRUSTED_NODE_ACCOUNTS");
            let trusted = value.is_some_and(|v| v.split(',').any(|a| a.trim() == account));
            if trusted {
                continue;
            }
            let now = match value {
                Some(v) => format!("CA_TRUSTED_NODE_ACCOUNTS is \"{v}\""),
                None => {
                    "CA_TRUSTED_NODE_ACCOUNTS is not set (no node agent is trusted)".to_string()
                }
            };
            out.push(
                Finding::new(
                    &rules::CS_AMB_007,
                    format!(
                        "istiod \"{}\" will not sign certificates for ztunnel {} (service account {account}): {now}. Without them ambient pods on its nodes get no identity and no mTLS. Set trustedZtunnelNamespace={} and trustedZtunnelName={sa} on the istiod chart (or add {account} to CA_TRUSTED_NODE_ACCOUNTS).",
                        i.res.ns_name(),
                        z.ns_name(),
                        z.namespace
                    ),
                )
                .on_node(&i.res, i.res.name_span)
                .related(z, z.name_span, "the ztunnel DaemonSet"),
            );
        }
    }
}
