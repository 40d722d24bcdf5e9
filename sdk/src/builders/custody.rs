use super::{Build, BuildError};
use tradeledger_types::{
    Action, CustodyEvent, EpcisEventType, Extension, Location, Payload, Seal, SealStatus, TimeMs,
};

/// Builds a [`CustodyEvent`] (pickup, departure, border arrival, RFID portal read).
#[derive(Debug, Clone)]
pub struct CustodyBuilder(CustodyEvent);

fn site(id: &str) -> Location {
    Location {
        locode: None,
        lat_micro_deg: None,
        lon_micro_deg: None,
        site: Some(id.to_owned()),
    }
}

impl CustodyBuilder {
    /// An ObjectEvent with action OBSERVE: `biz_step` is a CBV name such as `departing`.
    pub fn new(
        shipment_id: impl Into<String>,
        biz_step: impl Into<String>,
        event_time_ms: TimeMs,
    ) -> Self {
        CustodyBuilder(CustodyEvent {
            shipment_id: shipment_id.into(),
            event_type: EpcisEventType::Object,
            action: Some(Action::Observe),
            biz_step: biz_step.into(),
            disposition: None,
            event_time_ms,
            time_zone_offset_min: 0,
            read_point: None,
            biz_location: None,
            epcs: Vec::new(),
            parent: None,
            seal: None,
            extensions: Vec::new(),
        })
    }
    /// The EPCIS event type and action (`None` only for transformations).
    pub fn kind(mut self, event_type: EpcisEventType, action: Option<Action>) -> Self {
        self.0.event_type = event_type;
        self.0.action = action;
        self
    }
    /// CBV disposition (`in_transit`, ...).
    pub fn disposition(mut self, d: impl Into<String>) -> Self {
        self.0.disposition = Some(d.into());
        self
    }
    /// Local offset from UTC, minutes.
    pub fn time_zone_offset_min(mut self, offset: i16) -> Self {
        self.0.time_zone_offset_min = offset;
        self
    }
    /// Read point as a full location.
    pub fn read_point(mut self, l: Location) -> Self {
        self.0.read_point = Some(l);
        self
    }
    /// Read point given by a site id (an SGLN URI).
    pub fn read_point_site(self, id: &str) -> Self {
        self.read_point(site(id))
    }
    /// Business location as a full location.
    pub fn biz_location(mut self, l: Location) -> Self {
        self.0.biz_location = Some(l);
        self
    }
    /// Business location given by a UN/LOCODE.
    pub fn biz_locode(self, locode: &str) -> Self {
        self.biz_location(Location {
            locode: Some(locode.to_owned()),
            lat_micro_deg: None,
            lon_micro_deg: None,
            site: None,
        })
    }
    /// Adds an observed EPC (pure-identity URI).
    pub fn epc(mut self, epc: impl Into<String>) -> Self {
        self.0.epcs.push(epc.into());
        self
    }
    /// Adds several EPCs.
    pub fn epcs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, epcs: I) -> Self {
        self.0.epcs.extend(epcs.into_iter().map(Into::into));
        self
    }
    /// The aggregation parent (pallet SSCC or container).
    pub fn parent(mut self, epc: impl Into<String>) -> Self {
        self.0.parent = Some(epc.into());
        self
    }
    /// A seal observation.
    pub fn seal(mut self, seal_id: impl Into<String>, status: SealStatus) -> Self {
        self.0.seal = Some(Seal {
            seal_id: seal_id.into(),
            status,
        });
        self
    }
    /// An extension field (`name`, compact JSON value); kept sorted by name.
    pub fn extension(mut self, name: impl Into<String>, json: impl Into<String>) -> Self {
        let x = Extension {
            name: name.into(),
            json: json.into(),
        };
        let at = self.0.extensions.partition_point(|e| e.name < x.name);
        self.0.extensions.insert(at, x);
        self
    }
}

impl Build for CustodyBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::Custody(self.0))
    }
}
