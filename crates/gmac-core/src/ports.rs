//! The outside world, as gmac-core needs it. Adapters live in gmac-connectors; tests plug in
//! real peers (an SMTP server) through the same traits.

/// An email to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// Files attached.
    pub attachments: Vec<Attachment>,
}

/// A file attached to an email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name.
    pub file_name: String,
    /// Its media type, e.g. `application/pdf`.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Sends email.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends one message; an error means it was not accepted by the mail server.
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}

/// How to reach an AWS account.
#[derive(Clone)]
pub struct AwsAccess {
    /// The access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// A role to assume with them.
    pub role_arn: Option<String>,
    /// The external id the role requires.
    pub external_id: Option<String>,
    /// The region.
    pub region: String,
    /// Another endpoint (an emulator).
    pub endpoint_url: Option<String>,
}

impl std::fmt::Debug for AwsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsAccess")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

/// One group of one day of a `GetCostAndUsage` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostAndUsageRow {
    /// The day (the result's start).
    pub day: chrono::NaiveDate,
    /// The group's keys: the service, then the linked account or `tagkey$value`.
    pub keys: Vec<String>,
    /// `UnblendedCost`.
    pub unblended: rust_decimal::Decimal,
    /// `AmortizedCost`.
    pub amortized: rust_decimal::Decimal,
    /// `NetUnblendedCost`.
    pub net_unblended: rust_decimal::Decimal,
    /// The currency (`Unit`).
    pub currency: String,
}

/// One page of a `GetCostAndUsage` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostAndUsagePage {
    /// Its rows.
    pub rows: Vec<CostAndUsageRow>,
    /// The next page's token.
    pub next_page_token: Option<String>,
}

/// AWS Cost Explorer.
#[async_trait::async_trait]
pub trait CostExplorer: Send + Sync + std::fmt::Debug {
    /// `GetCostAndUsage`, daily, for `[start, end)`, grouped by service and `second_group`
    /// (`LINKED_ACCOUNT` or `TAG:<key>`), with the unblended, amortized and net unblended
    /// costs; one page.
    async fn cost_and_usage(
        &self,
        access: &AwsAccess,
        (start, end): (chrono::NaiveDate, chrono::NaiveDate),
        second_group: &str,
        page_token: Option<String>,
    ) -> anyhow::Result<CostAndUsagePage>;
}

/// How to reach a git host's API.
#[derive(Clone)]
pub struct GitHostAccess {
    /// The kind of host.
    pub provider: gmac_types::GitProvider,
    /// The API's base URL.
    pub base_url: String,
    /// The token, if there is one.
    pub token: Option<String>,
}

impl std::fmt::Debug for GitHostAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHostAccess")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Gitea's and GitHub's REST APIs, behind one port.
#[async_trait::async_trait]
pub trait GitHosts: Send + Sync + std::fmt::Debug {
    /// The login the token signs in as: the connection test. The error is for a person
    /// ("the host refused the token", "… could not be reached").
    async fn account(&self, access: &GitHostAccess) -> anyhow::Result<String>;
}
