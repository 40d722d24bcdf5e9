//! Sensor reports: series of fixed-point readings from reefers, data loggers and e-seals.

use crate::validate::{self as v, Checked, FieldError};
use crate::{Hash32, ShipmentId, TimeMs, wire_struct};
use serde::{Deserialize, Serialize};

/// What a reading measures, and so its unit. Values are integers in milli-units of the unit
/// named here (temperature 7.5 °C is `7500`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SensorKind {
    /// Temperature, milli-degrees Celsius (EPCIS gs1:Temperature, uom CEL).
    Temperature,
    /// Relative humidity, milli-percent (gs1:RelativeHumidity, uom A93 or P1).
    RelativeHumidity,
    /// Illuminance, milli-lux (gs1:Illuminance, uom LUX).
    Illuminance,
    /// Door or e-seal state: 1000 = open, 0 = closed.
    DoorOpen,
    /// Shock or acceleration, milli-g.
    Shock,
    /// Fruit pulp (core) temperature, milli-degrees Celsius, as recorded during treatments.
    PulpTemperature,
    /// Any other measurement; the unit string in [`Reading::unit`] says what it is.
    Other,
}

impl SensorKind {
    /// The default UN/CEFACT unit code for this kind.
    pub fn default_unit(self) -> &'static str {
        match self {
            SensorKind::Temperature | SensorKind::PulpTemperature => "CEL",
            SensorKind::RelativeHumidity => "A93",
            SensorKind::Illuminance => "LUX",
            SensorKind::DoorOpen => "C62",
            SensorKind::Shock => "K3",
            SensorKind::Other => "",
        }
    }
}

wire_struct! {
    /// One reading.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Reading {
        /// What is measured.
        pub kind: SensorKind,
        /// Value in milli-units of `unit`.
        pub value_milli: i64,
        /// UN/CEFACT unit code (`CEL`, `A93`, `LUX`, ...).
        pub unit: String,
        /// When it was read.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub time_ms: TimeMs,
    }
}

wire_struct! {
    /// Summary of one kind of reading in a report.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct SeriesStats {
        /// The kind summarised.
        pub kind: SensorKind,
        /// Number of readings of this kind in the full series.
        pub count: u32,
        /// Lowest value.
        pub min_milli: i64,
        /// Highest value.
        pub max_milli: i64,
    }
}

wire_struct! {
    /// A sensor report. Small series are carried whole; large ones carry a sample, the stats of
    /// the full series and a Merkle root over it (the full series kept by the device owner for
    /// proof on request).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct SensorReport {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The device's own id (serial number or EPC of the logger).
        pub device_id: String,
        /// Readings, in time order.
        pub readings: Vec<Reading>,
        /// Min/max per kind over the full series.
        pub stats: Vec<SeriesStats>,
        /// Number of readings in the full series (equals `readings.len()` when carried whole).
        pub series_len: u32,
        /// Merkle root over the canonical encodings of the full series, when not carried whole.
        pub series_root: Option<Hash32>,
    }
}

/// Absolute zero, milli-degrees Celsius: no temperature lies below it.
pub const ABSOLUTE_ZERO_MILLI_C: i64 = -273_150;

impl SensorKind {
    /// The UN/CEFACT unit codes a reading of this kind may carry (empty: any). Values are read
    /// in milli-units of the kind's unit by the rules (a temperature as milli-°C), so a reading
    /// in another unit would be misread: it contradicts its kind.
    pub fn units(self) -> &'static [&'static str] {
        match self {
            SensorKind::Temperature | SensorKind::PulpTemperature => &["CEL"],
            SensorKind::RelativeHumidity => &["A93", "P1"],
            SensorKind::Illuminance => &["LUX"],
            SensorKind::DoorOpen => &["C62"],
            SensorKind::Shock => &["K3"],
            SensorKind::Other => &[],
        }
    }

    /// The values a reading of this kind can take, in milli-units: temperatures not below
    /// absolute zero, relative humidity 0–100 %, illuminance not negative, a door 0 (closed) or
    /// 1000 (open). `None` when the value is possible.
    fn impossible(self, v: i64) -> Option<&'static str> {
        match self {
            SensorKind::Temperature | SensorKind::PulpTemperature if v < ABSOLUTE_ZERO_MILLI_C => {
                Some("is below absolute zero (-273150 milli-°C)")
            }
            SensorKind::RelativeHumidity if !(0..=100_000).contains(&v) => {
                Some("relative humidity must be 0 to 100 % (0 to 100000 milli-percent)")
            }
            SensorKind::Illuminance if v < 0 => Some("illuminance cannot be negative"),
            SensorKind::DoorOpen if v != 0 && v != 1_000 => {
                Some("a door reading is 0 (closed) or 1000 (open)")
            }
            _ => None,
        }
    }
}

