//! The four 96-bit EPC schemes and their partition tables (GS1 Tag Data Standard 2.x, §14).

/// One row of a partition table: bits and decimal digits of the company prefix and of the
/// field that shares the partitioned bits with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRow {
    /// Bits of the GS1 Company Prefix.
    pub prefix_bits: u32,
    /// Decimal digits of the GS1 Company Prefix (12 down to 6).
    pub prefix_digits: usize,
    /// Bits of the other partitioned field (item reference, serial reference, asset type or
    /// individual asset reference).
    pub reference_bits: u32,
    /// Decimal digits of that field (for GIAI, the most it may have: it is not zero-padded).
    pub reference_digits: usize,
}

const fn row(
    prefix_bits: u32,
    prefix_digits: usize,
    reference_bits: u32,
    reference_digits: usize,
) -> PartitionRow {
    PartitionRow {
        prefix_bits,
        prefix_digits,
        reference_bits,
        reference_digits,
    }
}

/// A 96-bit EPC binary scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// SGTIN-96, header 0x30: a serialised trade item (case, carton).
    Sgtin96,
    /// SSCC-96, header 0x31: a logistic unit (pallet, container load).
    Sscc96,
    /// GRAI-96, header 0x33: a returnable asset (reusable crate, pallet).
    Grai96,
    /// GIAI-96, header 0x34: an individual asset (reefer unit, logger).
    Giai96,
}

/// SGTIN-96 partition table (TDS Table 14-2): company prefix / item reference and indicator.
const SGTIN: [PartitionRow; 7] = [
    row(40, 12, 4, 1),
    row(37, 11, 7, 2),
    row(34, 10, 10, 3),
    row(30, 9, 14, 4),
    row(27, 8, 17, 5),
    row(24, 7, 20, 6),
    row(20, 6, 24, 7),
];
/// SSCC-96 partition table (TDS Table 14-5): company prefix / extension digit and serial reference.
const SSCC: [PartitionRow; 7] = [
    row(40, 12, 18, 5),
    row(37, 11, 21, 6),
    row(34, 10, 24, 7),
    row(30, 9, 28, 8),
    row(27, 8, 31, 9),
    row(24, 7, 34, 10),
    row(20, 6, 38, 11),
];
/// GRAI-96 partition table (TDS Table 14-11): company prefix / asset type.
const GRAI: [PartitionRow; 7] = [
    row(40, 12, 4, 0),
    row(37, 11, 7, 1),
    row(34, 10, 10, 2),
    row(30, 9, 14, 3),
    row(27, 8, 17, 4),
    row(24, 7, 20, 5),
    row(20, 6, 24, 6),
];
/// GIAI-96 partition table (TDS Table 14-14): company prefix / individual asset reference.
const GIAI: [PartitionRow; 7] = [
    row(40, 12, 42, 13),
    row(37, 11, 45, 14),
    row(34, 10, 48, 15),
    row(30, 9, 52, 16),
    row(27, 8, 55, 17),
    row(24, 7, 58, 18),
    row(20, 6, 62, 19),
];

impl Scheme {
    /// Every scheme, in header order.
    pub const ALL: [Scheme; 4] = [
        Scheme::Sgtin96,
        Scheme::Sscc96,
        Scheme::Grai96,
        Scheme::Giai96,
    ];

    /// The header byte.
    pub fn header(self) -> u8 {
        match self {
            Scheme::Sgtin96 => 0x30,
            Scheme::Sscc96 => 0x31,
            Scheme::Grai96 => 0x33,
            Scheme::Giai96 => 0x34,
        }
    }

    /// The scheme for a header byte.
    pub fn from_header(header: u8) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.header() == header)
    }

    /// The pure-identity scheme name (`sgtin`, `sscc`, `grai`, `giai`).
    pub fn id_name(self) -> &'static str {
        match self {
            Scheme::Sgtin96 => "sgtin",
            Scheme::Sscc96 => "sscc",
            Scheme::Grai96 => "grai",
            Scheme::Giai96 => "giai",
        }
    }

    /// The tag-URI scheme name (`sgtin-96`, ...).
    pub fn tag_name(self) -> &'static str {
        match self {
            Scheme::Sgtin96 => "sgtin-96",
            Scheme::Sscc96 => "sscc-96",
            Scheme::Grai96 => "grai-96",
            Scheme::Giai96 => "giai-96",
        }
    }

    /// The scheme for a pure-identity name.
    pub fn from_id_name(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.id_name() == name)
    }

    /// The scheme for a tag-URI name.
    pub fn from_tag_name(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.tag_name() == name)
    }

    /// The partition table, indexed by partition value 0–6.
    pub fn partitions(self) -> &'static [PartitionRow; 7] {
        match self {
            Scheme::Sgtin96 => &SGTIN,
            Scheme::Sscc96 => &SSCC,
            Scheme::Grai96 => &GRAI,
            Scheme::Giai96 => &GIAI,
        }
    }

    /// Bits after the partitioned field: a 38-bit serial (SGTIN, GRAI), 24 reserved zero bits
    /// (SSCC), or none (GIAI).
    pub fn tail_bits(self) -> u32 {
        match self {
            Scheme::Sgtin96 | Scheme::Grai96 => 38,
            Scheme::Sscc96 => 24,
            Scheme::Giai96 => 0,
        }
    }

    /// Whether the tail is a serial number (true) or reserved bits (SSCC) or absent (GIAI).
    pub fn has_serial(self) -> bool {
        matches!(self, Scheme::Sgtin96 | Scheme::Grai96)
    }

    /// Whether the partitioned reference is zero-padded to its digit count (SGTIN, SSCC, GRAI)
    /// rather than written without leading zeros (GIAI).
    pub fn reference_padded(self) -> bool {
        !matches!(self, Scheme::Giai96)
    }

    /// The partition value for a company prefix of `digits` digits.
    pub fn partition_for_prefix_digits(self, digits: usize) -> Option<u8> {
        self.partitions()
            .iter()
            .position(|r| r.prefix_digits == digits)
            .and_then(|p| u8::try_from(p).ok())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_table_fills_96_bits() {
        for s in Scheme::ALL {
            for (p, r) in s.partitions().iter().enumerate() {
                assert_eq!(
                    8 + 3 + 3 + r.prefix_bits + r.reference_bits + s.tail_bits(),
                    96,
                    "{s:?} partition {p}"
                );
                assert_eq!(r.prefix_digits, 12 - p);
                assert!(
                    10u128.pow(r.prefix_digits as u32) <= 1u128 << r.prefix_bits,
                    "{s:?} {p} prefix bits"
                );
            }
        }
    }
}
