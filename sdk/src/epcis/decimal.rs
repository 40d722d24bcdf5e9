//! Exact conversion of JSON decimals to fixed-point milli-units.

use serde_json::Number;

/// Why a number cannot be held in milli-units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilliError {
    /// More than three digits after the decimal point.
    TooPrecise,
    /// Too large for a signed 64-bit count of milli-units.
    TooLarge,
}

/// Converts a JSON number to milli-units exactly: `26.0` → 26000, `-0.55` → -550,
/// `12.125` → 12125; more than three fractional digits is an error, never rounded.
///
/// serde_json holds non-integers as `f64`; the shortest decimal that reads back as the same
/// `f64` (Rust's `Display`) is the literal as written for any literal of up to 15 significant
/// digits, so the conversion is exact for every value a sensor can produce.
pub fn to_milli(n: &Number) -> Result<i64, MilliError> {
    if let Some(i) = n.as_i64() {
        return i.checked_mul(1000).ok_or(MilliError::TooLarge);
    }
    if n.as_u64().is_some() {
        return Err(MilliError::TooLarge);
    }
    let f = n.as_f64().ok_or(MilliError::TooLarge)?;
    if !f.is_finite() {
        return Err(MilliError::TooLarge);
    }
    parse_decimal_milli(&format!("{f}"))
}

/// Converts a plain decimal string (`-12.5`, `7`, `0.125`) to milli-units exactly.
pub fn parse_decimal_milli(s: &str) -> Result<i64, MilliError> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac.trim_end_matches('0');
    if frac.len() > 3 {
        return Err(MilliError::TooPrecise);
    }
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(MilliError::TooLarge);
    }
    let mut value: i64 = 0;
    for b in int
        .bytes()
        .chain(frac.bytes())
        .chain(std::iter::repeat_n(b'0', 3 - frac.len()))
    {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(MilliError::TooLarge)?;
    }
    Ok(if neg { -value } else { value })
}

/// Formats milli-units as the shortest exact decimal (`26000` → `26`, `-550` → `-0.55`).
pub fn format_milli(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (int, frac) = (a / 1000, a % 1000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let f = format!("{frac:03}");
    format!("{sign}{int}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn converts_exactly() {
        for (s, v) in [
            ("26.0", 26_000),
            ("26.1", 26_100),
            ("-0.55", -550),
            ("12.125", 12_125),
            ("7", 7000),
            ("0.001", 1),
            ("-3", -3000),
            ("1e2", 100_000),
        ] {
            assert_eq!(to_milli(&n(s)), Ok(v), "{s}");
        }
        assert_eq!(to_milli(&n("0.0001")), Err(MilliError::TooPrecise));
        assert_eq!(to_milli(&n("12.3456")), Err(MilliError::TooPrecise));
        assert_eq!(to_milli(&n("1e300")), Err(MilliError::TooLarge));
        assert_eq!(
            to_milli(&n("18446744073709551615")),
            Err(MilliError::TooLarge)
        );
    }

    #[test]
    fn formats_back() {
        for v in [
            26_000,
            26_100,
            -550,
            12_125,
            0,
            1,
            -1,
            i64::MIN + 1,
            i64::MAX,
        ] {
            let s = format_milli(v);
            assert_eq!(parse_decimal_milli(&s), Ok(v), "{s}");
        }
        assert_eq!(format_milli(-550), "-0.55");
    }
}
