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

/// Six-digit HS subheading.
pub fn hs_code(field: &str, v: &str) -> Checked {
    if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            format!("must be a 6-digit HS subheading, got {v:?}"),
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
    Ok(())
}

/// GTIN-8/12/13/14 with a correct GS1 check digit.
pub fn gtin(field: &str, v: &str) -> Checked {
    let b = v.as_bytes();
    if ![8, 12, 13, 14].contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return Err(FieldError::new(
            field,
            format!("must be 8, 12, 13 or 14 digits, got {v:?}"),
        ));
    }
    let (body, check) = b.split_at(b.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    let expected = (10 - sum % 10) % 10;
    if u32::from(check[0] - b'0') != expected {
        return Err(FieldError::new(
            field,
            format!("check digit should be {expected}"),
        ));
    }
    Ok(())
}

/// An EPC URI (pure identity `urn:epc:id:`, class `urn:epc:class:`, or GS1 Digital Link).
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
