//! EPC pure-identity and tag URIs (TDS §6 and §12).

use super::{Epc96, EpcError, Scheme, check_integer};

const ID_PREFIX: &str = "urn:epc:id:";
const TAG_PREFIX: &str = "urn:epc:tag:";

impl Epc96 {
    /// The pure-identity URI: `urn:epc:id:sgtin:CP.IR.S`, `urn:epc:id:sscc:CP.SR`,
    /// `urn:epc:id:grai:CP.AT.S`, `urn:epc:id:giai:CP.IAR`.
    pub fn pure_uri(&self) -> String {
        format!("{ID_PREFIX}{}:{}", self.scheme.id_name(), self.fields())
    }

    /// The tag URI, which adds the filter value: `urn:epc:tag:sgtin-96:F.CP.IR.S`, ...
    pub fn tag_uri(&self) -> String {
        format!(
            "{TAG_PREFIX}{}:{}.{}",
            self.scheme.tag_name(),
            self.filter,
            self.fields()
        )
    }

    fn fields(&self) -> String {
        match self.serial {
            Some(s) => format!("{}.{}.{s}", self.company_prefix, self.reference),
            None => format!("{}.{}", self.company_prefix, self.reference),
        }
    }

    /// Parses a 96-bit tag URI (`urn:epc:tag:sgtin-96:3.0614141.812345.6789`).
    pub fn from_tag_uri(uri: &str) -> Result<Self, EpcError> {
        let bad = || EpcError::BadUri {
            uri: uri.into(),
            expected: "urn:epc:tag:{sgtin,sscc,grai,giai}-96:F.…",
        };
        let rest = uri.strip_prefix(TAG_PREFIX).ok_or_else(bad)?;
        let (name, fields) = rest.split_once(':').ok_or_else(bad)?;
        let scheme = Scheme::from_tag_name(name).ok_or_else(bad)?;
        let (filter, fields) = fields.split_once('.').ok_or_else(bad)?;
        if filter.len() != 1 {
            return Err(EpcError::NotNumeric {
                field: "filter",
                value: filter.into(),
            });
        }
        let filter: u8 = filter.parse().map_err(|_| EpcError::NotNumeric {
            field: "filter",
            value: filter.into(),
        })?;
        parse_fields(uri, scheme, filter, fields)
    }

    /// Parses a pure-identity URI (`urn:epc:id:sgtin:0614141.812345.6789`) and encodes it with
    /// the given filter value (the pure identity does not carry one).
    pub fn from_pure_uri(uri: &str, filter: u8) -> Result<Self, EpcError> {
        let bad = || EpcError::BadUri {
            uri: uri.into(),
            expected: "urn:epc:id:{sgtin,sscc,grai,giai}:…",
        };
        let rest = uri.strip_prefix(ID_PREFIX).ok_or_else(bad)?;
        let (name, fields) = rest.split_once(':').ok_or_else(bad)?;
        let scheme = Scheme::from_id_name(name).ok_or_else(bad)?;
        parse_fields(uri, scheme, filter, fields)
    }
}

fn parse_fields(uri: &str, scheme: Scheme, filter: u8, fields: &str) -> Result<Epc96, EpcError> {
    let parts: Vec<&str> = fields.split('.').collect();
    let expected = if scheme.has_serial() { 3 } else { 2 };
    if parts.len() != expected {
        return Err(EpcError::BadUri {
            uri: uri.into(),
            expected: if scheme.has_serial() {
                "three dot-separated fields"
            } else {
                "two dot-separated fields"
            },
        });
    }
    let serial = if scheme.has_serial() {
        let s = parts[2];
        check_integer("serial", s)?;
        Some(s.parse::<u64>().map_err(|_| EpcError::OutOfRange {
            field: "serial",
            value: s.into(),
            max: super::SERIAL_38_MAX.to_string(),
        })?)
    } else {
        None
    };
    Epc96::new(scheme, filter, parts[0], parts[1], serial)
}
