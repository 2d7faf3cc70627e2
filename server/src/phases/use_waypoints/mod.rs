//! Phase `use-waypoints`: enrollment (`istio.io/use-waypoint`) and its pitfalls. One file per
//! rule (or group of rules sharing one computation); the list below is the order they run in.

mod broken_enrollment;
mod bypass;
mod enroll;
mod enrollment;
mod mandatory_waypoint;
mod opt_outs;
mod ordering;
mod sidecar_hbone;
mod unused_waypoints;
mod waypoint_namespace_label;
mod waypoint_to_waypoint;

use crate::analysis::NsCtx;

/// The rules that look at one namespace.
pub fn namespace(ctx: &mut NsCtx) {
    broken_enrollment::namespace(ctx);
    waypoint_namespace_label::namespace(ctx);
    unused_waypoints::namespace(ctx);
    enroll::namespace(ctx);
    opt_outs::namespace(ctx);
    ordering::namespace(ctx);
    sidecar_hbone::namespace(ctx);
    bypass::namespace(ctx);
    mandatory_waypoint::namespace(ctx);
    waypoint_to_waypoint::namespace(ctx);
}
