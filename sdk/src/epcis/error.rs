//! Import errors that name the JSON path of the problem.

/// A malformed EPCIS document: `path` is the JSON path of the offending value, in the form
/// `epcisBody.eventList[2].eventTime` (empty for the document itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", if path.is_empty() { "document" } else { path.as_str() })]
pub struct EpcisError {
    /// JSON path of the offending value.
    pub path: String,
    /// What is wrong with it.
    pub problem: String,
}

impl EpcisError {
    /// A new error at `path`.
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        EpcisError {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Joins a path and a key: `join("a", "b")` is `a.b`, `join("", "b")` is `b`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
