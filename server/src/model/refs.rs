//! Cross-namespace references of a resource, for incremental re-analysis: which namespaces (or
//! external hosts) a resource's analysis reads, and which hosts it provides.

use super::{Body, Resource};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefKey {
    /// Something in this namespace.
    Ns(String),
    /// An external (ServiceEntry) host name.
    Host(String),
    /// Every namespace (wildcard hosts such as `*.cluster.local`).
    All,
}

#[derive(Clone, Debug, Default)]
pub struct Refs {
    pub uses: Vec<RefKey>,
    pub provides: Vec<RefKey>,
}

/// The namespace a host names, if it is a cluster-local service name:
/// `<svc>.<ns>.svc[.<domain>]` or `*.<ns>.svc[.<domain>]`. Short names → `own_ns`.
pub fn host_ref(host: &str, own_ns: &str) -> Option<RefKey> {
    if host.is_empty() {
        return None;
    }
    if host == "*"
        || host == "*.svc.cluster.local"
        || host == "*.cluster.local"
        || host == "*.local"
        || host.starts_with("*.svc.")
    {
        return Some(RefKey::All);
    }
    if !host.contains('.') {
        return Some(RefKey::Ns(own_ns.to_string()));
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() >= 3 && parts[2] == "svc" {
        return Some(RefKey::Ns(parts[1].to_string()));
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    Some(RefKey::Host(host.to_ascii_lowercase()))
}

pub fn refs_of(r: &Resource) -> Refs {
    let mut out = Refs::default();
    let ns = r.namespace.as_str();
    let add = |k: Option<RefKey>, out: &mut Refs| {
        if let Some(k) = k {
            if k != RefKey::Ns(ns.to_string()) && !out.uses.contains(&k) {
                out.uses.push(k);
            }
        }
    };
    if let Some(w) = r.labels.get("istio.io/use-waypoint-namespace") {
        add(Some(RefKey::Ns(w.to_string())), &mut out);
    }
    match &r.body {
        Body::Namespace => {
            // a Namespace object belongs to the namespace it names
        }
        Body::Workload(w) => {
            if let Some(x) = w.pod_labels.get("istio.io/use-waypoint-namespace") {
                add(Some(RefKey::Ns(x.to_string())), &mut out);
            }
        }
        Body::VirtualService(vs) => {
            for h in &vs.hosts {
                add(host_ref(&h.value, ns), &mut out);
            }
            for route in vs
                .http
                .iter()
                .map(|h| &h.destinations)
                .chain(vs.tcp.iter().map(|t| &t.destinations))
                .chain(vs.tls.iter().map(|t| &t.destinations))
            {
                for d in route {
                    add(host_ref(&d.host, ns), &mut out);
                }
            }
        }
        Body::DestinationRule(dr) => {
            if let Some(h) = &dr.host {
                add(host_ref(&h.value, ns), &mut out);
            }
        }
        Body::Route(rt) => {
            for p in &rt.parent_refs {
                if let Some(pns) = &p.r.namespace {
                    add(Some(RefKey::Ns(pns.clone())), &mut out);
                }
            }
            for b in &rt.backend_refs {
                if let Some(bns) = &b.namespace {
                    add(Some(RefKey::Ns(bns.clone())), &mut out);
                }
            }
        }
        Body::ServiceEntry(se) => {
            for h in &se.hosts {
                let k = RefKey::Host(h.value.to_ascii_lowercase());
                if !out.provides.contains(&k) {
                    out.provides.push(k);
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_ref("reviews", "a"), Some(RefKey::Ns("a".into())));
        assert_eq!(
            host_ref("reviews.b.svc.cluster.local", "a"),
            Some(RefKey::Ns("b".into()))
        );
        assert_eq!(
            host_ref("*.b.svc.cluster.local", "a"),
            Some(RefKey::Ns("b".into()))
        );
        assert_eq!(host_ref("*.cluster.local", "a"), Some(RefKey::All));
        assert_eq!(
            host_ref("api.stripe.com", "a"),
            Some(RefKey::Host("api.stripe.com".into()))
        );
        assert_eq!(
            host_ref("reviews.b", "a"),
            Some(RefKey::Host("reviews.b".into()))
        );
        assert_eq!(host_ref("10.0.0.1", "a"), None);
    }
}
