//! API keys and usage plans of REST APIs: the step API Gateway runs after the authorizer for a method with
//! `apiKeyRequired`. The key (`x-api-key`, or a Lambda authorizer's `usageIdentifierKey` when the API's
//! `apiKeySource` is `AUTHORIZER`) must exist, be enabled and belong to a usage plan of the API's stage, else 403
//! `Forbidden`; then the plan's quota (limit per DAY, WEEK or MONTH, from its offset) and throttle (a token bucket
//! of `rateLimit` tokens a second holding at most `burstLimit`; a method's own throttle in the plan's stage wins)
//! are applied per key, else 429 `Limit Exceeded` / `Too Many Requests`
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html>,
//! <https://repost.aws/knowledge-center/api-gateway-429-limit>). Keys, plans and their links are read from moto
//! once per generation; the meters live on the cloud's API Gateway state, per key, so one client's throttling
//! or quota never touches another key's.
//! Over 400 lines: about a third is its unit tests, beside the rules they check.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Instant,
};

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Duration as Days, TimeZone, Utc};

use crate::SharedCloud;

/// A request limit: `rate` requests a second on average, at most `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub rate: f64,
    pub burst: f64,
}

/// How many requests a key may make in each period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: i64,
    pub period: Period,
    /// Days after the period's natural start (WEEK: 0 is Sunday; MONTH: 0 is the 1st).
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

/// A stage a plan covers, with per-method throttles keyed `{resourcePath}/{METHOD}` (e.g. `/items/GET`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanStage {
    pub api_id: String,
    pub stage: String,
    pub method_throttles: HashMap<String, Limit>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub id: String,
    pub stages: Vec<PlanStage>,
    pub throttle: Option<Limit>,
    pub quota: Option<Quota>,
    /// The ids of the API keys in the plan.
    pub keys: HashSet<String>,
}

/// What the account holds: API keys by value (id, enabled) and the usage plans.
#[derive(Debug, Default)]
pub struct Plans {
    pub keys: HashMap<String, (String, bool)>,
    pub plans: Vec<Plan>,
}

/// Why the step refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No key, an unknown or disabled key, or a key in no plan of this stage: 403.
    InvalidKey,
    /// The plan's quota for the period is used up: 429 `Limit Exceeded`.
    QuotaExceeded,
    /// The plan's (or method's) token bucket is empty: 429 `Too Many Requests`.
    Throttled,
}

impl Refusal {
    /// The gateway response type an API may customise.
    pub fn response_type(self) -> &'static str {
        match self {
            Refusal::InvalidKey => "INVALID_API_KEY",
            Refusal::QuotaExceeded => "QUOTA_EXCEEDED",
            Refusal::Throttled => "THROTTLED",
        }
    }

    pub fn response(self) -> http::Response<bytes::Bytes> {
        match self {
            Refusal::InvalidKey => super::errors::forbidden(),
            Refusal::QuotaExceeded => super::errors::limit_exceeded(),
            Refusal::Throttled => super::errors::too_many_requests(),
        }
    }
}

/// Token buckets and quota counters, per key (and plan, API, stage, method where they apply).
#[derive(Default)]
pub struct Meters {
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
    used: Mutex<HashMap<(String, String), (i64, i64)>>,
}

/// (plan, key, api, stage, method key or "" for the plan's own throttle).
type BucketKey = (String, String, String, String, String);

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// At most this many buckets and counters are held; past it, they start afresh (full buckets, counters at 0).
const METERS_CAP: usize = 100_000;

