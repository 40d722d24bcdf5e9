//! Shipment declaration: the shipper's statement of what moves, between whom, along which route.

use crate::validate::{self as v, Checked, FieldError};
use crate::{Country, Currency, Epc, HsCode, Locode, OrgId, ShipmentId, TimeMs, wire_struct};

wire_struct! {
    /// A party as named on trade documents (USMCA asks name, address and contact for each).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Party {
        /// The party's organisation on the chain, when it has one.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub org: Option<OrgId>,
        /// Legal name.
        pub name: String,
        /// Postal address.
        pub address: String,
        /// Contact: e-mail or telephone.
        pub contact: String,
        /// Country of the address (ISO 3166-1 alpha-2).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub country: Country,
    }
}

impl Party {
    /// Checks every field; `field` is this party's path (e.g. `exporter`).
    pub fn validate(&self, field: &str) -> Checked {
        if let Some(org) = &self.org {
            v::org_id(&format!("{field}.org"), org)?;
        }
        v::required_text(&format!("{field}.name"), &self.name)?;
        v::required_text(&format!("{field}.address"), &self.address)?;
        v::text(&format!("{field}.contact"), &self.contact)?;
        v::country(&format!("{field}.country"), &self.country)
    }
}

wire_struct! {
    /// A material used to produce a good, for origin (tariff shift and RVC) checks.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Material {
        /// What it is.
        pub description: String,
        /// Its HS subheading (six digits).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub hs_code: HsCode,
        /// Its value in minor units of the line's currency.
        pub value_minor: u64,
        /// Whether it is originating in the free-trade area.
        pub originating: bool,
    }
}

wire_struct! {
    /// The producer's cost data for a good, needed for regional value content.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CostData {
        /// Transaction value (FOB), minor units.
        pub transaction_value_minor: u64,
        /// Net cost, minor units.
        pub net_cost_minor: u64,
        /// Bill of materials.
        pub materials: Vec<Material>,
    }
}

impl CostData {
    /// Checks the materials, and that the totals add up: the materials' values sum without
    /// overflow and do not exceed the transaction value or the net cost, when given (a good
    /// cannot cost less than its materials).
    pub fn validate(&self, field: &str) -> Checked {
        v::list(&format!("{field}.materials"), &self.materials)?;
        let mut total = 0u64;
        for (j, m) in self.materials.iter().enumerate() {
            let f = |name: &str| format!("{field}.materials[{j}].{name}");
            v::hs_code(&f("hs_code"), &m.hs_code)?;
            v::text(&f("description"), &m.description)?;
            total = total.checked_add(m.value_minor).ok_or_else(|| {
                FieldError::new(f("value_minor"), "the materials' total value overflows")
            })?;
        }
        for (name, base) in [
            ("transaction_value_minor", self.transaction_value_minor),
            ("net_cost_minor", self.net_cost_minor),
        ] {
            if base > 0 && total > base {
                return Err(FieldError::new(
                    format!("{field}.{name}"),
                    format!("is {base}, less than the materials' total {total}"),
                ));
            }
        }
        Ok(())
    }
}

wire_struct! {
    /// One line of goods in a declaration.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct GoodsLine {
        /// Line number, unique within the declaration (1, 2, ...).
        pub line: u32,
        /// Plain description.
        pub description: String,
        /// GS1 trade item number, when the goods carry one.
        pub gtin: Option<String>,
        /// Six-digit HS subheading.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub hs_code: HsCode,
        /// Quantity in `unit`.
        pub quantity: u64,
        /// Unit of quantity (UN/ECE rec. 20, e.g. `KGM`, `C62` for pieces).
        pub unit: String,
        /// Customs value in minor units of `currency`.
        pub value_minor: u64,
        /// ISO 4217 currency.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub currency: Currency,
        /// Brand or trademark the goods bear, if any (checked by the IPR contract).
        pub brand: Option<String>,
        /// Manufacturer of the goods (checked against IPR licences).
        pub manufacturer: Option<String>,
        /// Declared country of origin.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub origin_country: Country,
        /// Cost data for origin checks, when preferential origin is claimed.
        pub cost: Option<CostData>,
    }
}

wire_struct! {
    /// A place on the planned route.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct RouteStop {
        /// Country of the stop.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub country: Country,
        /// UN/LOCODE of the stop, when known.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub locode: Option<Locode>,
    }
}

