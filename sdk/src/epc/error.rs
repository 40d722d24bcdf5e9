//! Why an EPC could not be decoded or encoded.

/// An EPC that breaks a rule of the GS1 Tag Data Standard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpcError {
    /// Not 24 hex characters.
    #[error("a 96-bit EPC is 24 hex characters, got {chars}")]
    HexLength {
        /// Characters given.
        chars: usize,
    },
    /// A character that is not a hex digit.
    #[error("not hex: {input:?}")]
    NotHex {
        /// The input.
        input: String,
    },
    /// The header byte is not one of the supported 96-bit schemes.
    #[error(
        "header 0x{header:02X} is not SGTIN-96 (0x30), SSCC-96 (0x31), GRAI-96 (0x33) or GIAI-96 (0x34)"
    )]
    UnknownHeader {
        /// The header found.
        header: u8,
    },
    /// Partition value 7, which no table defines.
    #[error("partition value {partition} is not defined (0-6)")]
    BadPartition {
        /// The partition found.
        partition: u8,
    },
    /// A field's value does not fit its digits or bits.
    #[error("{field} {value} is out of range (at most {max})")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// The largest allowed.
        max: String,
    },
    /// The SSCC-96 reserved bits are not zero.
    #[error("the 24 reserved bits of SSCC-96 must be zero, got 0x{value:06X}")]
    ReservedBits {
        /// Their value.
        value: u32,
    },
    /// A field that must be decimal digits is not.
    #[error("{field} must be decimal digits, got {value:?}")]
    NotNumeric {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A numeric field written with leading zeros where TDS forbids them.
    #[error("{field} must not have leading zeros in a 96-bit EPC, got {value:?}")]
    LeadingZero {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A company prefix that is not 6 to 12 digits.
    #[error("a GS1 Company Prefix has 6 to 12 digits, got {digits}")]
    PrefixLength {
        /// Digits given.
        digits: usize,
    },
    /// The partitioned reference has the wrong number of digits for the prefix length.
    #[error(
        "{field} must have {expected} digits with a {prefix_digits}-digit company prefix, got {got}"
    )]
    ReferenceLength {
        /// The field.
        field: &'static str,
        /// Digits expected.
        expected: usize,
        /// Digits given.
        got: usize,
        /// Digits of the company prefix.
        prefix_digits: usize,
    },
    /// SGTIN or GRAI without a serial.
    #[error("{scheme} needs a serial number")]
    MissingSerial {
        /// The scheme.
        scheme: &'static str,
    },
    /// SSCC or GIAI given a serial.
    #[error("{scheme} has no serial number")]
    UnexpectedSerial {
        /// The scheme.
        scheme: &'static str,
    },
    /// A URI that is not of the expected form.
    #[error("not a supported EPC URI ({expected}): {uri:?}")]
    BadUri {
        /// The URI.
        uri: String,
        /// What was expected.
        expected: &'static str,
    },
}
