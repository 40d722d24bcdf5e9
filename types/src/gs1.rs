//! GS1 identification keys in every form a payload accepts: plain digits (GTIN, SSCC, GLN), EPC
//! pure-identity and class URNs (GS1 Tag Data Standard) and GS1 Digital Link URIs. A key whose
//! check digit is wrong, or whose URN fields do not add up to the key's length, names a thing
//! that cannot exist: the analyst refuses it, and so does validation.
//!
//! EPC URNs carry no check digit (TDS drops it; it is recomputed on conversion to an element
//! string), so for them the check is the digit count of company prefix plus reference.

use crate::validate::{Checked, FieldError};

/// The GS1 mod-10 check digit of `body` (all ASCII digits; the check digit itself excluded):
/// weights 3, 1, 3, … from the right.
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d.wrapping_sub(b'0')) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    // `sum % 10` is below 10, so the result is a digit.
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

fn all_digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

/// Checks `v` as a digit string of one of `lengths` whose last digit is its GS1 check digit.
/// `what` names the key in the problem (`GTIN`, `SSCC`, …).
pub fn digits_with_check(field: &str, what: &str, v: &str, lengths: &[usize]) -> Checked {
    if !all_digits(v) || !lengths.contains(&v.len()) {
        let l: Vec<String> = lengths.iter().map(usize::to_string).collect();
        return Err(FieldError::new(
            field,
            format!("a {what} must be {} digits, got {v:?}", l.join(" or ")),
        ));
    }
    let b = v.as_bytes();
    let (body, check) = b.split_at(b.len() - 1);
    let expected = check_digit(body);
    if check[0] - b'0' != expected {
        return Err(FieldError::new(
            field,
            format!("{what} {v} has a wrong check digit: should be {expected}"),
        ));
    }
    Ok(())
}

/// A GTIN-8, -12, -13 or -14 in plain digits.
pub fn gtin(field: &str, v: &str) -> Checked {
    digits_with_check(field, "GTIN", v, &[8, 12, 13, 14])
}

/// An SSCC (18 digits) in plain digits.
pub fn sscc(field: &str, v: &str) -> Checked {
    digits_with_check(field, "SSCC", v, &[18])
}

/// A GLN (13 digits) in plain digits.
pub fn gln(field: &str, v: &str) -> Checked {
    digits_with_check(field, "GLN", v, &[13])
}

/// How the digits of an EPC URN scheme are laid out: the number of dot-separated parts, and the
/// total count of company-prefix and reference digits (the key without its check digit).
struct UrnScheme {
    name: &'static str,
    parts: usize,
    key_digits: Option<usize>,
    /// Whether the second part (the reference) must be digits.
    numeric_reference: bool,
}

const fn scheme(
    name: &'static str,
    parts: usize,
    key_digits: Option<usize>,
    numeric_reference: bool,
) -> UrnScheme {
    UrnScheme {
        name,
        parts,
        key_digits,
        numeric_reference,
    }
}

/// GS1 schemes of `urn:epc:id:` (TDS 2.x §6): company prefix (6–12 digits) first.
const ID_SCHEMES: &[UrnScheme] = &[
    scheme("sgtin", 3, Some(13), true),
    scheme("sscc", 2, Some(17), true),
    scheme("sgln", 3, Some(12), false),
    scheme("grai", 3, Some(12), true),
    scheme("giai", 2, None, false),
    scheme("gsrn", 2, Some(17), true),
    scheme("gsrnp", 2, Some(17), true),
    scheme("gdti", 3, Some(12), true),
    scheme("sgcn", 3, Some(12), true),
    scheme("pgln", 2, Some(12), true),
    scheme("ginc", 2, None, false),
    scheme("gsin", 2, Some(16), true),
    scheme("itip", 5, Some(13), true),
    scheme("cpi", 3, None, false),
    scheme("upui", 3, Some(13), true),
];

/// GS1 schemes of `urn:epc:class:`.
const CLASS_SCHEMES: &[UrnScheme] = &[scheme("lgtin", 3, Some(13), true)];