wire_struct! {
    /// The shipper's declaration. Creates the shipment; every other shipment event refers to it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ShipmentDeclaration {
        /// Unique shipment id.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// Exporter.
        pub exporter: Party,
        /// Importer of record.
        pub importer: Party,
        /// Producer, when known and different from the exporter.
        pub producer: Option<Party>,
        /// The carrier organisation allowed to write custody events for this shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub carrier: OrgId,
        /// Goods.
        pub goods: Vec<GoodsLine>,
        /// Declared origin country of the consignment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub origin_country: Country,
        /// Destination country.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub destination_country: Country,
        /// Planned route, origin first.
        pub route: Vec<RouteStop>,
        /// EPCs of the declared logistic units and items (pallets as SSCC, cases as SGTIN).
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub epcs: Vec<Epc>,
        /// Planned departure.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub departure_ms: TimeMs,
        /// Planned arrival at the destination border.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub arrival_ms: TimeMs,
    }
}

impl ShipmentDeclaration {
    /// Checks every field and names the first that is wrong.
    pub fn validate(&self) -> Checked {
        v::id("shipment_id", &self.shipment_id)?;
        self.exporter.validate("exporter")?;
        self.importer.validate("importer")?;
        if let Some(p) = &self.producer {
            p.validate("producer")?;
        }
        v::org_id("carrier", &self.carrier)?;
        v::non_empty_list("goods", &self.goods)?;
        // The declared value per currency, which must not overflow.
        let mut totals: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for (i, g) in self.goods.iter().enumerate() {
            let f = |name: &str| format!("goods[{i}].{name}");
            if g.line == 0 {
                return Err(FieldError::new(f("line"), "line numbers start at 1"));
            }
            if self.goods[..i].iter().any(|o| o.line == g.line) {
                return Err(FieldError::new(
                    f("line"),
                    format!("line number {} is used twice", g.line),
                ));
            }
            v::required_text(&f("description"), &g.description)?;
            if let Some(gtin) = &g.gtin {
                v::gtin(&f("gtin"), gtin)?;
            }
            v::hs_code(&f("hs_code"), &g.hs_code)?;
            if g.quantity == 0 {
                return Err(FieldError::new(f("quantity"), "must be positive"));
            }
            v::required_text(&f("unit"), &g.unit)?;
            if g.value_minor == 0 {
                return Err(FieldError::new(
                    f("value_minor"),
                    "must be positive: goods have a customs value",
                ));
            }
            v::currency(&f("currency"), &g.currency)?;
            let total = totals.entry(g.currency.as_str()).or_insert(0u64);
            *total = total.checked_add(g.value_minor).ok_or_else(|| {
                FieldError::new(
                    f("value_minor"),
                    format!("the total value in {} overflows", g.currency),
                )
            })?;
            if let Some(b) = &g.brand {
                v::required_text(&f("brand"), b)?;
            }
            if let Some(m) = &g.manufacturer {
                v::required_text(&f("manufacturer"), m)?;
            }
            v::country(&f("origin_country"), &g.origin_country)?;
            if let Some(c) = &g.cost {
                c.validate(&f("cost"))?;
            }
        }
        v::country("origin_country", &self.origin_country)?;
        v::country("destination_country", &self.destination_country)?;
        v::non_empty_list("route", &self.route)?;
        for (i, s) in self.route.iter().enumerate() {
            v::country(&format!("route[{i}].country"), &s.country)?;
            if let Some(l) = &s.locode {
                v::locode(&format!("route[{i}].locode"), l)?;
                if l.get(..2) != Some(s.country.as_str()) {
                    return Err(FieldError::new(
                        format!("route[{i}].locode"),
                        format!("{l} is not in the stop's country {}", s.country),
                    ));
                }
            }
        }
        if let Some(first) = self.route.first()
            && first.country != self.origin_country
        {
            return Err(FieldError::new(
                "route[0].country",
                format!(
                    "the route starts in {}, the declared origin is {}",
                    first.country, self.origin_country
                ),
            ));
        }
        if let Some(last) = self.route.last()
            && last.country != self.destination_country
        {
            return Err(FieldError::new(
                format!("route[{}].country", self.route.len() - 1),
                format!(
                    "the route ends in {}, the declared destination is {}",
                    last.country, self.destination_country
                ),
            ));
        }
        v::epc_list("epcs", &self.epcs)?;
        v::window("arrival_ms", self.departure_ms, self.arrival_ms)
    }
}
