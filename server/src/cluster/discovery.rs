//! API discovery: which of the wanted kinds the server serves, at which version and under which
//! resource name. Read through `/api` and `/apis` (the documents every API server and kubectl
//! use), then `/api/v1` and `/apis/<group>/<version>` of the wanted groups only.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList};

use super::kinds::{Want, WANTED};

/// A wanted kind as the server serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub want: Want,
    /// `v1`, `v1beta1`…
    pub version: String,
    /// Plural resource name (`pods`, `authorizationpolicies`).
    pub plural: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Resolved {
    pub fn api_version(&self) -> String {
        if self.want.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.want.group, self.version)
        }
    }

    /// The collection path across all namespaces.
    pub fn url_path(&self) -> String {
        if self.want.group.is_empty() {
            format!("/api/{}/{}", self.version, self.plural)
        } else {
            format!("/apis/{}/{}/{}", self.want.group, self.version, self.plural)
        }
    }

    /// `pods` or `authorizationpolicies.security.istio.io` (kubectl's resource form).
    pub fn resource(&self) -> String {
        if self.want.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.want.group)
        }
    }
}

/// The state of a group in discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupState {
    /// Versions in the server's order, preferred first.
    Served(Vec<String>),
    NotInstalled,
}

/// Versions of each wanted group the server lists (preferred first).
pub fn wanted_groups(
    core_versions: &[String],
    groups: &APIGroupList,
) -> BTreeMap<String, GroupState> {
    let mut out = BTreeMap::new();
    for g in super::kinds::groups() {
        let state = if g.is_empty() {
            if core_versions.iter().any(|v| v == "v1") {
                GroupState::Served(vec!["v1".to_string()])
            } else {
                GroupState::NotInstalled
            }
        } else {
            match groups.groups.iter().find(|x| x.name == g) {
                Some(x) => {
                    let mut versions: Vec<String> = Vec::new();
                    if let Some(p) = &x.preferred_version {
                        versions.push(p.version.clone());
                    }
                    for v in &x.versions {
                        if !versions.contains(&v.version) {
                            versions.push(v.version.clone());
                        }
                    }
                    GroupState::Served(versions)
                }
                None => GroupState::NotInstalled,
            }
        };
        out.insert(g.to_string(), state);
    }
    out
}

/// Resolve the wanted kinds of `group` from the resource lists of its versions (in preference
/// order): the first version that serves the kind with `list` wins.
pub fn resolve_group(group: &str, lists: &[(String, APIResourceList)]) -> Vec<Resolved> {
    let mut out = Vec::new();
    for want in WANTED.iter().filter(|w| w.group == group) {
        'versions: for (version, list) in lists {
            for r in &list.resources {
                // (a server that lists no verbs at all is taken at its word that it serves
                // the kind)
                if r.kind == want.kind
                    && !r.name.contains('/')
                    && (r.verbs.is_empty() || r.verbs.iter().any(|v| v == "list"))
                {
                    out.push(Resolved {
                        want: *want,
                        version: version.clone(),
                        plural: r.name.clone(),
                        namespaced: r.namespaced,
                        verbs: r.verbs.clone(),
                    });
                    break 'versions;
                }
            }
        }
    }
    out
}
