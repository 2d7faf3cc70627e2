//! CS-AMB-007: the istiod that ztunnel asks for certificates (its `CA_ADDRESS`) does not list
//! ztunnel's service account in `CA_TRUSTED_NODE_ACCOUNTS` (`pilot/pkg/features/security.go`:
//! only those accounts may request certificates for other identities on their node; unset means
//! none). The istiod chart sets `<trustedZtunnelNamespace|release ns>/<trustedZtunnelName|ztunnel>`
//! (`templates/deployment.yaml`; `trustedZtunnelName` from 1.25.2 on, before it the name is always
//! `ztunnel`). istiod splits the list on ',' without trimming, so `a, b` never matches `b`.
//! A ztunnel without its own service account runs as `default`: trusting that would let every
//! pod with that account request certificates for its node's identities, so the fix is an own
//! account instead.

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
            // pilot/pkg/features/security.go: strings.Split(accounts, ","), no trimming
            let trusted = value.is_some_and(|v| v.split(',').any(|a| a == account));
            if trusted {
                continue;
            }
            let spaced = value.is_some_and(|v| v.split(',').any(|a| a.trim() == account));
            let now = match value {
                Some(v) if spaced => format!(
                    "CA_TRUSTED_NODE_ACCOUNTS is \"{v}\", which istiod splits on ',' without trimming spaces (pilot/pkg/features/security.go), so the entry for {account} carries a space and never matches"
                ),
                Some(v) => format!("CA_TRUSTED_NODE_ACCOUNTS is \"{v}\""),
                None => {
                    "CA_TRUSTED_NODE_ACCOUNTS is not set (no node agent is trusted)".to_string()
                }
            };
            let zns = &z.namespace;
            let fix = if spaced {
                "Remove the spaces from the list (the istiod chart's trustedZtunnelNamespace/trustedZtunnelName render it without).".to_string()
            } else if sa == "default" {
                format!(
                    "ztunnel runs as its namespace's default service account: do not trust {account}, that would let every pod running as it in {zns} request certificates for the other identities of its node. Give ztunnel its own service account (the ztunnel chart creates \"ztunnel\"), then trust {zns}/<that account> on istiod."
                )
            } else {
                // trustedZtunnelName is read by the istiod chart from 1.25.2 on
                let names = i.version.as_ref().map(|v| v.key() >= (1, 25, 2));
                match names {
                    Some(false) if sa == "ztunnel" => format!(
                        "Set trustedZtunnelNamespace={zns} on the istiod chart (or add {account} to CA_TRUSTED_NODE_ACCOUNTS)."
                    ),
                    Some(false) => format!(
                        "The istiod chart of {} reads no trustedZtunnelName (1.25.2 and later do): set env.CA_TRUSTED_NODE_ACCOUNTS={account} on it, or run ztunnel as service account \"ztunnel\" and set trustedZtunnelNamespace={zns}.",
                        i.version.as_ref().map(|v| v.to_string()).unwrap_or_default()
                    ),
                    _ => format!(
                        "Set trustedZtunnelNamespace={zns} and trustedZtunnelName={sa} on the istiod chart (or add {account} to CA_TRUSTED_NODE_ACCOUNTS)."
                    ),
                }
            };
            out.push(
                Finding::new(
                    &rules::CS_AMB_007,
                    format!(
                        "istiod \"{}\" will not sign certificates for ztunnel {} (service account {account}): {now}. Without them ambient pods on its nodes get no identity and no mTLS. {fix}",
                        i.res.ns_name(),
                        z.ns_name(),
                    ),
                )
                .on_node(&i.res, i.res.name_span)
                .related(z, z.name_span, "the ztunnel DaemonSet"),
            );
        }
    }
}