fn check_urn(field: &str, v: &str, rest: &str, schemes: &[UrnScheme]) -> Checked {
    let Some((name, body)) = rest.split_once(':') else {
        return Err(FieldError::new(
            field,
            format!("an EPC URN names a scheme and its fields, got {v:?}"),
        ));
    };
    // Schemes outside GS1 keys (gid, usdod, adi, bic, imovn, …) carry no GS1 check digit.
    let Some(s) = schemes.iter().find(|s| s.name == name) else {
        return Ok(());
    };
    let parts: Vec<&str> = body.split('.').collect();
    let bad = |why: String| Err(FieldError::new(field, format!("{v}: {why}")));
    if parts.len() != s.parts {
        return bad(format!(
            "a {} URN has {} dot-separated parts, found {}",
            s.name,
            s.parts,
            parts.len()
        ));
    }
    let prefix = parts[0];
    if !all_digits(prefix) || !(6..=12).contains(&prefix.len()) {
        return bad("the company prefix must be 6 to 12 digits".into());
    }
    if s.numeric_reference && !(parts[1].is_empty() || all_digits(parts[1])) {
        return bad("the reference must be digits".into());
    }
    if let Some(n) = s.key_digits
        && prefix.len() + parts[1].len() != n
    {
        return bad(format!(
            "company prefix and reference must have {n} digits together, found {}",
            prefix.len() + parts[1].len()
        ));
    }
    // The reference may be empty when a 12-digit prefix fills the key (sgln, grai, …); the
    // serial or extension after it may not.
    if parts.iter().skip(2).any(|p| p.is_empty()) || (s.key_digits.is_none() && parts[1].is_empty())
    {
        return bad("a field is empty".into());
    }
    Ok(())
}

/// Digital Link primary keys (GS1 Digital Link URI syntax 1.x): AI, key length in digits (or
/// the lengths allowed) and whether the key ends with a check digit at that length.
const DL_KEYS: &[(&str, &[usize], bool)] = &[
    ("01", &[8, 12, 13, 14], true), // GTIN
    ("00", &[18], true),            // SSCC
    ("414", &[13], true),           // GLN of a location
    ("417", &[13], true),           // party GLN
    ("8003", &[14], true),          // GRAI (first 14 digits; a serial may follow)
    ("8006", &[14], true),          // ITIP (GTIN then piece and total)
    ("8017", &[18], true),          // GSRN provider
    ("8018", &[18], true),          // GSRN recipient
    ("253", &[13], true),           // GDTI (then an optional serial)
    ("255", &[13], true),           // GCN (then an optional serial)
    ("402", &[17], true),           // GSIN
    ("8004", &[], false),           // GIAI: no check digit
    ("401", &[], false),            // GINC: no check digit
    ("8010", &[], false),           // CPID: no check digit
    ("8013", &[14], true),          // GMN
];

/// A GS1 Digital Link URI: the first path segment that is a primary-key AI is followed by the
/// key, whose check digit must be right.
pub fn digital_link(field: &str, v: &str) -> Checked {
    let Some(rest) = v.strip_prefix("https://") else {
        return Err(FieldError::new(
            field,
            format!("a GS1 Digital Link starts with https://, got {v:?}"),
        ));
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let Some(&(ai, lengths, has_check)) = DL_KEYS.iter().find(|(ai, _, _)| ai == seg) else {
            continue;
        };
        let Some(&value) = segments.get(i + 1).filter(|s| !s.is_empty()) else {
            return Err(FieldError::new(
                field,
                format!("{v}: primary key /{ai}/ has no value"),
            ));
        };
        if !has_check {
            return Ok(());
        }
        // GRAI, ITIP, GDTI and GCN carry a serial or counts after the checked digits.
        let max = lengths.iter().copied().max().unwrap_or(0);
        let key = match ai {
            "8003" | "8006" | "253" | "255" => value.get(..max).unwrap_or(value),
            _ => value,
        };
        let what = match ai {
            "01" | "8006" => "GTIN",
            "00" => "SSCC",
            "414" | "417" => "GLN",
            "8003" => "GRAI",
            "8017" | "8018" => "GSRN",
            "253" => "GDTI",
            "255" => "GCN",
            "402" => "GSIN",
            _ => "GMN",
        };
        if ai == "8013" {
            // GMN check characters are mod-1021 pairs over alphanumerics; not checked here.
            return Ok(());
        }
        return digits_with_check(field, what, key, lengths);
    }
    Err(FieldError::new(
        field,
        format!("{v}: a GS1 Digital Link names a primary key such as /01/, /00/ or /414/"),
    ))
}

/// An EPC as a payload carries it: a pure-identity URN (`urn:epc:id:`), a class URN
/// (`urn:epc:class:`) or a GS1 Digital Link (`https://`). Checks the GS1 key inside.
pub fn epc(field: &str, v: &str) -> Checked {
    if let Some(rest) = v.strip_prefix("urn:epc:id:") {
        check_urn(field, v, rest, ID_SCHEMES)
    } else if let Some(rest) = v.strip_prefix("urn:epc:class:") {
        check_urn(field, v, rest, CLASS_SCHEMES)
    } else {
        digital_link(field, v)
    }
}

/// A site identifier as captured: an SGLN URN, a GLN in digits or a Digital Link is checked as
/// such; any other identifier is free text (checked by the caller).
pub fn site(field: &str, v: &str) -> Checked {
    if v.starts_with("urn:epc:id:") || v.starts_with("https://") {
        epc(field, v)
    } else if all_digits(v) && v.len() == 13 {
        gln(field, v)
    } else {
        Ok(())
    }
}
