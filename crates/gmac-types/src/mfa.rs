//! Multi-factor authentication with TOTP and recovery codes.

use serde::{Deserialize, Serialize};

use crate::auth::TokenResponse;
use crate::secret::SecretText;

/// A started TOTP enrolment: show the QR code (or the secret) to an authenticator app, then
/// confirm with its first code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpEnrollment {
    /// The shared secret in base32, for typing into an app.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub secret: SecretText,
    /// The `otpauth://` URL the QR code encodes.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub otpauth_url: SecretText,
    /// An SVG image of the QR code.
    pub qr_svg: String,
}

/// A one-time code from the authenticator app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpCode {
    /// Six digits.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "123456"))]
    pub code: SecretText,
}

/// Single-use recovery codes, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    /// Ten codes; each signs in once when the authenticator is lost.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub recovery_codes: Vec<SecretText>,
}

/// The password was right and a second factor is needed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send back with the code to `POST /api/v1/auth/mfa` within 5 minutes.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub mfa_token: SecretText,
}

/// The answer to `POST /api/v1/auth/login`: tokens, or a request for the second factor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginResponse {
    /// Signed in.
    Token(TokenResponse),
    /// A second factor is needed.
    Mfa(MfaChallenge),
}

impl LoginResponse {
    /// The tokens, when no second factor was needed.
    pub fn token(self) -> Option<TokenResponse> {
        match self {
            LoginResponse::Token(token) => Some(token),
            LoginResponse::Mfa(_) => None,
        }
    }
}

/// Completes a sign-in with the second factor: a current code or a recovery code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaVerification {
    /// From the login answer.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub mfa_token: SecretText,
    /// The authenticator's current code.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub code: Option<SecretText>,
    /// Or one of the recovery codes.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub recovery_code: Option<SecretText>,
}

/// Turns MFA off: needs the password and a current code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisableMfa {
    /// The account's password.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub password: SecretText,
    /// The authenticator's current code.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: SecretText,
}
