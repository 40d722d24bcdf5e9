//! The `wire_struct!` macro: one struct definition, two encodings.
//!
//! Hashed and signed bytes are canonical CBOR, where a struct is an *array* of its fields in
//! declaration order (no field names, no maps to sort, small events). Human-facing formats
//! (JSON for the API, TOML for genesis) see the same struct as an object with named fields.
//! The choice follows `Serializer::is_human_readable`, which ciborium answers `false`.

/// Declares a struct whose binary (CBOR) form is a fixed-length array of its fields in
/// declaration order, and whose human-readable (JSON/TOML) form is an object with named fields
/// (unknown fields rejected; missing `Option` fields read as `None`).
///
/// Field order is part of the wire format: reordering fields changes every hash and signature.
#[macro_export]
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name { $( $(#[$fmeta])* pub $field: $ty ),* }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                const N: usize = [$(stringify!($field)),*].len();
                if s.is_human_readable() {
                    use ::serde::ser::SerializeStruct;
                    let mut st = s.serialize_struct(stringify!($name), N)?;
                    $( st.serialize_field(stringify!($field), &self.$field)?; )*
                    st.end()
                } else {
                    use ::serde::ser::SerializeTuple;
                    let mut t = s.serialize_tuple(N)?;
                    $( t.serialize_element(&self.$field)?; )*
                    t.end()
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                const N: usize = [$(stringify!($field)),*].len();
                if d.is_human_readable() {
                    #[derive(::serde::Deserialize)]
                    #[serde(deny_unknown_fields)]
                    struct Named { $( $field: $ty ),* }
                    let n = <Named as ::serde::Deserialize>::deserialize(d)?;
                    Ok($name { $( $field: n.$field ),* })
                } else {
                    struct V;
                    impl<'de> ::serde::de::Visitor<'de> for V {
                        type Value = $name;
                        fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            write!(f, "an array of {} fields ({})", N, stringify!($name))
                        }
                        #[allow(unused_mut, unused_variables, unused_assignments)]
                        fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, mut seq: A) -> ::core::result::Result<$name, A::Error> {
                            let mut i = 0usize;
                            $(
                                let $field: $ty = seq.next_element()?.ok_or_else(|| {
                                    ::serde::de::Error::custom(format_args!(
                                        "{}.{}: missing (array has {} of {} fields)",
                                        stringify!($name), stringify!($field), i, N))
                                })?;
                                i += 1;
                            )*
                            if seq.next_element::<::serde::de::IgnoredAny>()?.is_some() {
                                return Err(::serde::de::Error::custom(format_args!(
                                    "{}: more than {} fields", stringify!($name), N)));
                            }
                            Ok($name { $( $field ),* })
                        }
                    }
                    d.deserialize_tuple(N, V)
                }
            }
        }
    };
}
