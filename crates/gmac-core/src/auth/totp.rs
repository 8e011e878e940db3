//! Time-based one-time passwords (RFC 6238): SHA-1, 6 digits, 30-second steps, one step of
//! drift either way. The caller refuses a step it has already accepted (replay guard).

use anyhow::anyhow;
use rand::RngExt;
use totp_rs::{Builder, Secret, Totp};

/// Digits per code.
pub const DIGITS: u8 = 6;
/// Seconds per step.
pub const STEP: u64 = 30;
/// Steps of clock drift accepted either side.
pub const SKEW: u16 = 1;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "gmac";

/// 160 random bits, the size RFC 4226 recommends.
pub fn new_secret() -> [u8; 20] {
    let mut secret = [0u8; 20];
    rand::rng().fill(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_secret(Secret::from(secret.to_vec()))
        .with_digits(DIGITS)
        .with_skew(SKEW)
        .with_step_duration(STEP)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| anyhow!("building a TOTP: {e:?}"))
}

/// The base32 form an authenticator app accepts when typed in.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret: &[u8], account: &str) -> anyhow::Result<String> {
    totp(secret, account)?
        .to_url()
        .map_err(|e| anyhow!("building the otpauth URL: {e:?}"))
}

/// The step at which `code` is valid at `unix_time` (within the drift), if any.
pub fn matching_step(secret: &[u8], code: &str, unix_time: u64) -> anyhow::Result<Option<u64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret, "check")?.check(&code, unix_time))
}

/// The code valid at `unix_time` for a base32 secret, as an authenticator app computes it.
pub fn code_for_base32(secret: &str, unix_time: u64) -> anyhow::Result<String> {
    let bytes = Secret::try_from_base32(secret).map_err(|e| anyhow!("not base32: {e:?}"))?;
    code_at(bytes.as_bytes(), unix_time)
}

/// The code valid at `unix_time` (for tests and the demo).
pub fn code_at(secret: &[u8], unix_time: u64) -> anyhow::Result<String> {
    Ok(totp(secret, "code")?.generate(unix_time).to_string())
}

/// An SVG image of a QR code for `text`, dark modules on a light background with a quiet zone.
pub fn qr_svg(text: &str) -> anyhow::Result<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    use std::fmt::Write;
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| anyhow!("encoding a QR code: {e:?}"))?;
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + border, y + border);
            }
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="100%" height="100%" fill="#ffffff"/><path d="{path}" fill="#000000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, 8 digits, secret "12345678901234567890".
    #[test]
    fn the_rfc_6238_test_vectors_pass() -> anyhow::Result<()> {
        let rfc = Builder::new()
            .with_secret(Secret::from(b"12345678901234567890".to_vec()))
            .with_digits(8)
            .with_skew(0)
            .with_step_duration(30)
            .build()
            .map_err(|e| anyhow!("{e:?}"))?;
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc.generate(time).to_string(), expected, "T = {time}");
        }
        Ok(())
    }

    #[test]
    fn one_step_of_drift_is_accepted_and_two_are_not() -> anyhow::Result<()> {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now)?;
        assert_eq!(matching_step(&secret, &code, now)?, Some(now / STEP));
        assert!(matching_step(&secret, &code, now + STEP)?.is_some());
        assert!(matching_step(&secret, &code, now - STEP)?.is_some());
        assert!(matching_step(&secret, &code, now + 2 * STEP)?.is_none());
        assert!(matching_step(&secret, "12 34", now)?.is_none());
        assert!(matching_step(&secret, "abcdef", now)?.is_none());
        Ok(())
    }

    #[test]
    fn the_otpauth_url_names_gmac_and_the_account() -> anyhow::Result<()> {
        let url = otpauth_url(&new_secret(), "ada@example.com")?;
        assert!(
            url.starts_with("otpauth://totp/gmac:ada%40example.com?"),
            "{url}"
        );
        assert!(url.contains("issuer=gmac"), "{url}");
        assert!(qr_svg(&url)?.starts_with("<svg"));
        Ok(())
    }
}
