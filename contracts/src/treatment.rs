//! Quarantine treatments proven by their temperature record (DOMAIN.md, "Cold chain and
//! quarantine"): a gap or an excursion voids the treatment.
//!
//! - Cold treatment (7 CFR 301.93-10): pulp at or below [`COLD_MAX_MILLI_C`] (0.55 °C) for at
//!   least [`COLD_DAYS_MIN`] (21) days.
//! - Forced hot air (7 CFR 305.27): pulp at or above [`HOT_AIR_MIN_MILLI_C`] (44 °C) for at least
//!   [`HOT_AIR_MINUTES_MIN`] (100) consecutive minutes.
//! - Every treatment: readings (pulp or air temperature) inside the window, no two consecutive
//!   ones, nor the window's start and the first, nor the last and the window's end, further apart
//!   than the rule set's `treatment_gap_minutes_max`.

use crate::outcome::TreatmentFault;
use tradeledger_types::{Reading, SensorKind, TreatmentKind, TreatmentRecord};

/// Cold treatment ceiling, milli-°C (0.55 °C).
pub const COLD_MAX_MILLI_C: i64 = 550;
/// Cold treatment duration, days.
pub const COLD_DAYS_MIN: u64 = 21;
/// Hot-air treatment floor, milli-°C (44 °C, 111.2 °F).
pub const HOT_AIR_MIN_MILLI_C: i64 = 44_000;
/// Hot-air treatment duration at or above the floor, minutes.
pub const HOT_AIR_MINUTES_MIN: u64 = 100;

const MINUTE_MS: u64 = 60_000;

/// Checks a treatment record. `Ok(summary)` when it proves the treatment, else the fault and why.
pub fn check_treatment(
    t: &TreatmentRecord,
    gap_minutes_max: u32,
) -> Result<String, (TreatmentFault, String)> {
    let readings: Vec<&Reading> = t
        .readings
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                SensorKind::PulpTemperature | SensorKind::Temperature
            )
        })
        .filter(|r| t.start_ms <= r.time_ms && r.time_ms <= t.end_ms)
        .collect();
    if readings.is_empty() {
        return Err((
            TreatmentFault::NoReadings,
            "no temperature readings inside the treatment window".into(),
        ));
    }
    let gap_max_ms = u64::from(gap_minutes_max) * MINUTE_MS;
    let mut times = Vec::with_capacity(readings.len() + 2);
    times.push(t.start_ms);
    times.extend(readings.iter().map(|r| r.time_ms));
    times.push(t.end_ms);
    if let Some(w) = times.windows(2).find(|w| w[1] - w[0] > gap_max_ms) {
        return Err((
            TreatmentFault::Gap,
            format!(
                "{} minutes without a reading (at most {gap_minutes_max} allowed)",
                (w[1] - w[0]) / MINUTE_MS
            ),
        ));
    }
    match t.kind {
        TreatmentKind::Cold => {
            if let Some(r) = readings.iter().find(|r| r.value_milli > COLD_MAX_MILLI_C) {
                return Err((
                    TreatmentFault::Excursion,
                    format!("{} milli-°C above the 550 milli-°C ceiling", r.value_milli),
                ));
            }
            let days = (t.end_ms - t.start_ms) / (24 * 60 * MINUTE_MS);
            if days < COLD_DAYS_MIN {
                return Err((
                    TreatmentFault::TooShort,
                    format!("held {days} days, {COLD_DAYS_MIN} required"),
                ));
            }
            Ok(format!(
                "cold treatment held at or below 0.55 °C for {days} days"
            ))
        }
        TreatmentKind::HotAir => {
            let mut best = 0u64;
            let mut run_start: Option<u64> = None;
            for r in &readings {
                if r.value_milli >= HOT_AIR_MIN_MILLI_C {
                    let s = *run_start.get_or_insert(r.time_ms);
                    best = best.max(r.time_ms - s);
                } else {
                    run_start = None;
                }
            }
            let minutes = best / MINUTE_MS;
            if minutes < HOT_AIR_MINUTES_MIN {
                return Err((
                    TreatmentFault::TooShort,
                    format!(
                        "at or above 44 °C for {minutes} minutes, {HOT_AIR_MINUTES_MIN} required"
                    ),
                ));
            }
            Ok(format!("hot air at or above 44 °C for {minutes} minutes"))
        }
        TreatmentKind::Fumigation => Ok("fumigation record without gaps".into()),
    }
}