impl Reading {
    /// Checks the reading on its own: its unit is one of its kind's and its value possible;
    /// `field` is this reading's path.
    pub fn validate(&self, field: &str) -> Checked {
        v::id(&format!("{field}.unit"), &self.unit)?;
        let units = self.kind.units();
        if !units.is_empty() && !units.contains(&self.unit.as_str()) {
            return Err(FieldError::new(
                format!("{field}.unit"),
                format!(
                    "{} contradicts the kind {:?}, which is read in {}",
                    self.unit,
                    self.kind,
                    units.join(" or ")
                )
                .to_lowercase(),
            ));
        }
        if let Some(why) = self.kind.impossible(self.value_milli) {
            return Err(FieldError::new(
                format!("{field}.value_milli"),
                format!("{}: {why}", self.value_milli),
            ));
        }
        Ok(())
    }
}

/// Checks a series of readings: each on its own ([`Reading::validate`]), and in time order.
/// Two readings of one kind at the same instant are possible (a reefer's supply and return air,
/// several pulp probes), so they are not refused.
pub fn check_readings(field: &str, readings: &[Reading]) -> Checked {
    for (i, r) in readings.iter().enumerate() {
        r.validate(&format!("{field}[{i}]"))?;
    }
    for (i, w) in readings.windows(2).enumerate() {
        if w[1].time_ms < w[0].time_ms {
            return Err(FieldError::new(
                format!("{field}[{}].time_ms", i + 1),
                "readings must be in time order",
            ));
        }
    }
    Ok(())
}

impl SensorReport {
    /// Checks fields, time order, units against kinds, and that the stats and series length
    /// agree with the carried readings: exactly when the series is carried whole, as bounds
    /// when only a sample is carried.
    pub fn validate(&self) -> Checked {
        v::id("shipment_id", &self.shipment_id)?;
        v::id("device_id", &self.device_id)?;
        if self.device_id.starts_with("urn:epc:") || self.device_id.starts_with("https://") {
            crate::gs1::epc("device_id", &self.device_id)?;
        }
        v::non_empty_list("readings", &self.readings)?;
        check_readings("readings", &self.readings)?;
        let carried = u32::try_from(self.readings.len()).unwrap_or(u32::MAX);
        if self.series_len < carried {
            return Err(FieldError::new(
                "series_len",
                "is smaller than the number of readings carried",
            ));
        }
        let whole = self.series_len == carried;
        if !whole && self.series_root.is_none() {
            return Err(FieldError::new(
                "series_root",
                "is required when the series is not carried whole",
            ));
        }
        if whole && self.series_root.is_some() {
            return Err(FieldError::new(
                "series_root",
                "must be absent when the series is carried whole (series_len equals the readings carried)",
            ));
        }
        self.check_stats(whole)
    }

    fn check_stats(&self, whole: bool) -> Checked {
        v::list("stats", &self.stats)?;
        let mut total = 0u64;
        for (i, s) in self.stats.iter().enumerate() {
            let f = |name: &str| format!("stats[{i}].{name}");
            if self.stats[..i].iter().any(|o| o.kind == s.kind) {
                return Err(FieldError::new(
                    format!("stats[{i}].kind"),
                    format!("{:?} is summarised twice", s.kind).to_lowercase(),
                ));
            }
            if s.count == 0 {
                return Err(FieldError::new(
                    f("count"),
                    "must be positive: a kind without readings has no stats",
                ));
            }
            if s.min_milli > s.max_milli {
                return Err(FieldError::new(format!("stats[{i}]"), "min exceeds max"));
            }
            total = total.saturating_add(u64::from(s.count));
            let mut n = 0u32;
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            for r in self.readings.iter().filter(|r| r.kind == s.kind) {
                n = n.saturating_add(1);
                lo = lo.min(r.value_milli);
                hi = hi.max(r.value_milli);
            }
            if n > 0 && (lo < s.min_milli || hi > s.max_milli) {
                return Err(FieldError::new(
                    format!("stats[{i}]"),
                    "a carried reading lies outside min/max",
                ));
            }
            if s.count < n {
                return Err(FieldError::new(
                    f("count"),
                    format!("is {} but {n} readings of this kind are carried", s.count),
                ));
            }
            if whole {
                if s.count != n {
                    return Err(FieldError::new(
                        f("count"),
                        format!(
                            "is {} but the whole series carries {n} readings of this kind",
                            s.count
                        ),
                    ));
                }
                if s.min_milli != lo {
                    return Err(FieldError::new(
                        f("min_milli"),
                        format!("is {} but the lowest reading carried is {lo}", s.min_milli),
                    ));
                }
                if s.max_milli != hi {
                    return Err(FieldError::new(
                        f("max_milli"),
                        format!("is {} but the highest reading carried is {hi}", s.max_milli),
                    ));
                }
            }
        }
        if self.stats.is_empty() {
            return Ok(());
        }
        if let Some((i, r)) = self
            .readings
            .iter()
            .enumerate()
            .find(|(_, r)| self.stats.iter().all(|s| s.kind != r.kind))
        {
            return Err(FieldError::new(
                format!("readings[{i}].kind"),
                format!("{:?} has no stats while other kinds do", r.kind).to_lowercase(),
            ));
        }
        if total != u64::from(self.series_len) {
            return Err(FieldError::new(
                "series_len",
                format!(
                    "is {} but the stats count {total} readings in the series",
                    self.series_len
                ),
            ));
        }
        Ok(())
    }
}
