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
        let to: Mailbox = mail.to.parse().map_err(|e| {
            anyhow::Error::new(gmac_core::ports::MailRefused(format!(
                "the recipient {:?} is not valid: {e}",
                mail.to
            )))
        })?;
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

        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // The recipient refused for good (no such mailbox, not local, not a mailbox name):
            // the same message is refused again. Any other refusal (a login, a relay, the
            // sender) is the server's set-up, which someone may fix: tried again.
            Err(e) if refuses_recipient(e.status().map(|c| c.to_string()).as_deref()) => {
                Err(anyhow::Error::new(gmac_core::ports::MailRefused(format!(
                    "the SMTP server refused the recipient for good: {e}"
                ))))
            }
            Err(e) => Err(anyhow::Error::new(e).context("the SMTP server refused the message")),
        }
    }
}

/// Whether an SMTP reply code refuses the recipient for good: `550` (no such mailbox), `551`
/// (not local) or `553` (not a mailbox name).
fn refuses_recipient(code: Option<&str>) -> bool {
    matches!(code, Some("550" | "551" | "553"))
}

#[cfg(test)]
mod tests {
    use super::refuses_recipient;

    #[test]
    fn only_a_refused_recipient_is_refused_for_good() {
        for code in ["550", "551", "553"] {
            assert!(refuses_recipient(Some(code)), "{code}");
        }
        // A failed login, a relay refused, a sender refused, a busy server: tried again.
        for code in ["535", "530", "554", "421", "451"] {
            assert!(!refuses_recipient(Some(code)), "{code}");
        }
        assert!(!refuses_recipient(None));
    }
}
