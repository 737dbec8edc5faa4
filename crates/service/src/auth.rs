//! Bearer tokens: HS256 JWTs with the claims `sub`, `role`, `tenant_id` and `exp`.
//!
//! `jsonwebtoken` 10 needs a crypto provider; instead of its RSA/EC-heavy `rust_crypto`
//! bundle, this crate installs a provider that only knows HS256 (HMAC-SHA256 from `hmac` +
//! `sha2`). Any other algorithm is refused.

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The claims of a token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub tenant_id: String,
    pub exp: u64,
}

struct Hs256(Vec<u8>);

impl Hs256 {
    fn mac(&self, msg: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }
}

impl signature::Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(self.mac(msg))
    }
}

impl signature::Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.0).map_err(|_| signature::Error::new())?;
        m.update(msg);
        m.verify_slice(sig).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn signer(alg: &Algorithm, key: &EncodingKey) -> jsonwebtoken::errors::Result<Box<dyn JwtSigner>> {
    if *alg != Algorithm::HS256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(Hs256(key.try_get_hmac_secret()?.to_vec())))
}

fn verifier(
    alg: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    if *alg != Algorithm::HS256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(Hs256(key.try_get_hmac_secret()?.to_vec())))
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    jwk_utils: JwkUtils::new_unimplemented(),
};

fn install() {
    // Fails only when already installed, which is fine.
    let _ = PROVIDER.install_default();
}

/// Signs claims with the shared secret.
pub fn sign(secret: &str, claims: &Claims) -> anyhow::Result<String> {
    install();
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// Checks signature and expiry; returns the claims.
pub fn verify(secret: &str, token: &str) -> Result<Claims, String> {
    install();
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &v)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => "token expired".to_string(),
            _ => format!("invalid token: {e}"),
        })
}
