//! Email over SMTP with lettre.
//!
//! The server is given as a URL: `smtp://host:25` (plain, for a local relay),
//! `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.

use anyhow::Context;
use gmac_core::ports::{Mail, Mailer};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends mail through one SMTP server, with pooled connections.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: never print it.
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the server at `url`, sending as `from` (e.g. `gmac <gmac@example.com>`).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("the SMTP URL is not valid (smtp://host:port, smtps://user:pass@host)")?
            .timeout(Some(std::time::Duration::from_secs(15)))
            .build();
        let from = from
            .parse()
            .with_context(|| format!("the sender address {from:?} is not valid"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let to: Mailbox = mail
            .to
            .parse()
            .with_context(|| format!("the recipient {:?} is not valid", mail.to))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject);
        let message = if mail.attachments.is_empty() {
            builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text)
                .context("building the message")?
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.text));
            for file in mail.attachments {
                let content_type = ContentType::parse(&file.content_type)
                    .with_context(|| format!("the media type {:?}", file.content_type))?;
                parts = parts.singlepart(
                    lettre::message::Attachment::new(file.file_name).body(file.bytes, content_type),
                );
            }
            builder.multipart(parts).context("building the message")?
        };

        self.transport
            .send(message)
            .await
            .context("the SMTP server refused the message")?;
        Ok(())
    }
}
