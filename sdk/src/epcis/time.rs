//! RFC 3339 date-times and EPCIS time-zone offsets, without a clock or a time library.

/// Parses an RFC 3339 date-time (`2019-04-02T15:00:00.000+01:00`, `2005-07-11T11:30:47.0Z`)
/// into Unix milliseconds and the offset in minutes. Fractions finer than a millisecond are
/// truncated; times before 1970 are refused (the ledger's times are unsigned).
pub fn parse_rfc3339(s: &str) -> Option<(u64, i16)> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0u64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + u64::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_min = parse_offset_at(b.get(i..)?)?;
    let days = days_from_civil(i64::from(year), month, day);
    let secs =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(59))
            - i64::from(offset_min) * 60;
    let ms = u64::try_from(secs)
        .ok()?
        .checked_mul(1000)?
        .checked_add(millis)?;
    Some((ms, offset_min))
}

/// Parses an EPCIS `eventTimeZoneOffset` (`+01:00`, `-06:00`) into minutes.
pub fn parse_offset(s: &str) -> Option<i16> {
    let b = s.as_bytes();
    if b.len() != 6 || b == b"Z" {
        return None;
    }
    parse_offset_at(b)
}

fn parse_offset_at(b: &[u8]) -> Option<i16> {
    match b {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let d = |c: &u8| c.is_ascii_digit().then(|| i16::from(c - b'0'));
            let (h, m) = (d(h1)? * 10 + d(h2)?, d(m1)? * 10 + d(m2)?);
            if h > 14 || m > 59 || (h == 14 && m > 0) {
                return None;
            }
            let total = h * 60 + m;
            Some(if *sign == b'-' { -total } else { total })
        }
        _ => None,
    }
}

/// Formats an offset in minutes as `+hh:mm` / `-hh:mm`.
pub fn format_offset(offset_min: i16) -> String {
    let sign = if offset_min < 0 { '-' } else { '+' };
    let a = offset_min.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 60, a % 60)
}

/// Formats Unix milliseconds as an RFC 3339 date-time in the given local offset, with
/// milliseconds (`2005-04-03T20:33:31.116-06:00`).
pub fn format_rfc3339(ms: u64, offset_min: i16) -> String {
    let local_ms = i128::from(ms) + i128::from(offset_min) * 60_000;
    let local_ms = i64::try_from(local_ms).unwrap_or(i64::MAX);
    let (days, rem_ms) = (
        local_ms.div_euclid(86_400_000),
        local_ms.rem_euclid(86_400_000),
    );
    let (y, m, d) = civil_from_days(days);
    let secs = rem_ms / 1000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        rem_ms % 1000,
        format_offset(offset_min)
    )
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let (ms, off) = parse_rfc3339("2005-04-03T20:33:31.116000-06:00").unwrap();
        assert_eq!(off, -360);
        assert_eq!(ms, 1_112_582_011_116);
        assert_eq!(format_rfc3339(ms, off), "2005-04-03T20:33:31.116-06:00");
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2005-07-11T11:30:47.0Z").map(|x| x.0),
            Some(1_121_081_447_000)
        );
        assert_eq!(
            format_rfc3339(1_121_081_447_000, 120),
            "2005-07-11T13:30:47.000+02:00"
        );
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "2019-02-29T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "2019-01-01 00:00:00Z",
            "2019-01-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2019-01-01T00:00:00.Z",
            "2019-01-01T00:00:00+15:00",
            "yesterday",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
        assert_eq!(parse_offset("+01:00"), Some(60));
        assert_eq!(parse_offset("-06:30"), Some(-390));
        assert_eq!(parse_offset("01:00"), None);
    }
}
