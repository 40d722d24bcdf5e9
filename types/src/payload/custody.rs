//! Custody and transport events, aligned with GS1 EPCIS 2.0 (what, when, where, why).

use crate::validate::{self as v, Checked, FieldError};
use crate::{Epc, Locode, ShipmentId, TimeMs, wire_struct};
use serde::{Deserialize, Serialize};

/// The EPCIS event type the custody event was captured as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EpcisEventType {
    /// Observation of objects (RFID portal reads, pickups, arrivals).
    Object,
    /// Objects packed onto or removed from a parent (pallet, container).
    Aggregation,
    /// Objects tied to a business transaction (purchase order, invoice).
    Transaction,
    /// Inputs consumed to make outputs.
    Transformation,
    /// A sensor or device associated with or removed from a parent.
    Association,
}

/// EPCIS `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Action {
    /// Objects come into existence or are associated.
    Add,
    /// Objects are seen.
    Observe,
    /// Objects cease to exist or are disassociated.
    Delete,
}

wire_struct! {
    /// A place: a UN/LOCODE, coordinates in micro-degrees, and the site's own identifier.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Location {
        /// UN/LOCODE of the town, port or border crossing.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub locode: Option<Locode>,
        /// Latitude in micro-degrees (1e-6 °), WGS 84.
        pub lat_micro_deg: Option<i32>,
        /// Longitude in micro-degrees (1e-6 °), WGS 84.
        pub lon_micro_deg: Option<i32>,
        /// Site identifier as captured (an SGLN URI such as `urn:epc:id:sgln:0614141.00777.0`).
        pub site: Option<String>,
    }
}

impl Location {
    /// Checks the fields; `field` is this location's path.
    pub fn validate(&self, field: &str) -> Checked {
        if let Some(l) = &self.locode {
            v::locode(&format!("{field}.locode"), l)?;
        }
        match (self.lat_micro_deg, self.lon_micro_deg) {
            (Some(lat), Some(lon)) => {
                v::latitude(&format!("{field}.lat_micro_deg"), lat)?;
                v::longitude(&format!("{field}.lon_micro_deg"), lon)?;
            }
            (None, None) => {}
            _ => {
                return Err(FieldError::new(
                    field,
                    "latitude and longitude must be given together",
                ));
            }
        }
        if let Some(s) = &self.site {
            v::text(&format!("{field}.site"), s)?;
            crate::gs1::site(&format!("{field}.site"), s)?;
        }
        if self.locode.is_none() && self.lat_micro_deg.is_none() && self.site.is_none() {
            return Err(FieldError::new(
                field,
                "needs a locode, coordinates or a site id",
            ));
        }
        Ok(())
    }

    /// The country of the location, from its UN/LOCODE.
    pub fn country(&self) -> Option<&str> {
        self.locode.as_deref().and_then(|l| l.get(..2))
    }
}

/// What was observed of a seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SealStatus {
    /// A seal was applied (container sealed).
    Applied,
    /// The seal was checked and is intact.
    Intact,
    /// The seal or door was opened.
    Opened,
    /// The seal was found broken or tampered with.
    Broken,
}

wire_struct! {
    /// A seal observation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Seal {
        /// Seal number (ISO 17712) or e-seal id.
        pub seal_id: String,
        /// What was observed.
        pub status: SealStatus,
    }
}

wire_struct! {
    /// An extension field kept from a captured document, so it can be exported back unchanged.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Extension {
        /// The field's full name (a namespace-qualified EPCIS extension such as `example:myField`).
        pub name: String,
        /// The field's value as compact JSON.
        pub json: String,
    }
}

wire_struct! {
    /// A custody or transport event: pickup, loading, departure, border arrival, RFID portal read.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CustodyEvent {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// EPCIS event type.
        pub event_type: EpcisEventType,
        /// EPCIS action (absent for TransformationEvent).
        pub action: Option<Action>,
        /// CBV business step (`shipping`, `departing`, `arriving`, `receiving`, `inspecting`, ...),
        /// without the `urn:epcglobal:cbv:bizstep:` prefix.
        pub biz_step: String,
        /// CBV disposition (`in_transit`, `in_progress`, `conformant`, ...), when given.
        pub disposition: Option<String>,
        /// When it happened.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub event_time_ms: TimeMs,
        /// The local offset from UTC at the place, in minutes (EPCIS eventTimeZoneOffset).
        pub time_zone_offset_min: i16,
        /// Where the reading took place (the portal, the dock door).
        pub read_point: Option<Location>,
        /// Where the objects are after the event (the warehouse, the terminal).
        pub biz_location: Option<Location>,
        /// EPCs observed (epcList, or childEPCs for aggregations).
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub epcs: Vec<Epc>,
        /// Aggregation parent (pallet or container), when the event is an aggregation.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub parent: Option<Epc>,
        /// Seal observed, if any.
        pub seal: Option<Seal>,
        /// Extension fields kept verbatim, sorted by name.
        pub extensions: Vec<Extension>,
    }
}

impl CustodyEvent {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::id("shipment_id", &self.shipment_id)?;
        v::required_text("biz_step", &self.biz_step)?;
        if let Some(d) = &self.disposition {
            v::required_text("disposition", d)?;
        }
        if !(-14 * 60..=14 * 60).contains(&self.time_zone_offset_min) {
            return Err(FieldError::new(
                "time_zone_offset_min",
                "must be within ±14 hours",
            ));
        }
        match (self.event_type, self.action) {
            (EpcisEventType::Transformation, Some(_)) => {
                return Err(FieldError::new(
                    "action",
                    "a transformation event has no action",
                ));
            }
            (t, None) if t != EpcisEventType::Transformation => {
                return Err(FieldError::new(
                    "action",
                    format!("is required for a {t:?} event").to_lowercase(),
                ));
            }
            _ => {}
        }
        if let Some(l) = &self.read_point {
            l.validate("read_point")?;
        }
        if let Some(l) = &self.biz_location {
            l.validate("biz_location")?;
        }
        v::epc_list("epcs", &self.epcs)?;
        if let Some(p) = &self.parent {
            v::epc("parent", p)?;
            if self.epcs.contains(p) {
                return Err(FieldError::new(
                    "parent",
                    "is also listed among its own children (epcs)",
                ));
            }
        }
        if let Some(s) = &self.seal {
            v::id("seal.seal_id", &s.seal_id)?;
        }
        v::list("extensions", &self.extensions)?;
        for (i, w) in self.extensions.windows(2).enumerate() {
            if w[0].name >= w[1].name {
                return Err(FieldError::new(
                    format!("extensions[{}]", i + 1),
                    "must be sorted by name without duplicates",
                ));
            }
        }
        Ok(())
    }

    /// The country where the event happened: the read point's, else the business location's.
    pub fn country(&self) -> Option<&str> {
        self.read_point
            .as_ref()
            .and_then(Location::country)
            .or_else(|| self.biz_location.as_ref().and_then(Location::country))
    }
}
