//! RFID EPC-96 decoding and encoding (GS1 Tag Data Standard 2.x).

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tradeledger_sdk::epc::{Epc96, EpcError, SERIAL_38_MAX, Scheme};

/// `{hex, tag URI, pure-identity URI}`: the DOMAIN.md vector, then others worked by hand from
/// the TDS layouts.
const VECTORS: &[(&str, &str, &str)] = &[
    (
        "3074257BF7194E4000001A85",
        "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
        "urn:epc:id:sgtin:0614141.812345.6789",
    ),
    (
        "31AC16465751CCD0C2000000",
        "urn:epc:tag:sscc-96:5.023356789.30200002",
        "urn:epc:id:sscc:023356789.30200002",
    ),
];

#[test]
fn known_vectors_decode_and_encode() {
    for (hex, tag, pure) in VECTORS {
        let epc = Epc96::from_hex(hex).unwrap();
        assert_eq!(epc.tag_uri(), *tag);
        assert_eq!(epc.pure_uri(), *pure);
        assert_eq!(Epc96::from_tag_uri(tag).unwrap().to_hex(), *hex);
        assert_eq!(
            Epc96::from_pure_uri(pure, epc.filter()).unwrap().to_hex(),
            *hex
        );
        assert_eq!(Epc96::from_hex(&hex.to_lowercase()).unwrap(), epc);
    }
    let e = Epc96::from_hex("3074257BF7194E4000001A85").unwrap();
    assert_eq!(
        (
            e.scheme(),
            e.filter(),
            e.partition(),
            e.company_prefix(),
            e.reference(),
            e.serial()
        ),
        (Scheme::Sgtin96, 3, 5, "0614141", "812345", Some(6789))
    );
}

#[test]
fn grai_and_giai_layouts() {
    // GRAI-96, partition 5 (7-digit prefix, 5-digit asset type), serial 5678.
    let grai = Epc96::from_tag_uri("urn:epc:tag:grai-96:3.0614141.12345.5678").unwrap();
    assert_eq!(grai.to_hex(), "3374257BF40C0E400000162E");
    assert_eq!(grai.pure_uri(), "urn:epc:id:grai:0614141.12345.5678");
    // A 12-digit prefix leaves the GRAI asset type empty.
    let grai0 = Epc96::from_pure_uri("urn:epc:id:grai:061414112345..1", 0).unwrap();
    assert_eq!((grai0.partition(), grai0.reference()), (0, ""));
    assert_eq!(
        Epc96::from_hex(&grai0.to_hex()).unwrap().pure_uri(),
        "urn:epc:id:grai:061414112345..1"
    );
    // GIAI-96, partition 5: 7-digit prefix and a 58-bit asset reference written without padding.
    let giai = Epc96::from_tag_uri("urn:epc:tag:giai-96:1.0614141.5678").unwrap();
    assert_eq!(giai.to_hex(), "3434257BF40000000000162E");
    assert_eq!(
        Epc96::from_hex("3434257BF40000000000162E")
            .unwrap()
            .pure_uri(),
        "urn:epc:id:giai:0614141.5678"
    );
}

/// Whether an error is the expected one.
type Check = fn(&EpcError) -> bool;

