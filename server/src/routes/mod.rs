//! Translating mesh VirtualServices into Gateway API HTTPRoutes (GAMMA: `parentRefs` to the
//! Service) with the same routing behaviour.
//!
//! `translate` is a pure function from one VirtualService (its spec node) and a read-only view
//! of the workspace (`World`) to the objects to apply (HTTPRoutes, per-subset Services and
//! their DestinationRules) or the reasons it cannot (`Problem`, each naming a field and its
//! span). The rule file `phases/migrate_policies/route_translation.rs` turns the result into
//! findings; the language server can call the same function for a code action or a hover
//! (`world::IndexWorld` over its index).
//!
//! What "same behaviour" means and how each field maps is in `docs/routes.md`; the proof is
//! `server/tests/routes_equivalence.rs` (an evaluator of both routing models).

pub mod build;
pub mod order;
pub mod vs;
pub mod world;

use serde_json::Value;

use crate::yaml::Span;
pub use world::{IndexWorld, PortInfo, SubsetInfo, SvcInfo, World};

/// Which rule reports a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A field without an HTTPRoute form (RT-002).
    Field,
    /// Gateway API precedence would change which rule wins (RT-003).
    Order,
    /// `retries` with a standard-channel HTTPRoute CRD (RT-004).
    Retries,
    /// The route would exceed a Gateway API limit (RT-005).
    Limits,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// `http[0].fault` (when the problem is one field).
    pub field: Option<String>,
    pub span: Span,
    pub message: String,
    /// Other places involved (the second rule of an order conflict).
    pub related: Vec<(Span, String)>,
}

/// The result for one VirtualService.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Translation {
    /// `ns/name` of the Services the VirtualService routes (its hosts).
    pub targets: Vec<String>,
    /// HTTPRoutes, then per-subset Services, then their DestinationRules. Empty when
    /// `problems` is not.
    pub objects: Vec<Value>,
    pub problems: Vec<Problem>,
    /// Facts the user must know about an otherwise exact translation.
    pub notes: Vec<String>,
    /// Every target got a route that equals "no VirtualService" (a single catch-all route to
    /// the service itself): nothing to translate.
    pub noop: bool,
}

impl Translation {
    pub fn routes(&self) -> impl Iterator<Item = &Value> {
        self.objects.iter().filter(|o| o["kind"] == "HTTPRoute")
    }
}

/// The VirtualService being translated.
pub struct VsRef<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// `spec.hosts` with their spans.
    pub hosts: Vec<(String, Span)>,
    /// Where to report problems about the whole object.
    pub span: Span,
}

/// Translates one mesh-bound VirtualService. `spec` is its `spec` node.
pub fn translate(world: &dyn World, vs: &VsRef, spec: &crate::yaml::Node) -> Translation {
    build::translate(world, vs, spec)
}
