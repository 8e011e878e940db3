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
}

/// Sends email.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends one message; an error means it was not accepted by the mail server.
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}
