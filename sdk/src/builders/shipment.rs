use super::{Build, BuildError, required};
use tradeledger_types::{GoodsLine, Party, Payload, RouteStop, ShipmentDeclaration, TimeMs};

/// Builds a [`Party`].
#[derive(Debug, Clone)]
pub struct PartyBuilder(Party);

impl PartyBuilder {
    /// A party with legal name, postal address and country (ISO 3166-1 alpha-2).
    pub fn new(
        name: impl Into<String>,
        address: impl Into<String>,
        country: impl Into<String>,
    ) -> Self {
        PartyBuilder(Party {
            org: None,
            name: name.into(),
            address: address.into(),
            contact: String::new(),
            country: country.into(),
        })
    }
    /// The party's organisation on the chain.
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.0.org = Some(org.into());
        self
    }
    /// Contact e-mail or telephone.
    pub fn contact(mut self, contact: impl Into<String>) -> Self {
        self.0.contact = contact.into();
        self
    }
    /// The party (validated as part of the payload that holds it).
    pub fn done(self) -> Party {
        self.0
    }
}

/// Builds a [`ShipmentDeclaration`].
#[derive(Debug, Clone, Default)]
pub struct ShipmentBuilder {
    shipment_id: String,
    exporter: Option<Party>,
    importer: Option<Party>,
    producer: Option<Party>,
    carrier: Option<String>,
    goods: Vec<GoodsLine>,
    origin_country: Option<String>,
    destination_country: Option<String>,
    route: Vec<RouteStop>,
    epcs: Vec<String>,
    departure_ms: Option<TimeMs>,
    arrival_ms: Option<TimeMs>,
}

impl ShipmentBuilder {
    /// A declaration of `shipment_id`.
    pub fn new(shipment_id: impl Into<String>) -> Self {
        ShipmentBuilder {
            shipment_id: shipment_id.into(),
            ..Default::default()
        }
    }
    /// The exporter (required).
    pub fn exporter(mut self, p: Party) -> Self {
        self.exporter = Some(p);
        self
    }
    /// The importer of record (required).
    pub fn importer(mut self, p: Party) -> Self {
        self.importer = Some(p);
        self
    }
    /// The producer, when known and different from the exporter.
    pub fn producer(mut self, p: Party) -> Self {
        self.producer = Some(p);
        self
    }
    /// The carrier organisation (required).
    pub fn carrier(mut self, org: impl Into<String>) -> Self {
        self.carrier = Some(org.into());
        self
    }
    /// Adds a goods line (at least one).
    pub fn goods(mut self, line: GoodsLine) -> Self {
        self.goods.push(line);
        self
    }
    /// Origin and destination countries (required).
    pub fn countries(mut self, origin: impl Into<String>, destination: impl Into<String>) -> Self {
        self.origin_country = Some(origin.into());
        self.destination_country = Some(destination.into());
        self
    }
    /// Adds a route stop (at least one), origin first.
    pub fn stop(mut self, country: impl Into<String>, locode: Option<&str>) -> Self {
        self.route.push(RouteStop {
            country: country.into(),
            locode: locode.map(str::to_owned),
        });
        self
    }
    /// Adds a declared EPC (pure-identity URI).
    pub fn epc(mut self, epc: impl Into<String>) -> Self {
        self.epcs.push(epc.into());
        self
    }
    /// Planned departure and arrival (required).
    pub fn schedule(mut self, departure_ms: TimeMs, arrival_ms: TimeMs) -> Self {
        self.departure_ms = Some(departure_ms);
        self.arrival_ms = Some(arrival_ms);
        self
    }
}

impl Build for ShipmentBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::ShipmentDeclaration(ShipmentDeclaration {
            shipment_id: self.shipment_id,
            exporter: required("exporter", self.exporter)?,
            importer: required("importer", self.importer)?,
            producer: self.producer,
            carrier: required("carrier", self.carrier)?,
            goods: self.goods,
            origin_country: required("origin_country", self.origin_country)?,
            destination_country: required("destination_country", self.destination_country)?,
            route: self.route,
            epcs: self.epcs,
            departure_ms: required("departure_ms", self.departure_ms)?,
            arrival_ms: required("arrival_ms", self.arrival_ms)?,
        }))
    }
}
