use super::{Build, BuildError, required};
use tradeledger_types::{
    IprAcceptance, IprLicence, IprRecordation, IprRevocation, LicenceScope, Payload, TimeMs,
};

/// Builds an [`IprRecordation`].
#[derive(Debug, Clone)]
pub struct IprRecordationBuilder {
    r: IprRecordation,
    validity: Option<(TimeMs, TimeMs)>,
}

impl IprRecordationBuilder {
    /// Recordation `recordation_id` of `mark` (registration `registration_no`) owned by `owner`.
    pub fn new(
        recordation_id: impl Into<String>,
        mark: impl Into<String>,
        registration_no: impl Into<String>,
        owner: impl Into<String>,
    ) -> Self {
        IprRecordationBuilder {
            r: IprRecordation {
                recordation_id: recordation_id.into(),
                mark: mark.into(),
                registration_no: registration_no.into(),
                owner: owner.into(),
                hs_prefixes: Vec::new(),
                authorised_manufacturers: Vec::new(),
                authorised_importers: Vec::new(),
                valid_from_ms: 0,
                valid_until_ms: 0,
                gray_market_restricted: false,
            },
            validity: None,
        }
    }
    /// Restricts the recordation to goods under an HS prefix.
    pub fn hs_prefix(mut self, p: impl Into<String>) -> Self {
        self.r.hs_prefixes.push(p.into());
        self
    }
    /// Adds an authorised manufacturer.
    pub fn manufacturer(mut self, m: impl Into<String>) -> Self {
        self.r.authorised_manufacturers.push(m.into());
        self
    }
    /// Adds an authorised importer.
    pub fn importer(mut self, i: impl Into<String>) -> Self {
        self.r.authorised_importers.push(i.into());
        self
    }
    /// Validity of the registration (required).
    pub fn valid(mut self, from_ms: TimeMs, until_ms: TimeMs) -> Self {
        self.validity = Some((from_ms, until_ms));
        self
    }
    /// Whether Lever-rule (gray-market) protection applies.
    pub fn gray_market_restricted(mut self, yes: bool) -> Self {
        self.r.gray_market_restricted = yes;
        self
    }
}

impl Build for IprRecordationBuilder {
    fn assemble(mut self) -> Result<Payload, BuildError> {
        (self.r.valid_from_ms, self.r.valid_until_ms) = required("valid_from_ms", self.validity)?;
        Ok(Payload::IprRecordation(self.r))
    }
}

/// Builds an [`IprAcceptance`].
#[derive(Debug, Clone)]
pub struct IprAcceptanceBuilder(IprAcceptance);

impl IprAcceptanceBuilder {
    /// Customs accepts `recordation_id`.
    pub fn new(recordation_id: impl Into<String>) -> Self {
        IprAcceptanceBuilder(IprAcceptance {
            recordation_id: recordation_id.into(),
        })
    }
}

impl Build for IprAcceptanceBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::IprAcceptance(self.0))
    }
}

/// Builds an [`IprLicence`].
#[derive(Debug, Clone)]
pub struct IprLicenceBuilder(IprLicence);

impl IprLicenceBuilder {
    /// Licence `licence_id` of `recordation_id` to `licensee` for `scope`, valid in a window.
    pub fn new(
        licence_id: impl Into<String>,
        recordation_id: impl Into<String>,
        licensee: impl Into<String>,
        scope: LicenceScope,
        valid_from_ms: TimeMs,
        valid_until_ms: TimeMs,
    ) -> Self {
        IprLicenceBuilder(IprLicence {
            licence_id: licence_id.into(),
            recordation_id: recordation_id.into(),
            parent_licence_id: None,
            licensee: licensee.into(),
            scope,
            valid_from_ms,
            valid_until_ms,
        })
    }
    /// Makes it a sub-licence of `parent`.
    pub fn parent(mut self, parent: impl Into<String>) -> Self {
        self.0.parent_licence_id = Some(parent.into());
        self
    }
}

impl Build for IprLicenceBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::IprLicence(self.0))
    }
}

/// Builds an [`IprRevocation`].
#[derive(Debug, Clone)]
pub struct IprRevocationBuilder(IprRevocation);

impl IprRevocationBuilder {
    /// Revokes `licence_id` from `effective_ms`.
    pub fn new(
        licence_id: impl Into<String>,
        effective_ms: TimeMs,
        reason: impl Into<String>,
    ) -> Self {
        IprRevocationBuilder(IprRevocation {
            licence_id: licence_id.into(),
            effective_ms,
            reason: reason.into(),
        })
    }
}

impl Build for IprRevocationBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::IprRevocation(self.0))
    }
}
