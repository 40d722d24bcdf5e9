use super::{Build, BuildError, required};
use tradeledger_types::{
    BlanketPeriod, CertificateOfOrigin, CertifiedGood, CertifierRole, OriginCriterion, Party,
    Payload, TimeMs,
};

/// Builds a [`CertificateOfOrigin`] (the nine USMCA data elements).
#[derive(Debug, Clone)]
pub struct CertificateOfOriginBuilder {
    certificate_id: String,
    shipment_id: String,
    certifier_role: CertifierRole,
    certifier: Option<Party>,
    exporter: Option<Party>,
    producer: Option<Party>,
    importer: Option<Party>,
    goods: Vec<CertifiedGood>,
    blanket_period: Option<BlanketPeriod>,
    signatory: Option<(String, TimeMs)>,
}

impl CertificateOfOriginBuilder {
    /// Certificate `certificate_id` for `shipment_id`, certified in `role`.
    pub fn new(
        certificate_id: impl Into<String>,
        shipment_id: impl Into<String>,
        role: CertifierRole,
    ) -> Self {
        CertificateOfOriginBuilder {
            certificate_id: certificate_id.into(),
            shipment_id: shipment_id.into(),
            certifier_role: role,
            certifier: None,
            exporter: None,
            producer: None,
            importer: None,
            goods: Vec::new(),
            blanket_period: None,
            signatory: None,
        }
    }
    /// Element 2 (required).
    pub fn certifier(mut self, p: Party) -> Self {
        self.certifier = Some(p);
        self
    }
    /// Element 3 (required).
    pub fn exporter(mut self, p: Party) -> Self {
        self.exporter = Some(p);
        self
    }
    /// Element 4 (leave unset for "various" / "available upon request").
    pub fn producer(mut self, p: Party) -> Self {
        self.producer = Some(p);
        self
    }
    /// Element 5 (required).
    pub fn importer(mut self, p: Party) -> Self {
        self.importer = Some(p);
        self
    }
    /// Elements 6 and 7: adds a good (at least one).
    pub fn good(
        mut self,
        line: u32,
        description: impl Into<String>,
        hs_code: impl Into<String>,
        criterion: OriginCriterion,
    ) -> Self {
        self.goods.push(CertifiedGood {
            line,
            description: description.into(),
            hs_code: hs_code.into(),
            criterion,
        });
        self
    }
    /// Element 8: a blanket period of up to 12 months.
    pub fn blanket(mut self, from_ms: TimeMs, until_ms: TimeMs) -> Self {
        self.blanket_period = Some(BlanketPeriod { from_ms, until_ms });
        self
    }
    /// Element 9: signatory's name and date (required).
    pub fn signed_by(mut self, name: impl Into<String>, signed_ms: TimeMs) -> Self {
        self.signatory = Some((name.into(), signed_ms));
        self
    }
}

impl Build for CertificateOfOriginBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        let (signatory_name, signed_ms) = required("signatory_name", self.signatory)?;
        Ok(Payload::CertificateOfOrigin(CertificateOfOrigin {
            certificate_id: self.certificate_id,
            shipment_id: self.shipment_id,
            certifier_role: self.certifier_role,
            certifier: required("certifier", self.certifier)?,
            exporter: required("exporter", self.exporter)?,
            producer: self.producer,
            importer: required("importer", self.importer)?,
            goods: self.goods,
            blanket_period: self.blanket_period,
            signatory_name,
            signed_ms,
        }))
    }
}
