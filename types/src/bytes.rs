//! Fixed-length byte strings: CBOR byte strings on the wire, lowercase hex in JSON and TOML.

use core::fmt;

macro_rules! fixed_bytes {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lowercase hex.
            pub fn to_hex(&self) -> String {
                self.hex_chars().to_string()
            }

            /// Lowercase hex in a buffer on the stack (no allocation: ids and hashes are
            /// written to JSON for every event of a result record and every query answer).
            fn hex_chars(&self) -> $crate::bytes::HexBuf<{ 2 * $len }> {
                let mut buf = [0u8; 2 * $len];
                hex::encode_to_slice(self.0, &mut buf)
                    .expect("the buffer holds exactly two characters per byte");
                $crate::bytes::HexBuf(buf)
            }

            /// Parses lowercase or uppercase hex of exactly the right length.
            pub fn from_hex(s: &str) -> Result<Self, $crate::bytes::HexError> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(s, &mut out).map_err(|_| $crate::bytes::HexError {
                    what: stringify!($name),
                    expected_chars: 2 * $len,
                    got_chars: s.len(),
                })?;
                Ok(Self(out))
            }
        }

        #[cfg(feature = "arbitrary")]
        impl proptest::arbitrary::Arbitrary for $name {
            type Parameters = ();
            type Strategy = proptest::strategy::BoxedStrategy<Self>;
            fn arbitrary_with(_: ()) -> Self::Strategy {
                use proptest::strategy::Strategy;
                proptest::collection::vec(proptest::arbitrary::any::<u8>(), $len)
                    .prop_map(|v| {
                        let mut a = [0u8; $len];
                        a.copy_from_slice(&v);
                        $name(a)
                    })
                    .boxed()
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), &*self.hex_chars())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.hex_chars())
            }
        }

        impl core::str::FromStr for $name {
            type Err = $crate::bytes::HexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_hex(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.hex_chars())
                } else {
                    s.serialize_bytes(&self.0)
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "{} bytes ({} hex characters)", $len, 2 * $len)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::from_hex(v).map_err(E::custom)
                    }
                    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<$name, E> {
                        let arr: [u8; $len] = v.try_into().map_err(|_| {
                            E::custom(format_args!("{}: expected {} bytes, got {}", stringify!($name), $len, v.len()))
                        })?;
                        Ok($name(arr))
                    }
                    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<$name, E> {
                        self.visit_bytes(&v)
                    }
                }
                if d.is_human_readable() {
                    d.deserialize_str(V)
                } else {
                    d.deserialize_bytes(V)
                }
            }
        }
    };
}

/// Lowercase hex characters of a fixed-length value, on the stack.
#[doc(hidden)]
pub struct HexBuf<const N: usize>([u8; N]);

impl<const N: usize> core::ops::Deref for HexBuf<N> {
    type Target = str;
    fn deref(&self) -> &str {
        // Only `hex::encode_to_slice` fills the buffer: ASCII hex digits.
        core::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

/// A hex string that does not encode a value of the expected length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what}: expected {expected_chars} hex characters, got {got_chars} (or a non-hex character)"
)]
pub struct HexError {
    /// The type being parsed.
    pub what: &'static str,
    /// Number of hex characters expected.
    pub expected_chars: usize,
    /// Number of characters given.
    pub got_chars: usize,
}

fixed_bytes!(
    /// A SHA-256 digest.
    Hash32,
    32
);
fixed_bytes!(
    /// An ed25519 public key (compressed Edwards point), as used for signers, devices and validators.
    PublicKey,
    32
);
fixed_bytes!(
    /// An ed25519 signature (R ‖ S).
    Signature,
    64
);

impl Hash32 {
    /// The all-zero digest, used where no value exists yet (the parent of the first block).
    pub const ZERO: Hash32 = Hash32([0; 32]);
}

/// A variable-length byte string: CBOR bytes on the wire, hex in JSON.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({})", hex::encode(&self.0))
    }
}

impl serde::Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <String as serde::Deserialize>::deserialize(d)?;
            hex::decode(&s).map(Bytes).map_err(serde::de::Error::custom)
        } else {
            serde_bytes::ByteBuf::deserialize(d).map(|b| Bytes(b.into_vec()))
        }
    }
}