#[test]
fn rejects_bad_input() {
    let cases: &[(&str, Check)] = &[
        ("3074257BF7194E4000001A8", |e| {
            matches!(e, EpcError::HexLength { chars: 23 })
        }),
        ("3074257BF7194E4000001A8500", |e| {
            matches!(e, EpcError::HexLength { chars: 26 })
        }),
        ("3074257BF7194E4000001AXY", |e| {
            matches!(e, EpcError::NotHex { .. })
        }),
        // 0x35 is GID-96 and 0x32 unassigned: not supported schemes.
        ("3574257BF7194E4000001A85", |e| {
            matches!(e, EpcError::UnknownHeader { header: 0x35 })
        }),
        ("3274257BF7194E4000001A85", |e| {
            matches!(e, EpcError::UnknownHeader { header: 0x32 })
        }),
        // Partition bits 111.
        ("307C257BF7194E4000001A85", |e| {
            matches!(e, EpcError::BadPartition { partition: 7 })
        }),
        // SGTIN partition 6 with a 20-bit company prefix of 0xFFFFF = 1048575 > 999999.
        ("307BFFFFC000000000000001", |e| {
            matches!(
                e,
                EpcError::OutOfRange {
                    field: "company prefix",
                    ..
                }
            )
        }),
        // SGTIN partition 0: a 4-bit item reference field holding 15 (one digit allowed).
        ("30600000000003C000000001", |e| {
            matches!(
                e,
                EpcError::OutOfRange {
                    field: "item reference",
                    ..
                }
            )
        }),
        // SSCC with non-zero reserved bits.
        ("31AC16465751CCD0C2000001", |e| {
            matches!(e, EpcError::ReservedBits { value: 1 })
        }),
    ];
    for (hex, ok) in cases {
        let err = Epc96::from_hex(hex).expect_err(hex);
        assert!(ok(&err), "{hex}: unexpected {err:?}");
    }
    let uri_cases: &[(&str, Check)] = &[
        ("urn:epc:tag:sgtin-96:3.0614141.812345.06789", |e| {
            matches!(
                e,
                EpcError::LeadingZero {
                    field: "serial",
                    ..
                }
            )
        }),
        ("urn:epc:tag:sgtin-96:3.0614141.812345.274877906944", |e| {
            matches!(
                e,
                EpcError::OutOfRange {
                    field: "serial",
                    ..
                }
            )
        }),
        ("urn:epc:tag:sgtin-96:3.0614141.812345.A12", |e| {
            matches!(
                e,
                EpcError::NotNumeric {
                    field: "serial",
                    ..
                }
            )
        }),
        ("urn:epc:tag:sgtin-96:8.0614141.812345.1", |e| {
            matches!(
                e,
                EpcError::OutOfRange {
                    field: "filter",
                    ..
                }
            )
        }),
        ("urn:epc:tag:sgtin-96:3.0614141.81234.1", |e| {
            matches!(
                e,
                EpcError::ReferenceLength {
                    expected: 6,
                    got: 5,
                    ..
                }
            )
        }),
        ("urn:epc:tag:sgtin-96:3.06141.8123456.1", |e| {
            matches!(e, EpcError::PrefixLength { digits: 5 })
        }),
        ("urn:epc:tag:sscc-96:3.0614141.123456789", |e| {
            matches!(e, EpcError::ReferenceLength { expected: 10, .. })
        }),
        ("urn:epc:tag:grai-96:3.0614141.12345.007", |e| {
            matches!(
                e,
                EpcError::LeadingZero {
                    field: "serial",
                    ..
                }
            )
        }),
        ("urn:epc:tag:giai-96:3.0614141.0042", |e| {
            matches!(e, EpcError::LeadingZero { .. })
        }),
        ("urn:epc:tag:giai-96:3.0614141.ABC", |e| {
            matches!(e, EpcError::NotNumeric { .. })
        }),
        // A 20-bit asset reference... partition 6's 62 bits hold at most 4611686018427387903.
        ("urn:epc:tag:giai-96:0.061414.4611686018427387904", |e| {
            matches!(e, EpcError::OutOfRange { .. })
        }),
        ("urn:epc:tag:sgtin-198:3.0614141.812345.1", |e| {
            matches!(e, EpcError::BadUri { .. })
        }),
        ("urn:epc:id:sgtin:0614141.812345.1", |e| {
            matches!(e, EpcError::BadUri { .. })
        }),
        ("urn:epc:tag:sscc-96:3.0614141.1234567890.5", |e| {
            matches!(e, EpcError::BadUri { .. })
        }),
    ];
    for (uri, ok) in uri_cases {
        let err = Epc96::from_tag_uri(uri).expect_err(uri);
        assert!(ok(&err), "{uri}: unexpected {err:?}");
    }
    assert!(matches!(
        Epc96::from_pure_uri("urn:epc:id:sgtin:0614141.812345.1", 9),
        Err(EpcError::OutOfRange {
            field: "filter",
            ..
        })
    ));
    assert!(Epc96::new(Scheme::Sscc96, 0, "0614141", "1234567890", Some(1)).is_err());
}

/// Any valid field values for `scheme` at `partition`.
fn fields(
    scheme: Scheme,
    partition: usize,
) -> impl Strategy<Value = (u8, String, String, Option<u64>)> {
    let row = scheme.partitions()[partition];
    let prefix_max = 10u64.pow(row.prefix_digits as u32) - 1;
    let reference = if scheme.reference_padded() {
        let max = if row.reference_digits == 0 {
            0
        } else {
            10u64.pow(row.reference_digits as u32) - 1
        };
        let digits = row.reference_digits;
        (0..=max)
            .prop_map(move |r| {
                if digits == 0 {
                    String::new()
                } else {
                    format!("{r:0digits$}")
                }
            })
            .boxed()
    } else {
        (0..=(1u64 << row.reference_bits) - 1)
            .prop_map(|r| r.to_string())
            .boxed()
    };
    let serial = if scheme.has_serial() {
        (0..=SERIAL_38_MAX).prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    };
    (
        0u8..8,
        (0..=prefix_max).prop_map(move |p| format!("{p:0w$}", w = row.prefix_digits)),
        reference,
        serial,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Decoding is the inverse of encoding: any 12 bytes that decode re-encode to themselves.
    #[test]
    fn decode_is_injective(tail in prop::array::uniform11(any::<u8>()), header in prop::sample::select(vec![0x30u8, 0x31, 0x33, 0x34, 0x35, 0x00])) {
        let mut bytes = [0u8; 12];
        bytes[0] = header;
        bytes[1..].copy_from_slice(&tail);
        if let Ok(epc) = Epc96::from_bytes(&bytes) {
            prop_assert_eq!(epc.to_bytes(), bytes);
        }
    }
}

/// Every scheme at every partition value (28 tables rows, each with its own random cases):
/// fields → hex → fields, and through both URIs.
#[test]
fn round_trips_every_partition_of_every_scheme() {
    use proptest::test_runner::{Config, TestRunner};
    for scheme in Scheme::ALL {
        for partition in 0..7 {
            let mut runner = TestRunner::new(Config::with_cases(200));
            runner
                .run(
                    &fields(scheme, partition),
                    |(filter, prefix, reference, serial)| {
                        let epc = Epc96::new(scheme, filter, &prefix, &reference, serial).unwrap();
                        prop_assert_eq!(usize::from(epc.partition()), partition);
                        let hex = epc.to_hex();
                        prop_assert_eq!(hex.len(), 24);
                        prop_assert_eq!(&Epc96::from_hex(&hex).unwrap(), &epc);
                        prop_assert_eq!(&Epc96::from_tag_uri(&epc.tag_uri()).unwrap(), &epc);
                        prop_assert_eq!(
                            &Epc96::from_pure_uri(&epc.pure_uri(), filter).unwrap(),
                            &epc
                        );
                        let prefix_uri = format!("urn:epc:id:{}:", scheme.id_name());
                        prop_assert!(epc.pure_uri().starts_with(&prefix_uri));
                        Ok(())
                    },
                )
                .unwrap_or_else(|e| panic!("{scheme:?} partition {partition}: {e}"));
        }
    }
}
