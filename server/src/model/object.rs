//! JSON kept as compact text: the recommended objects of findings (thousands of them on a
//! large mesh; a `serde_json::Value` tree per object would cost ten times the memory) and the
//! parts of policies that copies reproduce verbatim.

use serde::Serialize;
use serde_json::Value;

/// A JSON value (usually a Kubernetes object) as compact text.
#[derive(Clone)]
pub struct Object(std::sync::Arc<serde_json::value::RawValue>);

impl Object {
    pub fn new(v: &Value) -> Object {
        let raw = serde_json::value::to_raw_value(v).expect("a JSON value serializes");
        Object(std::sync::Arc::from(raw))
    }
    /// The object as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).expect("stored JSON parses")
    }
    pub fn json(&self) -> &str {
        self.0.get()
    }
    fn field(&self, pointer: &str) -> String {
        self.value()
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    }
    pub fn kind(&self) -> String {
        self.field("/kind")
    }
    pub fn name(&self) -> String {
        self.field("/metadata/name")
    }
    pub fn namespace(&self) -> String {
        self.field("/metadata/namespace")
    }
    /// `Kind/namespace/name`.
    pub fn key(&self) -> String {
        let v = self.value();
        let s = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string()
        };
        format!(
            "{}/{}/{}",
            s("/kind"),
            s("/metadata/namespace"),
            s("/metadata/name")
        )
    }
}

impl Default for Object {
    fn default() -> Self {
        Object::new(&Value::Null)
    }
}

impl PartialEq for Object {
    fn eq(&self, o: &Self) -> bool {
        self.0.get() == o.0.get()
    }
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.get())
    }
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
