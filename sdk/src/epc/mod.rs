//! RFID EPC binary encodings (GS1 Tag Data Standard 2.x): SGTIN-96, SSCC-96, GRAI-96, GIAI-96.
//!
//! A reader reports a tag's EPC bank as 24 hex characters. [`Epc96::from_hex`] decodes it into
//! its fields, from which come the pure-identity URI (`urn:epc:id:sgtin:0614141.812345.6789`,
//! what EPCIS events and tradeledger payloads carry) and the tag URI
//! (`urn:epc:tag:sgtin-96:3.0614141.812345.6789`, which also keeps the filter value).
//! [`Epc96::from_tag_uri`] and [`Epc96::from_pure_uri`] go the other way, and
//! [`Epc96::to_hex`] encodes.
//!
//! ```
//! use tradeledger_sdk::epc::Epc96;
//!
//! let epc = Epc96::from_hex("3074257BF7194E4000001A85").unwrap();
//! assert_eq!(epc.pure_uri(), "urn:epc:id:sgtin:0614141.812345.6789");
//! assert_eq!(epc.tag_uri(), "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
//! assert_eq!(Epc96::from_tag_uri(&epc.tag_uri()).unwrap().to_hex(), "3074257BF7194E4000001A85");
//! ```

mod error;
mod scheme;
mod uri;

pub use error::EpcError;
pub use scheme::{PartitionRow, Scheme};

/// A decoded 96-bit EPC. Every value of this type is encodable: the constructors check each
/// field against the scheme's rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Epc96 {
    scheme: Scheme,
    filter: u8,
    partition: u8,
    company_prefix: String,
    reference: String,
    serial: Option<u64>,
}

/// Largest serial number of SGTIN-96 and GRAI-96: 2^38 − 1.
pub const SERIAL_38_MAX: u64 = (1 << 38) - 1;

impl Epc96 {
    /// Builds an EPC from its fields, checking every TDS rule.
    ///
    /// `reference` is the item reference with indicator digit (SGTIN), the extension digit and
    /// serial reference (SSCC), the asset type (GRAI), or the individual asset reference (GIAI);
    /// `serial` is required for SGTIN and GRAI and must be absent otherwise. The partition
    /// follows from the company prefix's length (6–12 digits).
    pub fn new(
        scheme: Scheme,
        filter: u8,
        company_prefix: &str,
        reference: &str,
        serial: Option<u64>,
    ) -> Result<Self, EpcError> {
        if filter > 7 {
            return Err(EpcError::OutOfRange {
                field: "filter",
                value: filter.to_string(),
                max: "7".into(),
            });
        }
        if !is_digits(company_prefix) {
            return Err(EpcError::NotNumeric {
                field: "company prefix",
                value: company_prefix.into(),
            });
        }
        let partition = scheme
            .partition_for_prefix_digits(company_prefix.len())
            .ok_or(EpcError::PrefixLength {
                digits: company_prefix.len(),
            })?;
        let row = scheme.partitions()[usize::from(partition)];
        let ref_field = reference_name(scheme);
        if scheme.reference_padded() {
            if !(reference.is_empty() || is_digits(reference)) {
                return Err(EpcError::NotNumeric {
                    field: ref_field,
                    value: reference.into(),
                });
            }
            if reference.len() != row.reference_digits {
                return Err(EpcError::ReferenceLength {
                    field: ref_field,
                    expected: row.reference_digits,
                    got: reference.len(),
                    prefix_digits: row.prefix_digits,
                });
            }
        } else {
            check_integer(ref_field, reference)?;
            let value: u128 = reference.parse().map_err(|_| EpcError::NotNumeric {
                field: ref_field,
                value: reference.into(),
            })?;
            if value >= 1u128 << row.reference_bits {
                return Err(EpcError::OutOfRange {
                    field: ref_field,
                    value: reference.into(),
                    max: ((1u128 << row.reference_bits) - 1).to_string(),
                });
            }
        }
        match (scheme.has_serial(), serial) {
            (true, Some(s)) if s > SERIAL_38_MAX => {
                return Err(EpcError::OutOfRange {
                    field: "serial",
                    value: s.to_string(),
                    max: SERIAL_38_MAX.to_string(),
                });
            }
            (true, Some(_)) | (false, None) => {}
            (true, None) => {
                return Err(EpcError::MissingSerial {
                    scheme: scheme.id_name(),
                });
            }
            (false, Some(_)) => {
                return Err(EpcError::UnexpectedSerial {
                    scheme: scheme.id_name(),
                });
            }
        }
        Ok(Epc96 {
            scheme,
            filter,
            partition,
            company_prefix: company_prefix.into(),
            reference: reference.into(),
            serial,
        })
    }

    /// Decodes 24 hex characters (either case) of a 96-bit EPC.
    pub fn from_hex(hex: &str) -> Result<Self, EpcError> {
        if hex.len() != 24 {
            return Err(EpcError::HexLength { chars: hex.len() });
        }
        let mut bytes = [0u8; 12];
        hex::decode_to_slice(hex, &mut bytes)
            .map_err(|_| EpcError::NotHex { input: hex.into() })?;
        Self::from_bytes(&bytes)
    }