impl Meters {
    /// Takes a token from the bucket `key` of `limit` at `now`: whether there was one.
    fn take(&self, key: BucketKey, limit: Limit, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= METERS_CAP && !buckets.contains_key(&key) {
            buckets.clear();
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.rate).min(limit.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the key may make one more request in the period starting at `window`; counts it if so.
    fn count(&self, plan: &str, key: &str, quota: Quota, window: i64) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let id = (plan.to_owned(), key.to_owned());
        if used.len() >= METERS_CAP && !used.contains_key(&id) {
            used.clear();
        }
        let entry = used.entry(id).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= quota.limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// The request the step decides on.
pub struct Request<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    /// `{resourcePath}/{METHOD}`, as a plan's method throttles name it.
    pub method_key: &'a str,
    pub key: Option<&'a str>,
}

/// Decides `request` against `plans`, metering it in `meters` at `now` (the clock, and UTC for the quota's
/// period): the key's id, or the refusal.
pub fn check(
    plans: &Plans,
    meters: &Meters,
    request: &Request<'_>,
    now: Instant,
    utc: DateTime<Utc>,
) -> Result<String, Refusal> {
    let value = request.key.filter(|k| !k.is_empty()).ok_or_else(|| {
        tracing::info!("API key required, none sent: 403");
        Refusal::InvalidKey
    })?;
    let Some((key_id, enabled)) = plans.keys.get(value) else {
        tracing::info!("API key required, the key sent is not one of the account's: 403");
        return Err(Refusal::InvalidKey);
    };
    if !enabled {
        tracing::info!(key_id, "API key disabled: 403");
        return Err(Refusal::InvalidKey);
    }
    let found = plans.plans.iter().find_map(|plan| {
        let stage = plan
            .stages
            .iter()
            .find(|s| s.api_id == request.api_id && s.stage == request.stage)?;
        plan.keys.contains(key_id).then_some((plan, stage))
    });
    let Some((plan, stage)) = found else {
        tracing::info!(
            key_id,
            api_id = request.api_id,
            stage = request.stage,
            "API key in no usage plan of this stage: 403"
        );
        return Err(Refusal::InvalidKey);
    };
    if let Some(quota) = plan.quota
        && !meters.count(&plan.id, key_id, quota, window_start(quota, utc))
    {
        tracing::info!(key_id, plan = %plan.id, limit = quota.limit, period = ?quota.period, "Key quota exhausted for the usage plan: 429");
        return Err(Refusal::QuotaExceeded);
    }
    let (limit, method) = match stage.method_throttles.get(request.method_key) {
        Some(limit) => (Some(*limit), request.method_key),
        None => (plan.throttle, ""),
    };
    if let Some(limit) = limit {
        let bucket = (
            plan.id.clone(),
            key_id.clone(),
            request.api_id.to_owned(),
            request.stage.to_owned(),
            method.to_owned(),
        );
        if !meters.take(bucket, limit, now) {
            tracing::info!(key_id, plan = %plan.id, rate = limit.rate, burst = limit.burst, "Key throttle limit exceeded for the usage plan: 429");
            return Err(Refusal::Throttled);
        }
    }
    Ok(key_id.clone())
}

/// The start (seconds since the epoch, UTC) of the quota period holding `now`.
pub fn window_start(quota: Quota, now: DateTime<Utc>) -> i64 {
    let today = now.date_naive();
    let start = match quota.period {
        Period::Day => today,
        Period::Week => {
            let since =
                (i64::from(today.weekday().num_days_from_sunday()) - quota.offset).rem_euclid(7);
            today - Days::days(since)
        }
        Period::Month => {
            let this_month = today.with_day(1).unwrap_or(today) + Days::days(quota.offset);
            if this_month <= today {
                this_month
            } else {
                let previous = (today.with_day(1).unwrap_or(today) - Days::days(1))
                    .with_day(1)
                    .unwrap_or(today);
                previous + Days::days(quota.offset)
            }
        }
    };
    Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).unwrap_or_default())
        .timestamp()
}

/// The API key step of a method with `apiKeyRequired`: the key from `x-api-key`, or the Lambda authorizer's
/// `usageIdentifierKey` when the API's `apiKeySource` is `AUTHORIZER`, checked and metered. `Err(None)`: the keys
/// and plans could not be read (a 500).
pub async fn meter(
    cloud: &SharedCloud,
    api: &super::model::RestApi,
    stage: &super::model::Stage,
    route: &super::routing::Route<'_>,
    parts: &http::request::Parts,
    usage_identifier_key: Option<&str>,
) -> Result<(), Option<Refusal>> {
    let key = if api.api_key_source == "AUTHORIZER" {
        usage_identifier_key
    } else {
        parts.headers.get("x-api-key").and_then(|v| v.to_str().ok())
    };
    let plans = plans(cloud).await.map_err(|err| {
        tracing::error!(
            error = format!("{err:#}"),
            "cannot read API keys and usage plans: 500"
        );
        None
    })?;
    let method_key = format!("{}/{}", route.resource.path, route.method.http_method);
    let request = Request {
        api_id: &api.id,
        stage: &stage.name,
        method_key: &method_key,
        key,
    };
    check(
        &plans,
        &cloud.apigw.usage_meters,
        &request,
        Instant::now(),
        Utc::now(),
    )
    .map(|_| ())
    .map_err(Some)
}

