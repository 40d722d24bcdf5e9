//! Field validation shared by payloads: each check names the field that failed.

/// A payload field that does not meet its format or bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// Path of the field, e.g. `goods[2].hs_code`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Result of a validation.
pub type Checked = Result<(), FieldError>;

/// Longest free-text field (names, descriptions, reasons), in bytes.
pub const TEXT_BYTES_MAX: usize = 1024;
/// Longest list in a payload (goods lines, EPCs, readings).
pub const LIST_LEN_MAX: usize = 4096;

/// An id: 1–64 printable ASCII characters without spaces.
pub fn id(field: &str, v: &str) -> Checked {
    if v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            field,
            format!("must be 1-64 printable ASCII characters without spaces, got {v:?}"),
        ));
    }
    Ok(())
}

/// An organisation id: 1–64 characters of `[a-z0-9-]`.
pub fn org_id(field: &str, v: &str) -> Checked {
    if v.is_empty()
        || v.len() > 64
        || !v
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(FieldError::new(
            field,
            format!("must be 1-64 characters of [a-z0-9-], got {v:?}"),
        ));
    }
    Ok(())
}

/// Free text: at most [`TEXT_BYTES_MAX`] bytes, no control characters.
pub fn text(field: &str, v: &str) -> Checked {
    if v.len() > TEXT_BYTES_MAX {
        return Err(FieldError::new(
            field,
            format!("longer than {TEXT_BYTES_MAX} bytes"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(())
}

/// Non-empty free text.
pub fn required_text(field: &str, v: &str) -> Checked {
    if v.trim().is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    text(field, v)
}

/// Six-digit HS subheading of a chapter and heading that exist in the nomenclature
/// ([`hs_nomenclature`]).
pub fn hs_code(field: &str, v: &str) -> Checked {
    if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            format!("must be a 6-digit HS subheading, got {v:?}"),
        ));
    }
    hs_nomenclature(field, v)
}

/// The chapter (first two digits) of an HS code or prefix is one of the Harmonized System's:
/// 01 to 97, except 77 (reserved for future use); 98 and 99 are left to national use and are not
/// six-digit HS. A heading (digits three and four), when present, is never 00: headings are
/// numbered from 01 within their chapter. `v` is ASCII digits (checked by the caller).
pub fn hs_nomenclature(field: &str, v: &str) -> Checked {
    let chapter = v.get(..2).and_then(|c| c.parse::<u8>().ok());
    match chapter {
        Some(77) => {
            return Err(FieldError::new(
                field,
                format!("{v}: HS chapter 77 is reserved and holds no goods"),
            ));
        }
        Some(1..=97) => {}
        _ => {
            return Err(FieldError::new(
                field,
                format!("{v}: HS chapter must be 01 to 97"),
            ));
        }
    }
    if v.get(2..4) == Some("00") {
        return Err(FieldError::new(
            field,
            format!("{v}: HS heading 00 does not exist (headings start at 01)"),
        ));
    }
    Ok(())
}

/// ISO 3166-1 alpha-2.
pub fn country(field: &str, v: &str) -> Checked {
    if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FieldError::new(
            field,
            format!("must be an ISO 3166-1 alpha-2 code such as MX, got {v:?}"),
        ));
    }
    if !crate::countries::is_assigned(v) {
        return Err(FieldError::new(
            field,
            format!("{v} is not an assigned ISO 3166-1 alpha-2 country code"),
        ));
    }
    Ok(())
}

/// ISO 4217.
pub fn currency(field: &str, v: &str) -> Checked {
    if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FieldError::new(
            field,
            format!("must be an ISO 4217 code such as USD, got {v:?}"),
        ));
    }
    Ok(())
}

/// UN/LOCODE: country (2 letters) then 3 letters or digits 2–9.
pub fn locode(field: &str, v: &str) -> Checked {
    let b = v.as_bytes();
    let ok = b.len() == 5
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'9').contains(c));
    if !ok {
        return Err(FieldError::new(
            field,
            format!("must be a UN/LOCODE such as MXLZC, got {v:?}"),
        ));
    }
    if !crate::countries::is_assigned(&v[..2]) {
        return Err(FieldError::new(
            field,
            format!(
                "{v}: {} is not an assigned ISO 3166-1 country code",
                &v[..2]
            ),
        ));
    }
    Ok(())
}

/// GTIN-8/12/13/14 with a correct GS1 check digit.
pub fn gtin(field: &str, v: &str) -> Checked {
    crate::gs1::gtin(field, v)
}

/// An EPC URI (pure identity `urn:epc:id:`, class `urn:epc:class:`, or GS1 Digital Link), whose
/// GS1 key is well formed ([`crate::gs1::epc`]: URN digit counts, Digital Link check digits).
pub fn epc(field: &str, v: &str) -> Checked {
    let ok = (v.starts_with("urn:epc:id:")
        || v.starts_with("urn:epc:class:")
        || v.starts_with("https://"))
        && v.len() <= 256
        && v.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(FieldError::new(
            field,
            format!("must be an EPC URI (urn:epc:id:...) or a GS1 Digital Link, got {v:?}"),
        ));
    }
    crate::gs1::epc(field, v)
}

/// A list of EPCs: each well formed, none twice (the same tag or unit cannot be listed twice).
pub fn epc_list(field: &str, v: &[String]) -> Checked {
    list(field, v)?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, e) in v.iter().enumerate() {
        epc(&format!("{field}[{i}]"), e)?;
        if !seen.insert(e.as_str()) {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                format!("{e} is listed twice"),
            ));
        }
    }
    Ok(())
}

/// A list no longer than [`LIST_LEN_MAX`].
pub fn list<T>(field: &str, v: &[T]) -> Checked {
    if v.len() > LIST_LEN_MAX {
        return Err(FieldError::new(
            field,
            format!("has {} entries, at most {LIST_LEN_MAX} allowed", v.len()),
        ));
    }
    Ok(())
}

/// A non-empty list no longer than [`LIST_LEN_MAX`].
pub fn non_empty_list<T>(field: &str, v: &[T]) -> Checked {
    if v.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    list(field, v)
}

/// Latitude in micro-degrees, within ±90°.
pub fn latitude(field: &str, v: i32) -> Checked {
    if !(-90_000_000..=90_000_000).contains(&v) {
        return Err(FieldError::new(
            field,
            "latitude must be within ±90 degrees (micro-degrees)",
        ));
    }
    Ok(())
}

/// Longitude in micro-degrees, within ±180°.
pub fn longitude(field: &str, v: i32) -> Checked {
    if !(-180_000_000..=180_000_000).contains(&v) {
        return Err(FieldError::new(
            field,
            "longitude must be within ±180 degrees (micro-degrees)",
        ));
    }
    Ok(())
}

/// A time window: `from <= until`.
pub fn window(field: &str, from: u64, until: u64) -> Checked {
    if from > until {
        return Err(FieldError::new(field, "starts after it ends"));
    }
    Ok(())
}
