//! Raw HTTP/1.0 requests to the edge with a chosen Host (the local domains of distributions and function URLs),
//! and their answers.

use std::{
    collections::HashMap,
    io::{Read, Write},
    net::TcpStream,
};

use serde_json::Value;

/// One answer: status, headers (lower-case names), body.
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The event the `proxy` function got: the body of its answer.
    pub fn event(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.body);
        self.json()
    }
}

/// A bare HTTP/1.0 request to the edge with `host` as the Host header and `headers` besides.
pub fn send(port: u16, method: &str, host: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: fidelity\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(s, "{head}\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A SigV4 `Authorization` header of `key` (the local cloud reads the signer's key; it does not verify the
/// signature: docs/local-cloud.md, "Known gaps").
pub fn signed_by(key: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/20261207/us-east-1/lambda/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=0000"
    )
}
