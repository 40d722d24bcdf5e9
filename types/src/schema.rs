//! OpenAPI schemas (feature `openapi`) of the byte strings, whose JSON is not their Rust shape:
//! [`Hash32`], [`PublicKey`] and [`Signature`] are lowercase hex of a fixed length, [`Bytes`]
//! lowercase hex of any even length (see [`crate::bytes`]). The derived schemas of the other
//! types refer to these by name.
//!
//! An `Option` field of these types is nullable and not `required`: these types are also
//! request bodies, and `wire_struct!` reads a missing optional field as null (schemathesis sent
//! such a batch and the node rightly took it), though the node always writes the field.

use crate::{Bytes, Hash32, PublicKey, Signature};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema with a pattern and a description.
fn hex_string(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([serde_json::Value::String(example.to_owned())])
        .into()
}

macro_rules! hex_schema {
    ($name:ident, $pattern:expr, $description:expr, $example:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                hex_string($pattern, $description, $example)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

hex_schema!(
    Hash32,
    "^[0-9a-f]{64}$",
    "A SHA-256 digest (event id, block hash, Merkle root): 32 bytes as 64 lowercase hex \
     characters.",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
);
hex_schema!(
    PublicKey,
    "^[0-9a-f]{64}$",
    "An ed25519 public key (signer, device or validator): 32 bytes as 64 lowercase hex \
     characters.",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
);
hex_schema!(
    Signature,
    "^[0-9a-f]{128}$",
    "An ed25519 signature (R ‖ S): 64 bytes as 128 lowercase hex characters.",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
);
hex_schema!(
    Bytes,
    "^([0-9a-f]{2})*$",
    "A byte string as lowercase hex (two characters per byte).",
    "0f"
);