/// The account's keys and plans as deployed, cached per generation of deployed state (a key issued through the
/// API is a write that makes a new generation).
pub async fn plans(cloud: &SharedCloud) -> anyhow::Result<Arc<Plans>> {
    let snapshots = &cloud.apigw;
    let generation = snapshots.generation.get();
    if let Some(hit) = snapshots.usage_plans.get(generation, &String::new()) {
        return Ok(hit);
    }
    let plans = Arc::new(
        load(cloud)
            .await
            .context("reading API keys and usage plans from moto")?,
    );
    snapshots
        .usage_plans
        .insert(generation, String::new(), plans.clone());
    Ok(plans)
}

async fn load(cloud: &SharedCloud) -> anyhow::Result<Plans> {
    let client = &cloud.aws.apigateway;
    let mut keys = HashMap::new();
    let mut position = None;
    loop {
        let out = client
            .get_api_keys()
            .include_values(true)
            .limit(500)
            .set_position(position.take())
            .send()
            .await
            .context("GetApiKeys")?;
        for k in out.items() {
            if let (Some(id), Some(value)) = (k.id(), k.value()) {
                keys.insert(value.to_owned(), (id.to_owned(), k.enabled()));
            }
        }
        match out.position() {
            Some(p) if !p.is_empty() && !out.items().is_empty() => position = Some(p.to_owned()),
            _ => break,
        }
    }
    let mut plans = Vec::new();
    let out = client
        .get_usage_plans()
        .limit(500)
        .send()
        .await
        .context("GetUsagePlans")?;
    for p in out.items() {
        let Some(id) = p.id() else { continue };
        let plan_keys = client
            .get_usage_plan_keys()
            .usage_plan_id(id)
            .limit(500)
            .send()
            .await
            .with_context(|| format!("GetUsagePlanKeys {id}"))?;
        let limit = |t: &aws_sdk_apigateway::types::ThrottleSettings| Limit {
            rate: t.rate_limit(),
            burst: f64::from(t.burst_limit()),
        };
        plans.push(Plan {
            id: id.to_owned(),
            stages: p
                .api_stages()
                .iter()
                .map(|s| PlanStage {
                    api_id: s.api_id().unwrap_or_default().to_owned(),
                    stage: s.stage().unwrap_or_default().to_owned(),
                    method_throttles: s
                        .throttle()
                        .map(|m| m.iter().map(|(k, t)| (k.clone(), limit(t))).collect())
                        .unwrap_or_default(),
                })
                .collect(),
            throttle: p.throttle().map(limit),
            quota: p.quota().and_then(|q| {
                let period = match q.period()?.as_str() {
                    "DAY" => Period::Day,
                    "WEEK" => Period::Week,
                    "MONTH" => Period::Month,
                    _ => return None,
                };
                Some(Quota {
                    limit: i64::from(q.limit()),
                    period,
                    offset: i64::from(q.offset()),
                })
            }),
            keys: plan_keys
                .items()
                .iter()
                .filter_map(|k| k.id().map(str::to_owned))
                .collect(),
        });
    }
    Ok(Plans { keys, plans })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn plans(throttle: Option<Limit>, quota: Option<Quota>) -> Plans {
        Plans {
            keys: [
                ("value-a".to_owned(), ("key-a".to_owned(), true)),
                ("value-b".to_owned(), ("key-b".to_owned(), true)),
                ("value-off".to_owned(), ("key-off".to_owned(), false)),
                ("value-stray".to_owned(), ("key-stray".to_owned(), true)),
            ]
            .into(),
            plans: vec![Plan {
                id: "plan".into(),
                stages: vec![PlanStage {
                    api_id: "api".into(),
                    stage: "prod".into(),
                    method_throttles: [(
                        "/slow/GET".to_owned(),
                        Limit {
                            rate: 0.0,
                            burst: 1.0,
                        },
                    )]
                    .into(),
                }],
                throttle,
                quota,
                keys: ["key-a", "key-b", "key-off"].map(str::to_owned).into(),
            }],
        }
    }

    fn request<'a>(key: Option<&'a str>, stage: &'a str, method_key: &'a str) -> Request<'a> {
        Request {
            api_id: "api",
            stage,
            method_key,
            key,
        }
    }

    #[test]
    fn keys_must_exist_be_enabled_and_be_in_a_plan_of_the_stage() {
        let (p, m, now, utc) = (
            plans(None, None),
            Meters::default(),
            Instant::now(),
            Utc::now(),
        );
        let check = |key, stage| check(&p, &m, &request(key, stage, "/GET"), now, utc);
        assert_eq!(check(Some("value-a"), "prod"), Ok("key-a".into()));
        for (key, stage) in [
            (None, "prod"),
            (Some(""), "prod"),
            (Some("nope"), "prod"),
            (Some("value-off"), "prod"),
            (Some("value-stray"), "prod"),
            (Some("value-a"), "dev"),
        ] {
            assert_eq!(
                check(key, stage),
                Err(Refusal::InvalidKey),
                "{key:?} {stage}"
            );
        }
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate_and_each_key_has_its_own() {
        let limit = Limit {
            rate: 1.0,
            burst: 2.0,
        };
        let (p, m, start, utc) = (
            plans(Some(limit), None),
            Meters::default(),
            Instant::now(),
            Utc::now(),
        );
        let at = |key, secs: f64| {
            check(
                &p,
                &m,
                &request(Some(key), "prod", "/GET"),
                start + Duration::from_secs_f64(secs),
                utc,
            )
        };
        assert!(at("value-a", 0.0).is_ok());
        assert!(at("value-a", 0.0).is_ok());
        assert_eq!(at("value-a", 0.0), Err(Refusal::Throttled), "burst 2 spent");
        assert!(at("value-b", 0.0).is_ok(), "another key is not throttled");
        assert!(at("value-a", 1.0).is_ok(), "one token a second");
        assert_eq!(at("value-a", 1.5), Err(Refusal::Throttled));
        assert!(at("value-a", 10.0).is_ok());
        assert!(at("value-a", 10.0).is_ok(), "refilled up to the burst");
        assert_eq!(at("value-a", 10.0), Err(Refusal::Throttled));
        // A method's own throttle (burst 1, no refill) is a bucket of its own.
        let slow = |t| {
            check(
                &p,
                &m,
                &request(Some("value-b"), "prod", "/slow/GET"),
                start + Duration::from_secs(t),
                utc,
            )
        };
        assert!(slow(20).is_ok());
        assert_eq!(slow(30), Err(Refusal::Throttled));
    }

    #[test]
    fn the_quota_counts_per_key_and_period() {
        let quota = Quota {
            limit: 2,
            period: Period::Day,
            offset: 0,
        };
        let (p, m, now) = (plans(None, Some(quota)), Meters::default(), Instant::now());
        let day = Utc.with_ymd_and_hms(2026, 3, 4, 10, 0, 0).unwrap();
        let at = |key, utc| check(&p, &m, &request(Some(key), "prod", "/GET"), now, utc);
        assert!(at("value-a", day).is_ok());
        assert!(at("value-a", day).is_ok());
        assert_eq!(at("value-a", day), Err(Refusal::QuotaExceeded));
        assert!(at("value-b", day).is_ok(), "another key has its own quota");
        let next = day + Days::days(1);
        assert!(at("value-a", next).is_ok(), "a new day, a new quota");
    }

    #[test]
    fn periods_start_at_their_offsets() {
        let q = |period, offset| Quota {
            limit: 1,
            period,
            offset,
        };
        let wed = Utc.with_ymd_and_hms(2026, 3, 4, 10, 30, 0).unwrap(); // a Wednesday
        let ts = |y, mo, d| Utc.with_ymd_and_hms(y, mo, d, 0, 0, 0).unwrap().timestamp();
        assert_eq!(window_start(q(Period::Day, 0), wed), ts(2026, 3, 4));
        assert_eq!(
            window_start(q(Period::Week, 0), wed),
            ts(2026, 3, 1),
            "Sunday"
        );
        assert_eq!(
            window_start(q(Period::Week, 1), wed),
            ts(2026, 3, 2),
            "Monday"
        );
        assert_eq!(
            window_start(q(Period::Week, 4), wed),
            ts(2026, 2, 26),
            "last Thursday"
        );
        assert_eq!(window_start(q(Period::Month, 0), wed), ts(2026, 3, 1));
        assert_eq!(window_start(q(Period::Month, 9), wed), ts(2026, 2, 10));
    }
}
