//! Canonical CBOR: the one encoding of every hashed or signed value.
//!
//! Encoding is ciborium's: shortest-form integers and lengths, definite lengths, structs as
//! arrays (see [`wire_struct!`](crate::wire_struct)), enums as a one-entry map `{variant: value}`
//! or a text string for unit variants. The types contain no floats and no maps.
//!
//! Decoding is strict: the input must be at most the stated size, hold exactly one item, and be
//! byte-identical to the re-encoding of the decoded value. That last check rejects every
//! non-canonical form (long integers, indefinite lengths, tags, bignums, floats standing in for
//! integers, duplicate or extra fields) with one rule that cannot drift from the encoder.

use serde::{Serialize, de::DeserializeOwned};

/// Size limit for one event as submitted by a client.
pub const EVENT_BYTES_MAX: usize = 64 * 1024;
/// Size limit for one block with its events (consensus may choose a smaller block budget).
pub const BLOCK_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Size limit for one consensus or sync message.
pub const MESSAGE_BYTES_MAX: usize = 32 * 1024 * 1024;
/// Nesting limit; the data model nests at most a handful of levels.
const RECURSION_LIMIT: usize = 32;

/// Why canonical decoding failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is larger than the limit for this kind of message.
    #[error("{what}: {len} bytes exceeds the limit of {max}")]
    Oversize {
        /// The kind of message being decoded.
        what: &'static str,
        /// Input length in bytes.
        len: usize,
        /// Limit in bytes.
        max: usize,
    },
    /// The input is not valid CBOR, or not the expected shape.
    #[error("{what}: malformed CBOR: {reason}")]
    Malformed {
        /// The kind of message being decoded.
        what: &'static str,
        /// The decoder's description of the problem (names the field where it can).
        reason: String,
    },
    /// Bytes remain after the one item.
    #[error("{what}: {extra} trailing bytes after the item")]
    TrailingBytes {
        /// The kind of message being decoded.
        what: &'static str,
        /// Number of bytes left over.
        extra: usize,
    },
    /// The item carries a CBOR tag; the data model uses none.
    #[error("{what}: CBOR tag {tag} is not allowed")]
    UnknownTag {
        /// The kind of message being decoded.
        what: &'static str,
        /// The tag number found.
        tag: u64,
    },
    /// The item decodes, but is not in canonical form.
    #[error("{what}: not canonical CBOR (first difference at byte {offset})")]
    NonCanonical {
        /// The kind of message being decoded.
        what: &'static str,
        /// Offset of the first byte that differs from the canonical re-encoding.
        offset: usize,
    },
}

/// Encodes a value canonically.
///
/// # Panics
/// Only if the value cannot be represented, which no type of this crate allows (they hold no
/// maps with non-string keys and no floats); a failure is a bug, not bad input.
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(value, &mut out);
    out
}

/// Encodes a value canonically, appending to `out`.
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    if let Err(e) = encode_to_writer(value, &mut *out) {
        unreachable!("writing to a Vec failed: {e}");
    }
}

/// Writes [`to_canonical`]`(value)` to `out` as it is produced, without holding the whole
/// encoding in memory (the auditor's checkpoint is hundreds of megabytes).
///
/// # Errors
/// The writer's error.
pub fn encode_to_writer<T: Serialize + ?Sized, W: std::io::Write>(
    value: &T,
    out: W,
) -> std::io::Result<()> {
    ciborium::into_writer(value, out).map_err(|e| match e {
        ciborium::ser::Error::Io(e) => e,
        // The data model is always representable.
        ciborium::ser::Error::Value(v) => {
            panic!("canonical encoding failed (a bug in the data model): {v}")
        }
    })
}

/// The length of [`to_canonical`]`(value)`, without building the bytes: a responder that caps
/// a message by size measures what it would send this way.
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut counter = ByteCounter(0);
    if let Err(e) = encode_to_writer(value, &mut counter) {
        unreachable!("counting bytes failed: {e}");
    }
    counter.0
}

/// A writer that keeps only the count of bytes written.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decodes exactly one canonical item of at most `max` bytes; `what` names the message kind in
/// errors.
pub fn from_canonical<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
    max: usize,
    what: &'static str,
) -> Result<T, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::Oversize {
            what,
            len: bytes.len(),
            max,
        });
    }
    let mut rest = bytes;
    let value: T = ciborium::de::from_reader_with_recursion_limit(&mut rest, RECURSION_LIMIT)
        .map_err(|e| match find_tag(bytes) {
            Some(tag) => DecodeError::UnknownTag { what, tag },
            None => DecodeError::Malformed {
                what,
                reason: describe(e),
            },
        })?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes {
            what,
            extra: rest.len(),
        });
    }
    let again = to_canonical(&value);
    if again != bytes {
        if let Some(tag) = find_tag(bytes) {
            return Err(DecodeError::UnknownTag { what, tag });
        }
        let offset = again
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(bytes.len()));
        return Err(DecodeError::NonCanonical { what, offset });
    }
    Ok(value)
}

fn describe<E: core::fmt::Debug>(e: ciborium::de::Error<E>) -> String {
    match e {
        ciborium::de::Error::Io(e) => format!("truncated input ({e:?})"),
        ciborium::de::Error::Syntax(at) => format!("invalid CBOR syntax at byte {at}"),
        ciborium::de::Error::Semantic(at, msg) => match at {
            Some(at) => format!("{msg} (at byte {at})"),
            None => msg,
        },
        ciborium::de::Error::RecursionLimitExceeded => "nested too deeply".to_owned(),
    }
}

/// Finds the first CBOR tag in a byte string, for a precise error. Only used on the error path.
fn find_tag(bytes: &[u8]) -> Option<u64> {
    fn walk(v: &ciborium::Value) -> Option<u64> {
        use ciborium::Value;
        match v {
            Value::Tag(t, _) => Some(*t),
            Value::Array(items) => items.iter().find_map(walk),
            Value::Map(entries) => entries
                .iter()
                .find_map(|(k, v)| walk(k).or_else(|| walk(v))),
            _ => None,
        }
    }
    let mut rest = bytes;
    let v: ciborium::Value =
        ciborium::de::from_reader_with_recursion_limit(&mut rest, RECURSION_LIMIT).ok()?;
    walk(&v)
}
