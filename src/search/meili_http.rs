//! The HTTP client meilisearch-sdk talks through here: reqwest, with each request body
//! serialised and sent whole, with its length. The SDK's own client (0.33) streams every
//! body through a reader that allocates and zeroes a fresh 8 MiB buffer per request, which
//! cost more than the search itself (a quarter of the app's CPU time per search, by `perf`).

use meilisearch_sdk::errors::Error;
use meilisearch_sdk::request::{parse_response, HttpClient, Method};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// reqwest with the API key as a default header.
#[derive(Debug, Clone)]
pub struct WholeBodyClient {
    client: reqwest::Client,
}

impl WholeBodyClient {
    pub fn new(api_key: Option<&str>) -> Result<WholeBodyClient, Error> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(key) = api_key {
            let value =
                reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| Error::InvalidRequest)?;
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        Ok(WholeBodyClient { client: reqwest::Client::builder().default_headers(headers).build()? })
    }
}

impl WholeBodyClient {
    /// POSTs a JSON body and parses the answer (or Meilisearch's error) without a detour
    /// through an intermediate value.
    pub async fn post_json<T: DeserializeOwned>(&self, url: &str, body: &impl Serialize) -> Result<T, Error> {
        let body = serde_json::to_vec(body).map_err(Error::ParseError)?;
        let response =
            self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body).send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let text = std::str::from_utf8(&bytes).map_err(|e| Error::Other(Box::new(e)))?;
        parse_response(status, 200, text, url.to_owned())
    }
}

fn verb<Q, B>(method: &Method<Q, B>) -> reqwest::Method {
    match method {
        Method::Get { .. } => reqwest::Method::GET,
        Method::Delete { .. } => reqwest::Method::DELETE,
        Method::Post { .. } => reqwest::Method::POST,
        Method::Put { .. } => reqwest::Method::PUT,
        Method::Patch { .. } => reqwest::Method::PATCH,
    }
}

#[meilisearch_sdk::macro_helper::async_trait]
impl HttpClient for WholeBodyClient {
    async fn request<Query, Body, Output>(
        &self,
        url: &str,
        method: Method<Query, Body>,
        expected_status_code: u16,
    ) -> Result<Output, Error>
    where
        Query: Serialize + Send + Sync,
        Body: Serialize + Send + Sync,
        Output: DeserializeOwned + 'static + Send,
    {
        let url = format!("{url}{}", yaup::to_string(method.query())?);
        let mut request = self.client.request(verb(&method), &url);
        if let Some(body) = method.into_body() {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&body).map_err(Error::ParseError)?);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let mut body = response.text().await?;
        if body.is_empty() {
            body = "null".to_owned();
        }
        parse_response(status, expected_status_code, &body, url)
    }

    /// Streamed bodies (NDJSON and CSV uploads) are not used by Gongfang.
    async fn stream_request<Query, Body, Output>(
        &self,
        _url: &str,
        _method: Method<Query, Body>,
        _content_type: &str,
        _expected_status_code: u16,
    ) -> Result<Output, Error>
    where
        Query: Serialize + Send + Sync,
        Body: futures_util::io::AsyncRead + Send + Sync + 'static,
        Output: DeserializeOwned + 'static,
    {
        Err(Error::Other("streamed request bodies are not supported by this client".into()))
    }

    fn is_tokio(&self) -> bool {
        true
    }
}
