//! EdgeGrid signing cases in the oracle protocol of `../shared/edgegrid` (one JSON object per
//! request: credentials, method, path and query, headers, body, timestamp, nonce), built and
//! signed as the SDK would. Shared by the signing tests of `it` (the official vectors) and of
//! `external` (the differential runs against the official libraries): each includes this file
//! as a module.

use std::path::{Path, PathBuf};

use akamai_sdk::edgegrid::{
    sign_parts_uncached, Credentials, EdgeGridSigner, RequestParts, Timestamp,
};
use akamai_sdk::generated::reqwest::{header, Method, Request, Url};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value;

/// The path and query of a signed request's URL (a signed URL has no empty query).
pub(crate) fn sent_path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// `../shared/edgegrid` beside the checkout: the official vectors and the oracle scripts.
pub(crate) fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/edgegrid")
}

pub(crate) fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The `Authorization` header of `request`, if any.
pub(crate) fn auth(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap())
}

/// A request described in the oracle protocol, built as the SDK would send it.
pub(crate) struct Case {
    signer: EdgeGridSigner,
    request: Request,
    timestamp: Timestamp,
    nonce: String,
}

pub(crate) fn build_case(v: &Value) -> Case {
    let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("field {k}"));
    let headers_to_sign: Vec<String> = v["headers_to_sign"]
        .as_array()
        .map(|a| a.iter().map(|h| h.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let creds = Credentials::builder(
        s("host"),
        s("client_token"),
        s("client_secret"),
        s("access_token"),
    )
    .max_body(v["max_body"].as_u64().unwrap_or(131_072) as usize)
    .headers_to_sign(headers_to_sign)
    .build()
    .unwrap();
    let url = Url::parse(&format!("https://{}{}", creds.host(), s("path_and_query"))).unwrap();
    let mut request = Request::new(Method::from_bytes(s("method").as_bytes()).unwrap(), url);
    if let Some(headers) = v["headers"].as_object() {
        for (name, value) in headers {
            request.headers_mut().append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                header::HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
            );
        }
    }
    let body = BASE64.decode(v["body_b64"].as_str().unwrap_or("")).unwrap();
    if !body.is_empty() {
        *request.body_mut() = Some(body.into());
    }
    Case {
        signer: EdgeGridSigner::new(creds),
        request,
        timestamp: ts(s("timestamp")),
        nonce: s("nonce").to_owned(),
    }
}

impl Case {
    pub(crate) fn sign(mut self) -> (String, String, Request, EdgeGridSigner) {
        self.signer
            .sign_at(&mut self.request, &self.timestamp, &self.nonce)
            .unwrap();
        let auth = auth(&self.request).expect("signed").to_owned();
        let parts = RequestParts::from_request(&self.request).unwrap();
        let debug = self
            .signer
            .sign_parts_debug(&parts, &self.timestamp, &self.nonce);
        assert_eq!(debug.authorization, auth);
        // The uncached reference computation agrees with the cached signer.
        let reference = sign_parts_uncached(
            self.signer.credentials(),
            &parts,
            &self.timestamp,
            &self.nonce,
        );
        assert_eq!(reference.authorization, auth);
        assert_eq!(reference.data_to_sign, debug.data_to_sign);
        (auth, debug.data_to_sign, self.request, self.signer)
    }
}
