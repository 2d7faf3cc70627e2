//! Phase `policy-simplification`: the sidecar-era originals that can go once their pods run
//! without sidecars — and the ones that must stay. One file per rule (or group of rules
//! sharing one computation); S004 runs last (it looks at what the others found).

mod keep_until_migrated;
mod migrated_authz;
mod must_stay;
mod namespace_baseline;
mod noop_destination_rules;
mod originals;
mod relocated_originals;
mod selector_originals;
mod sidecar_resources;

use crate::analysis::NsCtx;

/// The rules that look at one application namespace (not the root namespace).
pub fn namespace(ctx: &mut NsCtx) {
    if ctx.is_root() {
        return;
    }
    migrated_authz::namespace(ctx);
    namespace_baseline::namespace(ctx);
    selector_originals::namespace(ctx);
    sidecar_resources::namespace(ctx);
    relocated_originals::namespace(ctx);
    must_stay::namespace(ctx);
}

/// The cluster-wide rules.
/// The cluster-wide rules of this phase whose findings are per namespace (S007), one namespace
/// at a time: whether they report at all, and a namespace's findings.
pub use noop_destination_rules::{applies as cluster_applies, namespace as cluster_namespace};