    /// Decodes the 12 bytes of a 96-bit EPC.
    pub fn from_bytes(bytes: &[u8; 12]) -> Result<Self, EpcError> {
        let mut word = [0u8; 16];
        word[4..].copy_from_slice(bytes);
        let bits = u128::from_be_bytes(word);
        let header = bytes[0];
        let scheme = Scheme::from_header(header).ok_or(EpcError::UnknownHeader { header })?;
        let field = |shift: u32, width: u32| (bits >> shift) & ((1u128 << width) - 1);
        let filter = field(85, 3) as u8;
        let partition = field(82, 3) as u8;
        let row = *scheme
            .partitions()
            .get(usize::from(partition))
            .ok_or(EpcError::BadPartition { partition })?;
        let tail = scheme.tail_bits();
        let prefix_value = field(tail + row.reference_bits, row.prefix_bits);
        let reference_value = field(tail, row.reference_bits);
        let tail_value = field(0, tail);
        if prefix_value >= 10u128.pow(row.prefix_digits as u32) {
            return Err(EpcError::OutOfRange {
                field: "company prefix",
                value: prefix_value.to_string(),
                max: "9".repeat(row.prefix_digits),
            });
        }
        let company_prefix = format!("{prefix_value:0width$}", width = row.prefix_digits);
        let reference = if scheme.reference_padded() {
            if reference_value >= 10u128.pow(row.reference_digits as u32) {
                return Err(EpcError::OutOfRange {
                    field: reference_name(scheme),
                    value: reference_value.to_string(),
                    max: if row.reference_digits == 0 {
                        "0".into()
                    } else {
                        "9".repeat(row.reference_digits)
                    },
                });
            }
            if row.reference_digits == 0 {
                String::new()
            } else {
                format!("{reference_value:0width$}", width = row.reference_digits)
            }
        } else {
            reference_value.to_string()
        };
        let serial = if scheme.has_serial() {
            Some(u64::try_from(tail_value).map_err(|_| EpcError::OutOfRange {
                field: "serial",
                value: tail_value.to_string(),
                max: SERIAL_38_MAX.to_string(),
            })?)
        } else {
            if tail_value != 0 {
                return Err(EpcError::ReservedBits {
                    value: tail_value as u32,
                });
            }
            None
        };
        Self::new(scheme, filter, &company_prefix, &reference, serial)
    }

    /// The 12 bytes of the binary encoding.
    pub fn to_bytes(&self) -> [u8; 12] {
        let row = self.row();
        let tail = self.scheme.tail_bits();
        // The constructor checked every field, so these parses cannot fail.
        let prefix: u128 = self.company_prefix.parse().unwrap_or(0);
        let reference: u128 = if self.reference.is_empty() {
            0
        } else {
            self.reference.parse().unwrap_or(0)
        };
        let mut bits = u128::from(self.scheme.header()) << 88;
        bits |= u128::from(self.filter) << 85;
        bits |= u128::from(self.partition) << 82;
        bits |= prefix << (tail + row.reference_bits);
        bits |= reference << tail;
        bits |= u128::from(self.serial.unwrap_or(0));
        let word = bits.to_be_bytes();
        let mut out = [0u8; 12];
        out.copy_from_slice(&word[4..]);
        out
    }

    /// The binary encoding as 24 uppercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode_upper(self.to_bytes())
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The filter value (0–7): what kind of object the tag is on (1 = point of sale item,
    /// 2 = full case, 3 = reserved, ... per scheme).
    pub fn filter(&self) -> u8 {
        self.filter
    }

    /// The partition value (0–6), from the company prefix's length.
    pub fn partition(&self) -> u8 {
        self.partition
    }

    /// The GS1 Company Prefix, zero-padded to its length.
    pub fn company_prefix(&self) -> &str {
        &self.company_prefix
    }

    /// The partitioned reference: SGTIN item reference with indicator, SSCC extension digit and
    /// serial reference, GRAI asset type (empty for a 12-digit prefix), GIAI individual asset
    /// reference.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The serial number (SGTIN, GRAI), absent for SSCC and GIAI.
    pub fn serial(&self) -> Option<u64> {
        self.serial
    }

    fn row(&self) -> PartitionRow {
        self.scheme.partitions()[usize::from(self.partition)]
    }
}

/// Decodes EPC hex straight to its pure-identity URI.
pub fn hex_to_pure_uri(hex: &str) -> Result<String, EpcError> {
    Epc96::from_hex(hex).map(|e| e.pure_uri())
}

fn reference_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Sgtin96 => "item reference",
        Scheme::Sscc96 => "serial reference",
        Scheme::Grai96 => "asset type",
        Scheme::Giai96 => "individual asset reference",
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number written as TDS requires for integer fields: digits, no leading zeros ("0" alone
/// is allowed).
fn check_integer(field: &'static str, s: &str) -> Result<(), EpcError> {
    if !is_digits(s) {
        return Err(EpcError::NotNumeric {
            field,
            value: s.into(),
        });
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(EpcError::LeadingZero {
            field,
            value: s.into(),
        });
    }
    Ok(())
}
