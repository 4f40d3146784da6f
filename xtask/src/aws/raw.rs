//! Unsigned requests to the local cloud in each AWS protocol (REST, JSON, query), for the few questions and
//! clean-ups xtask does without an SDK client: moto routes by the SigV4 credential scope and checks no signature.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Answers with any status are returned, not turned into errors: callers judge them.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// A REST call (`GET`, `DELETE`, ...) without a body: status and body.
pub fn rest(edge: &str, method: &str, service: &str, path: &str) -> Result<(u16, String)> {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{edge}{path}"))
        .header("Authorization", authorization(service))
        .body(())?;
    let mut resp = agent().run(request)?;
    Ok((resp.status().as_u16(), resp.body_mut().read_to_string()?))
}

/// A REST call with a JSON body (`PUT`, `POST`): status and body.
pub fn rest_with_json(
    edge: &str,
    method: &str,
    service: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<(u16, String)> {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{edge}{path}"))
        .header("Authorization", authorization(service))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(body)?)?;
    let mut resp = agent().run(request)?;
    Ok((resp.status().as_u16(), resp.body_mut().read_to_string()?))
}

/// `GET` in a REST API.
pub fn get(edge: &str, service: &str, path: &str) -> Result<(u16, String)> {
    rest(edge, "GET", service, path)
}

/// A JSON-protocol call (`X-Amz-Target`).
pub fn json(
    edge: &str,
    service: &str,
    target: &str,
    content_type: &str,
    body: &serde_json::Value,
) -> Result<(u16, String)> {
    let mut resp = agent()
        .post(edge)
        .header("Authorization", &authorization(service))
        .header("X-Amz-Target", target)
        .header("Content-Type", content_type)
        .send(serde_json::to_vec(body)?.as_slice())?;
    Ok((resp.status().as_u16(), resp.body_mut().read_to_string()?))
}

/// A query-protocol call (a form with `Action=...`).
pub fn query(edge: &str, service: &str, form: &str) -> Result<(u16, String)> {
    let mut resp = agent()
        .post(edge)
        .header("Authorization", &authorization(service))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(form.as_bytes())?;
    Ok((resp.status().as_u16(), resp.body_mut().read_to_string()?))
}

/// The JSON of a 2xx answer; any other answer is an error naming `what` with the start of the body.
pub fn ok_json((status, body): (u16, String), what: &str) -> Result<serde_json::Value> {
    let body = ok_xml((status, body), what)?;
    serde_json::from_str(&body).with_context(|| format!("parsing the answer of {what}"))
}

/// The body of a 2xx answer (XML for query APIs and S3); any other answer is an error naming `what`.
pub fn ok_xml((status, body): (u16, String), what: &str) -> Result<String> {
    if !(200..300).contains(&status) {
        bail!(
            "{what} answered {status}: {}",
            body.chars().take(300).collect::<String>()
        );
    }
    Ok(body)
}

/// Percent-encodes everything but unreserved characters (for a path segment or a form value).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of every element named `name` in an XML answer (query APIs, S3), in document order.
pub fn xml_texts(xml: &str, name: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut inside = false;
    for token in xmlparser::Tokenizer::from(xml) {
        match token {
            Ok(xmlparser::Token::ElementStart { local, .. }) => inside = local.as_str() == name,
            Ok(xmlparser::Token::Text { text }) if inside => {
                texts.push(text.as_str().trim().to_owned());
                inside = false;
            }
            // `>` of a start tag is an `ElementEnd::Open`: still inside.
            Ok(xmlparser::Token::ElementEnd {
                end: xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty,
                ..
            }) => inside = false,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_arns_and_urls_for_paths_and_forms() {
        assert_eq!(percent_encode("a-b_c.d~"), "a-b_c.d~");
        assert_eq!(percent_encode("arn:aws:x/y z"), "arn%3Aaws%3Ax%2Fy%20z");
    }

    #[test]
    fn xml_texts_are_the_named_elements_in_order() {
        let xml = "<R><member><RoleName>a</RoleName><Path>/</Path></member>\
                   <member><RoleName> b </RoleName><Empty/></member></R>";
        assert_eq!(xml_texts(xml, "RoleName"), ["a", "b"]);
        assert!(xml_texts(xml, "Empty").is_empty());
        assert!(xml_texts("not xml <", "x").is_empty());
    }
}
