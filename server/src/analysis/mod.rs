//! Facts the rules read, derived from the index: cluster-wide facts (`facts`), the picture of
//! a namespace (`mesh`: modes, workloads, services, waypoint bindings, hosts), how
//! AuthorizationPolicies behave under sidecars, ztunnel and waypoints (`authz`), versions (and
//! what each Istio release requires: `compat`), and
//! the context the rules of a namespace share (`context`). Nothing here produces findings.

pub mod authz;
pub mod compat;
pub mod context;
pub mod drift;
pub mod facts;
pub mod mesh;
pub mod peer_authn;
pub mod platform;
pub mod version;

pub use context::{
    waypoint_name_error, Aggregates, ClusterCtx, NsCtx, NsResult, NsSummary, Options, Target,
    TargetKind,
};
