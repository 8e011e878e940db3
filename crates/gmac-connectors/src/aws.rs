//! AWS Cost Explorer through the official SDK.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_costexplorer::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_costexplorer::types::{
    DateInterval, Granularity, GroupDefinition, GroupDefinitionType,
};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use chrono::NaiveDate;
use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{AwsAccess, CostAndUsagePage, CostAndUsageRow, CostExplorer};
use rust_decimal::Decimal;

/// A failed call in one line for people: AWS's error code and message, or why nothing was
/// answered (with the innermost cause, e.g. `Connection refused`), never the SDK's debug dump.
fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let innermost = || {
        let mut source: &dyn std::error::Error = err;
        while let Some(next) = source.source() {
            source = next;
        }
        source.to_string()
    };
    let text = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            format!(
                "Cost Explorer refused: {}: {}",
                e.code().unwrap_or("error"),
                e.message().unwrap_or("no reason given")
            )
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            // Refused, reset, unreachable: all the same to the caller, so that the answer says
            // nothing about which ports are open. The cause goes to the log.
            tracing::warn!(cause = %innermost(), "Cost Explorer cannot be reached");
            "Cost Explorer cannot be reached at its endpoint".to_owned()
        }
        SdkError::ResponseError(_) => {
            format!("Cost Explorer's answer could not be read: {}", innermost())
        }
        _ => format!("the request to Cost Explorer failed: {}", innermost()),
    };
    text.chars().take(300).collect()
}

/// The three cost metrics gmac keeps apart.
const METRICS: [&str; 3] = ["UnblendedCost", "AmortizedCost", "NetUnblendedCost"];

/// Cost Explorer through `aws-sdk-costexplorer`, connecting only where the egress policy allows.
#[derive(Clone, Debug, Default)]
pub struct SdkCostExplorer {
    egress: Arc<EgressPolicy>,
}

impl SdkCostExplorer {
    /// A client bound by `egress`.
    pub fn new(egress: Arc<EgressPolicy>) -> Self {
        Self { egress }
    }
}

/// Resolves names for the SDK's HTTP client through the egress policy, so the address it
/// connects to is one the policy checked, whatever the name answers later.
#[derive(Clone, Debug)]
struct EgressResolver(Arc<EgressPolicy>);

impl ResolveDns for EgressResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        DnsFuture::new(async move {
            self.0
                .resolve(name)
                .await
                .map_err(|denied| ResolveDnsError::new(denied.to_string()))
        })
    }
}

async fn client(access: &AwsAccess, egress: &Arc<EgressPolicy>) -> aws_sdk_costexplorer::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_with_resolver(EgressResolver(egress.clone()));
    let keys = aws_sdk_costexplorer::config::Credentials::new(
        access.access_key_id.clone(),
        access.secret_access_key.clone(),
        None,
        None,
        "gmac",
    );
    // A page of Cost Explorer answers in a second or two; an endpoint that accepts and then
    // says nothing must not hold a connection test (or a sync page) for long.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(8))
        .operation_timeout(Duration::from_secs(9))
        .build();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .http_client(http)
        .region(aws_config::Region::new(access.region.clone()))
        .credentials_provider(keys);
    if let Some(url) = &access.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    let base = loader.load().await;
    let Some(role) = &access.role_arn else {
        return aws_sdk_costexplorer::Client::new(&base);
    };
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role.clone())
        .session_name("gmac-cost-sync")
        .configure(&base);
    if let Some(external_id) = &access.external_id {
        provider = provider.external_id(external_id.clone());
    }
    let provider = provider.build().await;
    let config = aws_sdk_costexplorer::config::Builder::from(&base)
        .credentials_provider(provider)
        .build();
    aws_sdk_costexplorer::Client::from_conf(config)
}

fn group(key: &str) -> GroupDefinition {
    let (kind, key) = match key.strip_prefix("TAG:") {
        Some(tag) => (GroupDefinitionType::Tag, tag),
        None => (GroupDefinitionType::Dimension, key),
    };
    GroupDefinition::builder().r#type(kind).key(key).build()
}

#[async_trait::async_trait]
impl CostExplorer for SdkCostExplorer {
    async fn cost_and_usage(
        &self,
        access: &AwsAccess,
        (start, end): (NaiveDate, NaiveDate),
        second_group: &str,
        page_token: Option<String>,
    ) -> anyhow::Result<CostAndUsagePage> {
        let answer = client(access, &self.egress)
            .await
            .get_cost_and_usage()
            .time_period(
                DateInterval::builder()
                    .start(start.to_string())
                    .end(end.to_string())
                    .build()?,
            )
            .granularity(Granularity::Daily)
            .set_metrics(Some(METRICS.iter().map(|m| (*m).to_owned()).collect()))
            .group_by(group("SERVICE"))
            .group_by(group(second_group))
            .set_next_page_token(page_token)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(describe(&e)))?;
        let mut rows = Vec::new();
        for result in answer.results_by_time() {
            let Some(day) = result
                .time_period()
                .and_then(|p| NaiveDate::from_str(p.start()).ok())
            else {
                continue;
            };
            for g in result.groups() {
                let metric = |name: &str| {
                    g.metrics()
                        .and_then(|m| m.get(name))
                        .map(|v| {
                            (
                                v.amount()
                                    .and_then(|a| Decimal::from_str(a).ok())
                                    .unwrap_or_default(),
                                v.unit().unwrap_or("USD").to_owned(),
                            )
                        })
                        .unwrap_or_default()
                };
                let (unblended, currency) = metric("UnblendedCost");
                rows.push(CostAndUsageRow {
                    day,
                    keys: g.keys().to_vec(),
                    unblended,
                    amortized: metric("AmortizedCost").0,
                    net_unblended: metric("NetUnblendedCost").0,
                    currency: if currency.is_empty() {
                        "USD".to_owned()
                    } else {
                        currency
                    },
                });
            }
        }
        Ok(CostAndUsagePage {
            rows,
            next_page_token: answer.next_page_token().map(str::to_owned),
        })
    }
}
