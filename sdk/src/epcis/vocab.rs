//! Core Business Vocabulary names and sensor measurement types.

use tradeledger_types::SensorKind;

/// CBV 2.0 business steps, which EPCIS 2.0 JSON writes as bare names.
pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
    "sensor_reporting",
    "sampling",
];

/// CBV 2.0 dispositions.
pub const DISPOSITIONS: &[&str] = &[
    "active",
    "container_closed",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "no_pedigree_match",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unknown",
    "available",
    "completeness_verified",
    "completeness_inferred",
    "conformant",
    "container_open",
    "mismatch_instance",
    "mismatch_class",
    "mismatch_quantity",
    "needs_replacement",
    "non_conformant",
    "unavailable",
];

/// Which vocabulary a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocab {
    /// Business steps.
    BizStep,
    /// Dispositions.
    Disposition,
}

impl Vocab {
    fn urn_prefix(self) -> &'static str {
        match self {
            Vocab::BizStep => "urn:epcglobal:cbv:bizstep:",
            Vocab::Disposition => "urn:epcglobal:cbv:disp:",
        }
    }
    fn web_prefixes(self) -> [&'static str; 4] {
        match self {
            Vocab::BizStep => [
                "https://ref.gs1.org/cbv/BizStep-",
                "http://ref.gs1.org/cbv/BizStep-",
                "https://gs1.org/voc/BizStep-",
                "https://ns.gs1.org/cbv/BizStep-",
            ],
            Vocab::Disposition => [
                "https://ref.gs1.org/cbv/Disp-",
                "http://ref.gs1.org/cbv/Disp-",
                "https://gs1.org/voc/Disp-",
                "https://ns.gs1.org/cbv/Disp-",
            ],
        }
    }
    fn own_prefix(self) -> &'static str {
        match self {
            Vocab::BizStep => "urn:tradeledger:bizstep:",
            Vocab::Disposition => "urn:tradeledger:disp:",
        }
    }
    fn names(self) -> &'static [&'static str] {
        match self {
            Vocab::BizStep => BIZ_STEPS,
            Vocab::Disposition => DISPOSITIONS,
        }
    }
}

/// The ledger's form of a CBV value: the bare name for standard vocabulary, whichever way it
/// was written (`shipping`, `urn:epcglobal:cbv:bizstep:shipping`,
/// `https://ref.gs1.org/cbv/BizStep-shipping`); any other URI unchanged.
pub fn normalise(vocab: Vocab, value: &str) -> String {
    let prefixes = std::iter::once(vocab.urn_prefix())
        .chain(vocab.web_prefixes())
        .chain(std::iter::once(vocab.own_prefix()));
    for p in prefixes {
        if let Some(rest) = value.strip_prefix(p) {
            return rest.to_owned();
        }
    }
    value.to_owned()
}

/// The EPCIS 2.0 JSON form: a CBV name bare, a URI unchanged, and any other bare name under
/// `urn:tradeledger:` (the schema accepts only CBV names bare).
pub fn denormalise(vocab: Vocab, value: &str) -> String {
    if vocab.names().contains(&value) || value.contains(':') {
        value.to_owned()
    } else {
        format!("{}{value}", vocab.own_prefix())
    }
}

/// The bare measurement type (`Temperature` from `gs1:Temperature` or a gs1.org/voc URI).
pub fn measurement_name(t: &str) -> &str {
    for p in [
        "gs1:",
        "https://gs1.org/voc/",
        "http://gs1.org/voc/",
        "https://www.gs1.org/voc/",
    ] {
        if let Some(rest) = t.strip_prefix(p) {
            return rest;
        }
    }
    t
}

/// The sensor kind of an EPCIS measurement type and unit. Only unit-compatible pairs map to a
/// specific kind (Temperature in CEL, RelativeHumidity in A93 or P1, Illuminance in LUX,
/// Acceleration in K3); anything else is [`SensorKind::Other`] with its unit kept.
pub fn sensor_kind(measurement: &str, uom: Option<&str>) -> SensorKind {
    match (measurement_name(measurement), uom) {
        ("Temperature", Some("CEL") | None) => SensorKind::Temperature,
        ("RelativeHumidity", Some("A93" | "P1") | None) => SensorKind::RelativeHumidity,
        ("Illuminance", Some("LUX") | None) => SensorKind::Illuminance,
        ("Acceleration", Some("K3")) => SensorKind::Shock,
        _ => SensorKind::Other,
    }
}

/// The EPCIS measurement type written for a kind on export.
pub fn measurement_type(kind: SensorKind) -> &'static str {
    match kind {
        SensorKind::Temperature | SensorKind::PulpTemperature => "Temperature",
        SensorKind::RelativeHumidity => "RelativeHumidity",
        SensorKind::Illuminance => "Illuminance",
        SensorKind::Shock => "Acceleration",
        SensorKind::DoorOpen => "urn:tradeledger:sensor:door_open",
        SensorKind::Other => "urn:tradeledger:sensor:other",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalises_every_spelling() {
        for s in [
            "shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
        ] {
            assert_eq!(normalise(Vocab::BizStep, s), "shipping");
        }
        assert_eq!(
            normalise(Vocab::Disposition, "urn:epcglobal:cbv:disp:in_transit"),
            "in_transit"
        );
        let custom = "http://epcis.example.org/hc/bizstep/summarising_discharge";
        assert_eq!(normalise(Vocab::BizStep, custom), custom);
        assert_eq!(
            denormalise(Vocab::BizStep, "sealing_container"),
            "urn:tradeledger:bizstep:sealing_container"
        );
        assert_eq!(
            normalise(
                Vocab::BizStep,
                &denormalise(Vocab::BizStep, "sealing_container")
            ),
            "sealing_container"
        );
        assert_eq!(
            sensor_kind("gs1:Temperature", Some("CEL")),
            SensorKind::Temperature
        );
        assert_eq!(sensor_kind("Temperature", Some("FAH")), SensorKind::Other);
    }
}
